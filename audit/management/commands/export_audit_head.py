import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "Print the audit chain head (sequence and hash) as JSON, to keep somewhere the "
        "database administrators cannot write; pass it back to verify_audit_trail --expect-head."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditChainHead.objects.filter(pk=1).first()
        seq, digest = (head.seq, head.hash) if head else (0, "0" * 64)
        self.stdout.write(
            json.dumps(
                {
                    "seq": seq,
                    "hash": digest,
                    "exported_at": timezone.now().isoformat(),
                    "expect_head": f"{seq}:{digest}",
                }
            )
        )
