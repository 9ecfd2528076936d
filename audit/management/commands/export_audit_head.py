import json
from typing import Any

from django.core.management.base import BaseCommand

from audit.anchors import anchor_json, anchor_of, export_anchor, read_anchor
from audit.models import AuditSeal


class Command(BaseCommand):
    help = (
        "Write the latest audit seal (seq, hash, event count, time) as a new anchor file in "
        "AUDIT_ANCHOR_DIR, which the app's database role cannot rewrite, and print it as JSON "
        "(its expect_head can be passed to verify_audit_trail --expect-head)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path = export_anchor()
        if path is not None:
            data = anchor_json(read_anchor(path))
            data["file"] = str(path)
        else:
            seal = AuditSeal.objects.order_by("-seq").first()
            # Nothing sealed yet, or the latest anchor already names this seal.
            data = anchor_json(anchor_of(seal)) if seal else {"seq": 0, "expect_head": None}
            data["file"] = None
        self.stdout.write(json.dumps(data))
