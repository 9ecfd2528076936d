from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import ChainProblem, verify_chain
from audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain and report every edited, deleted or inserted event. "
        "Exits non-zero when the chain is broken."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A head exported earlier (export_audit_head): it must still be in the chain.",
        )

    def handle(self, *args: Any, expect_head: str | None = None, **options: Any) -> None:
        head_row = AuditChainHead.objects.filter(pk=1).first()
        head = (head_row.seq, head_row.hash) if head_row else None
        events = AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=2000)
        checked, problems = verify_chain(events, head=head)
        if expect_head:
            seq_text, _, expected_hash = expect_head.partition(":")
            stored = (
                AuditEvent.objects.filter(seq=int(seq_text)).values_list("hash", flat=True).first()
            )
            if stored != expected_hash:
                problems.append(
                    ChainProblem(
                        int(seq_text),
                        None,
                        f"exported head {seq_text} is not in the chain as exported "
                        "(trail rewritten or truncated)",
                    )
                )
        for problem in problems:
            self.stderr.write(f"BROKEN: {problem.message}")
        if problems:
            raise CommandError(
                f"audit trail broken: {len(problems)} problem(s) in {checked} events"
            )
        self.stdout.write(f"audit trail intact: {checked} events, head {head[0] if head else 0}")
