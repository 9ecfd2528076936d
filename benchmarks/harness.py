"""What every benchmark shares: PostgreSQL only, and a throwaway database for the run."""

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


def setup_django(*, benchmark: str, database_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit(
            f"benchmarks.{benchmark} measures PostgreSQL only; SQLite timings say nothing about "
            "production. Set DATABASE_URL=postgres://user@host:port/dbname and run again."
        )
    import django
    from django.conf import settings

    # Django's test machinery creates and drops this database; nothing else is touched.
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = database_name
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"Refusing to run on {connection.vendor}: the benchmark needs PostgreSQL.")


@contextmanager
def throwaway_database(database_name: str) -> Iterator[str]:
    """Create and migrate the benchmark database, yield the server version, always drop it."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    print(f"Creating database {database_name} and migrating ...", flush=True)
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            yield cursor.fetchone()[0]
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)


def sample_lock_waiters(stop: threading.Event, waiting: list[int], every: float = 0.02) -> None:
    """Until `stop` is set, append how many sessions of this database wait on a lock, every
    `every` seconds: run in a thread of its own (its own connection, closed at the end)."""
    from django.db import connection, connections

    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                waiting.append(cursor.fetchone()[0])
                time.sleep(every)
    finally:
        connections.close_all()
