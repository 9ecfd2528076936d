"""Refresh the assessment tool catalogue from YAML; running it twice changes nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from assessments.catalogue import TOOLS_YAML, CatalogueError, load_tools
from assessments.models import AssessmentTool


class Command(BaseCommand):
    help = "Create or update assessment tools from a catalogue YAML file, matched by key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", type=Path, default=TOOLS_YAML, help="Default: the shipped file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            with transaction.atomic():
                result = load_tools(AssessmentTool, path)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except CatalogueError as exc:
            raise CommandError(f"{path} is not a tool catalogue: {exc}") from exc
        for label, keys in (
            ("Created", result.created),
            ("Updated", result.updated),
            ("Unchanged", result.unchanged),
            ("Kept, not in the file", result.not_in_file),
        ):
            if keys:
                self.stdout.write(f"{label}: {', '.join(keys)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged."
            )
        )
