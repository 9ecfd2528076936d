"""Django's flush, able to empty SQLite's append-only audit tables.

On SQLite, flush deletes rows, which the audit triggers refuse; this lifts them for the
flush only (an operation that destroys the whole database anyway) and puts them back.
PostgreSQL's flush truncates, which row triggers do not see.
"""

import importlib
from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

# The latest migration that changed the triggers lists them all: one definition.
_triggers = importlib.import_module("audit.migrations.0004_keyed_seals")


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with connection.cursor() as cursor:
            for sql in _triggers.SQLITE_REVERSE:
                cursor.execute(sql)
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                for sql in _triggers.SQLITE_FORWARD:
                    cursor.execute(sql)
