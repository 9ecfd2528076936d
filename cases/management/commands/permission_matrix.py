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
# Its "Cross-area matrix" section: what area A's roles get for area B's records.
CROSS_AREA_TEST = "tests/test_cross_area_matrix.py"


class Command(BaseCommand):
    help = "Check docs/permissions.md against the code, or rewrite it with --write."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--write",
            action="store_true",
            help="Rewrite docs/permissions.md from what the code allows.",
        )

    def handle(self, *args: Any, write: bool = False, **options: Any) -> None:
        flag = "1" if write else "0"
        env = {**os.environ, "PERMISSION_MATRIX_WRITE": flag, "CROSS_AREA_MATRIX_WRITE": flag}
        # The test settings (pyproject's pytest section) apply, not this command's.
        env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [
            sys.executable,
            *("-m", "pytest", MATRIX_TEST, CROSS_AREA_TEST, "-q", "-p", "no:warnings"),
        ]
        result = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(
                "The permission matrix tests failed: a cell the rules do not allow, a record of "
                "another area reached (each leak is listed above), or docs/permissions.md out "
                "of date (run with --write after a deliberate change; with --write the tables "
                "are rewritten even while a leak fails the test)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                "docs/permissions.md rewritten." if write else "docs/permissions.md is up to date."
            )
        )
