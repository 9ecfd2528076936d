from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.verification import verify_trail

SHOWN = 200


class Command(BaseCommand):
    help = (
        "Check the audit trail: every event's MAC, every seal's digest over its events, the "
        "seal chain, and the latest anchor in AUDIT_ANCHOR_DIR. Prints what is broken and "
        "where; exits non-zero when anything is."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A seal exported earlier (export_audit_head): it must still be in the chain.",
        )
        parser.add_argument(
            "--no-anchor",
            action="store_true",
            help="Skip the check against the latest anchor file (not recommended).",
        )

    def handle(
        self, *args: Any, expect_head: str | None = None, no_anchor: bool = False, **options: Any
    ) -> None:
        report = verify_trail(check_anchor=not no_anchor, expect_head=expect_head)
        for problem in report.problems[:SHOWN]:
            self.stderr.write(f"BROKEN: {problem}")
        if len(report.problems) > SHOWN:
            self.stderr.write(f"BROKEN: … and {len(report.problems) - SHOWN} more")
        for warning in report.warnings:
            self.stderr.write(f"WARNING: {warning}")
        if report.problems:
            raise CommandError(
                f"audit trail broken: {len(report.problems)} problem(s) in {report.events} "
                f"events and {report.seals} seals"
            )
        head = report.head
        anchor = (
            f"; matches anchor {report.anchor.path.name}"
            if report.anchor and report.anchor.path
            else ""
        )
        self.stdout.write(
            f"audit trail intact: {report.events} events, {report.seals} seals, "
            f"head seal {head.seq if head else 0}, {report.pending} awaiting their seal{anchor}"
        )
