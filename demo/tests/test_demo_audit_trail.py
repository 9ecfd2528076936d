"""The demo's audit trail, sealed on PostgreSQL as the worker seals it, verifies end to end.

The demo's events carry the moments replayed (months back, each signed with the moment it
carries): sealing orders them by transaction, not by time, and nothing is rewritten after
the fact, so the seals, the chain and the anchor all check. The SQLite demo test does the same
through the commands.
"""

import pytest

from audit.anchors import export_anchor
from audit.models import AuditEvent
from audit.sealing import seal_pending_events
from audit.verification import verify_trail
from demo.area import load_demo_area

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_loaded_demos_audit_trail_seals_and_verifies(settings, tmp_path):
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    load_demo_area()

    assert seal_pending_events() is not None
    export_anchor(settings.AUDIT_ANCHOR_DIR)
    report = verify_trail()

    assert report.intact, report.problems
    assert report.pending == 0
    assert report.events == AuditEvent.objects.count() > 200
