"""Rounds T1, T2 …: opened and closed by the HSB coordinator, each audited."""

from datetime import date

import pytest

from agencies.roles import Role
from audit.models import AuditEvent
from partnership.exceptions import InvalidRound, NotAllowedToAudit, RoundClosed
from partnership.models import RoundStatus
from partnership.services import close_audit_round, open_audit_round

pytestmark = pytest.mark.django_db


def _open(actor, label="T1", start=date(2025, 1, 1), end=date(2025, 6, 30)):
    return open_audit_round(label=label, period_start=start, period_end=end, actor=actor)


def test_the_coordinator_opens_a_round_of_their_area(coordinator_user, area):
    audit_round = _open(coordinator_user)

    assert (audit_round.area, audit_round.label, audit_round.status) == (
        area,
        "T1",
        RoundStatus.OPEN,
    )
    assert AuditEvent.objects.filter(
        action="audit_round.opened", object_id=str(audit_round.pk)
    ).exists()


@pytest.mark.parametrize(
    ("label", "start", "end", "field"),
    [
        ("", date(2025, 1, 1), date(2025, 6, 30), "label"),
        ("T" * 17, date(2025, 1, 1), date(2025, 6, 30), "label"),
        ("T2", date(2025, 6, 30), date(2025, 1, 1), "period_end"),
    ],
)
def test_a_round_needs_a_label_and_a_period_in_order(coordinator_user, label, start, end, field):
    with pytest.raises(InvalidRound) as refused:
        _open(coordinator_user, label, start, end)

    assert field in refused.value.fields


def test_a_label_is_used_once_in_an_area(coordinator_user):
    _open(coordinator_user)

    with pytest.raises(InvalidRound):
        _open(coordinator_user)


@pytest.mark.parametrize("role", [Role.TEAM_MANAGER, Role.ANALYST, Role.SYSTEM_ADMINISTRATOR])
def test_only_the_coordinator_opens_a_round(make_user, role):
    with pytest.raises(NotAllowedToAudit):
        _open(make_user(role))


def test_a_closed_round_cannot_close_again(coordinator_user):
    audit_round = close_audit_round(audit_round=_open(coordinator_user), actor=coordinator_user)

    assert audit_round.status == RoundStatus.CLOSED and audit_round.closed_by == coordinator_user
    with pytest.raises(RoundClosed):
        close_audit_round(audit_round=audit_round, actor=coordinator_user)
