"""The partnership's agreed score: the lowest agency score unless agreed with a rationale."""

import pytest

from agencies.roles import Role
from audit.models import AuditEvent
from partnership.exceptions import NotAllowedToAudit, RationaleRequired
from partnership.models import AgreedBasis, AgreedScore
from partnership.services import record_agency_score, set_agreed_score

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(audit_round, statements, make_user):
    for value in (3, 1):
        manager = make_user(Role.TEAM_MANAGER)
        record_agency_score(
            audit_round=audit_round,
            statement=statements["3.5"],
            agency=manager.agency,
            score=value,
            evidence="Invented evidence.",
            actor=manager,
        )
    return statements["3.5"]


def test_changing_the_agreed_score_without_a_rationale_is_refused(
    audit_round, scored, coordinator_user
):
    with pytest.raises(RationaleRequired) as refused:
        set_agreed_score(
            audit_round=audit_round,
            statement=scored,
            score=2,
            rationale=" ",
            actor=coordinator_user,
        )

    assert "rationale" in refused.value.fields
    assert AgreedScore.objects.get(round=audit_round, statement=scored).score == 1


def test_a_different_score_is_recorded_with_its_rationale(audit_round, scored, coordinator_user):
    agreed = set_agreed_score(
        audit_round=audit_round,
        statement=scored,
        score=2,
        rationale="Police data covers only half the period; the school's audit is fuller.",
        actor=coordinator_user,
    )

    assert (agreed.score, agreed.basis, agreed.agreed_by) == (
        2,
        AgreedBasis.AGREED,
        coordinator_user,
    )
    event = AuditEvent.objects.get(action="agreed_score.set")
    assert event.changes["score"] == [1, 2]
    assert event.reason.startswith("Police data")


def test_an_agreed_score_stays_when_agencies_rescore(
    audit_round, scored, coordinator_user, make_user
):
    set_agreed_score(
        audit_round=audit_round,
        statement=scored,
        score=2,
        rationale="Agreed at the workshop.",
        actor=coordinator_user,
    )
    manager = make_user(Role.TEAM_MANAGER)

    record_agency_score(
        audit_round=audit_round,
        statement=scored,
        agency=manager.agency,
        score=0,
        evidence="None.",
        actor=manager,
    )

    assert AgreedScore.objects.get(round=audit_round, statement=scored).score == 2


def test_agreeing_the_lowest_needs_no_rationale_and_follows_it_again(
    audit_round, scored, coordinator_user
):
    set_agreed_score(
        audit_round=audit_round, statement=scored, score=2, rationale="Why.", actor=coordinator_user
    )

    agreed = set_agreed_score(
        audit_round=audit_round, statement=scored, score=1, rationale="", actor=coordinator_user
    )

    assert (agreed.score, agreed.basis) == (1, AgreedBasis.LOWEST)


def test_with_no_agency_score_any_agreed_score_needs_a_rationale(
    audit_round, statements, coordinator_user
):
    with pytest.raises(RationaleRequired):
        set_agreed_score(
            audit_round=audit_round,
            statement=statements["2.4"],
            score=3,
            rationale="",
            actor=coordinator_user,
        )


def test_only_the_coordinator_agrees_scores(audit_round, scored, make_user):
    with pytest.raises(NotAllowedToAudit):
        set_agreed_score(
            audit_round=audit_round,
            statement=scored,
            score=2,
            rationale="Why.",
            actor=make_user(Role.TEAM_MANAGER),
        )


def test_the_database_refuses_an_agreed_score_without_a_rationale(audit_round, scored):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AgreedScore.objects.filter(round=audit_round, statement=scored).update(
            basis=AgreedBasis.AGREED
        )
