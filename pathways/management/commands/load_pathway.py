"""Import a pathway definition from YAML as a new draft version, and optionally publish it."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from agencies.models import BankHolidayRegion, LocalArea
from core.errors import DomainError
from pathways.definitions import DefinitionShapeError
from pathways.exceptions import DefinitionInvalid
from pathways.selectors import sole_local_area
from pathways.services import create_draft_version, publish_version
from pathways.yaml_io import parse_yaml


class Command(BaseCommand):
    help = (
        "Import a pathway YAML file as a new draft version of its pathway (--publish to publish)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--area",
            metavar="NAME",
            help="Local area (created if new); default: the only area there is.",
        )
        parser.add_argument(
            "--region",
            choices=BankHolidayRegion.values,
            default=BankHolidayRegion.ENGLAND_AND_WALES,
            help="Bank holidays of a newly created area.",
        )
        parser.add_argument("--publish", action="store_true")
        parser.add_argument("--notes", default="")
        parser.add_argument(
            "--actor", metavar="USERNAME", help="Recorded as the actor (default: system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            definition = parse_yaml(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except DefinitionShapeError as exc:
            raise CommandError(f"{path} is not a pathway definition: {exc}") from exc
        actor = self._actor(options["actor"])
        try:
            with transaction.atomic():
                area = self._area(options["area"], options["region"])
                version = create_draft_version(
                    area=area, definition=definition, actor=actor, notes=options["notes"]
                )
                if options["publish"]:
                    version = publish_version(version=version, actor=actor)
        except DefinitionInvalid as exc:
            problems = exc.extra.get("problems", [])
            details = "\n".join(f"  {p.get('path', '')}: {p.get('message', p)}" for p in problems)
            raise CommandError(f"{exc.message}\n{details}") from exc
        except DomainError as exc:
            # With --actor, another area is refused like an unknown one.
            raise CommandError(f"{exc.message} Nothing was imported.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Pathway '{definition.key}' v{version.number} (id {version.pk}) for "
                f"{area.name}: {version.status}."
            )
        )

    def _area(self, name: str | None, region: str) -> LocalArea:
        if name:
            area, created = LocalArea.objects.get_or_create(
                name=name, defaults={"bank_holiday_region": region}
            )
            if created:
                self.stdout.write(f"Created local area '{name}' ({region}).")
            return area
        only = sole_local_area()
        if only is None:
            raise CommandError("Name the local area with --area (there is none, or several).")
        return only

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user '{username}'.") from exc
