from typing import Any

from django.core.management.base import BaseCommand

from audit.anchors import export_anchor
from audit.sealing import seal_pending_events


class Command(BaseCommand):
    help = (
        "Link the audit events of finished transactions, in order, into the next signed seal. "
        "The worker runs this every few seconds with --export-anchor."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--export-anchor",
            action="store_true",
            help="Then write the latest seal to AUDIT_ANCHOR_DIR (as export_audit_head does).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seal = seal_pending_events()
        if seal is None:
            self.stdout.write("nothing to seal")
        else:
            self.stdout.write(f"sealed {seal.event_count} events as seal {seal.seq}")
        if options["export_anchor"]:
            path = export_anchor()
            if path is not None:
                self.stdout.write(f"anchor written: {path}")
