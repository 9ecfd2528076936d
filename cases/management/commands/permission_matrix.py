"""Check or regenerate docs/permissions.md, the role x endpoint permission matrix.

The matrix is what `tests/test_permission_matrix.py` observes: one request per role, endpoint
and record against invented data in a throwaway test database. This command runs that test,
so the table is never produced any other way: without `--write` it fails when the committed
file differs; with `--write` it rewrites the file from what the code does (review the diff).
"""

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

MATRIX_TEST = "tests/test_permission_matrix.py"


class Command(BaseCommand):
    help = "Check docs/permissions.md against the code, or rewrite it with --write."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write",
            action="store_true",
            help="Rewrite docs/permissions.md from what the code allows.",
        )

    def handle(self, *args: Any, write: bool = False, **options: Any) -> None:
        env = {**os.environ, "PERMISSION_MATRIX_WRITE": "1" if write else "0"}
        # The test settings (pyproject's pytest section) apply, not this command's.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [sys.executable, "-m", "pytest", MATRIX_TEST, "-q", "-p", "no:warnings"]
        result = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(
                "The permission matrix test failed: a cell the rules do not allow, or "
                "docs/permissions.md out of date (run with --write after a deliberate change)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "docs/permissions.md rewritten." if write else "docs/permissions.md is up to date."
            )
        )
