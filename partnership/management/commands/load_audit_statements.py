"""Refresh the framework's audit statements from YAML; running it twice changes nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from partnership.models import Domain, Statement
from partnership.statements import STATEMENTS_YAML, StatementsError, load_statements


class Command(BaseCommand):
    help = "Create or update the HSB framework audit statements, matched by ref."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", type=Path, default=STATEMENTS_YAML, help="Default: the shipped file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with transaction.atomic():
                result = load_statements(Domain, Statement, path)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except StatementsError as exc:
            raise CommandError(f"{path} is not a statement list: {exc}") from exc
        for label, keys in (("Created", result.created), ("Updated", result.updated)):
            if keys:
                self.stdout.write(f"{label}: {', '.join(keys)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged."
            )
        )
