"""How long a backup (deploy/backup.sh) and its restore check (manage.py check_backup) take.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python -m benchmarks.backup \\
        [--referrals 32] [--events 0]

Creates a throwaway database (`hsb_bench_backup`, dropped afterwards), loads the invented
Northwold demo area with `--referrals` referrals (each writes its audit events as the
services do), optionally `--events` more audit events in bulk (a long-lived trail), seals
and anchors the trail, then times `deploy/backup.sh` and `check_backup` on what it wrote
and prints the sizes. The user in DATABASE_URL needs CREATEDB.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import setup_django, throwaway_database


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=32)
    parser.add_argument("--events", type=int, default=0, help="Extra audit events, in bulk.")
    parser.add_argument("--database-name", default="hsb_bench_backup")
    return parser.parse_args(argv)


def add_events(count: int) -> None:
    """`count` signed events, as record_event writes them, a thousand to a transaction."""
    from django.db import transaction

    from agencies.models import LocalArea
    from audit.services import record_event
    from demo.area import AREA_NAME

    target = LocalArea.objects.get(name=AREA_NAME)
    for start in range(0, count, 1000):
        with transaction.atomic():
            for i in range(start, min(start + 1000, count)):
                record_event(actor=None, action="bench.event", target=target, changes={"i": i})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django(benchmark="backup", database_name=args.database_name)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from audit.anchors import export_anchor
    from audit.models import AuditEvent
    from audit.restore import Server, find_pg_tool
    from audit.sealing import seal_pending_events
    from demo.area import load_demo_area

    with throwaway_database(args.database_name) as version, tempfile.TemporaryDirectory() as tmp:
        anchors, backups = Path(tmp) / "anchors", Path(tmp) / "backups"
        load_demo_area(referrals=args.referrals)
        add_events(args.events)
        seal_pending_events()
        export_anchor(anchors)
        events = AuditEvent.objects.count()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(
            DATABASE_URL=Server.from_settings(connection.settings_dict).url(),
            AUDIT_ANCHOR_DIR=str(anchors),
            PG_DUMP=find_pg_tool("pg_dump"),
            PG_RESTORE=find_pg_tool("pg_restore"),
        )
        script = Path(settings.BASE_DIR) / "deploy" / "backup.sh"
        started = time.perf_counter()
        # Fixed argv: the repository's script and a temporary directory.
        command = [str(script), str(backups)]
        subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
        backup_seconds = time.perf_counter() - started
        (dump,) = backups.glob("hsb-*.dump")
        dump_bytes = dump.stat().st_size
        started = time.perf_counter()
        call_command("check_backup", str(dump), anchor_dir=anchors, stdout=io.StringIO())
        check_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            (database_bytes,) = cursor.fetchone()
    print(
        f"PostgreSQL {version}; {args.referrals} demo referrals, {events} audit events; "
        f"database {database_bytes / 1e6:.1f} MB, dump {dump_bytes / 1e6:.2f} MB\n"
        f"backup.sh    {backup_seconds:6.2f} s\n"
        f"check_backup {check_seconds:6.2f} s (restore, verify every event and seal, counts)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
