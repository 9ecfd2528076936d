import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from audit.anchors import export_anchor
from audit.sealing import seal_pending_events


class Command(BaseCommand):
    help = (
        "Link the audit events of finished transactions, in order, into the next signed seal. "
        "The worker runs `seal_audit_trail --export-anchor --every 10`."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--export-anchor",
            action="store_true",
            help="Then write the latest seal to AUDIT_ANCHOR_DIR (as export_audit_head does).",
        )
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="Keep running, sealing (and exporting) once every SECONDS.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every, export, chatty = options["every"], options["export_anchor"], options["verbosity"] > 1
        if every is None:
            self.seal_once(export=export, chatty=True)
            return
        while True:
            close_old_connections()
            try:
                self.seal_once(export=export, chatty=chatty)
            except (DatabaseError, OSError) as exc:
                # A restart of the database must not end the loop; the next pass catches up.
                self.stderr.write(f"sealing failed, retrying in {every:g} s: {exc}")
            time.sleep(every)

    def seal_once(self, *, export: bool, chatty: bool) -> None:
        seal = seal_pending_events()
        if seal is not None:
            self.stdout.write(f"sealed {seal.event_count} events as seal {seal.seq}")
        elif chatty:
            self.stdout.write("nothing to seal")
        if export:
            path = export_anchor()
            if path is not None:
                self.stdout.write(f"anchor written: {path}")
