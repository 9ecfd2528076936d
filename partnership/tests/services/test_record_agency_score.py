"""Agencies score statements 0-4 with evidence; the agreed score follows the lowest."""

import pytest

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from audit.models import AuditEvent
from partnership.exceptions import (
    InvalidScore,
    NotAllowedToAudit,
    PartnershipNotFound,
    RoundClosed,
)
from partnership.models import AgencyScore, AgreedBasis, AgreedScore
from partnership.services import close_audit_round, record_agency_score

pytestmark = pytest.mark.django_db


def _score(audit_round, statement, manager, score, evidence="Case file audit, 20 cases."):
    return record_agency_score(
        audit_round=audit_round,
        statement=statement,
        agency=manager.agency,
        score=score,
        evidence=evidence,
        actor=manager,
    )


def test_two_agencies_scoring_differently_agree_the_lower_score(audit_round, statements, make_user):
    school, police = make_user(Role.TEAM_MANAGER), make_user(Role.TEAM_MANAGER)

    _score(audit_round, statements["3.5"], school, 3)
    _score(audit_round, statements["3.5"], police, 1)

    agreed = AgreedScore.objects.get(round=audit_round, statement=statements["3.5"])
    assert (agreed.score, agreed.basis, agreed.rationale) == (1, AgreedBasis.LOWEST, "")


def test_the_default_follows_an_agency_revising_its_score(audit_round, statements, make_user):
    school, police = make_user(Role.TEAM_MANAGER), make_user(Role.TEAM_MANAGER)
    _score(audit_round, statements["3.1"], school, 3)
    _score(audit_round, statements["3.1"], police, 1)

    _score(audit_round, statements["3.1"], police, 4)

    assert AgreedScore.objects.get(round=audit_round, statement=statements["3.1"]).score == 3
    assert AgencyScore.objects.filter(round=audit_round, statement=statements["3.1"]).count() == 2


def test_a_score_is_audited_with_the_agreed_score_it_moved(audit_round, statements, make_user):
    manager = make_user(Role.TEAM_MANAGER)

    row = _score(audit_round, statements["3.2"], manager, 2)

    event = AuditEvent.objects.get(action="audit_score.recorded", object_id=str(row.pk))
    assert event.changes == {
        "statement": "3.2",
        "agency": manager.agency_id,
        "score": [None, 2],
        "agreed_score": [None, 2],
    }
    assert event.actor == manager


@pytest.mark.parametrize("score", [-1, 5, "3", None, True])
def test_a_score_outside_the_key_is_refused(audit_round, statements, make_user, score):
    with pytest.raises(InvalidScore):
        _score(audit_round, statements["3.2"], make_user(Role.TEAM_MANAGER), score)
    assert not AgencyScore.objects.exists()


def test_a_score_without_evidence_is_refused(audit_round, statements, make_user):
    with pytest.raises(InvalidScore) as refused:
        _score(audit_round, statements["3.2"], make_user(Role.TEAM_MANAGER), 2, evidence="  ")

    assert "evidence" in refused.value.fields


def test_a_parent_statement_is_not_scored(audit_round, statements, make_user):
    with pytest.raises(InvalidScore):
        _score(audit_round, statements["1.6"], make_user(Role.TEAM_MANAGER), 2)


def test_a_team_manager_scores_only_for_their_own_agency(audit_round, statements, make_user, area):
    manager = make_user(Role.TEAM_MANAGER)

    with pytest.raises(NotAllowedToAudit):
        record_agency_score(
            audit_round=audit_round,
            statement=statements["3.3"],
            agency=AgencyFactory(area=area),
            score=2,
            evidence="Invented.",
            actor=manager,
        )


def test_the_coordinator_scores_for_any_agency_of_the_area(
    audit_round, statements, coordinator_user, area
):
    agency = AgencyFactory(area=area)

    row = record_agency_score(
        audit_round=audit_round,
        statement=statements["3.3"],
        agency=agency,
        score=2,
        evidence="Workshop, 12 May.",
        actor=coordinator_user,
    )

    assert row.agency == agency and row.scored_by == coordinator_user


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.DSL, Role.SYSTEM_ADMINISTRATOR, Role.LEAD_PRACTITIONER]
)
def test_other_roles_do_not_score(audit_round, statements, make_user, role):
    user = make_user(role)

    with pytest.raises(NotAllowedToAudit):
        _score(audit_round, statements["3.3"], user, 2)


def test_another_partnerships_round_is_refused_as_not_found(audit_round, statements, make_user):
    elsewhere = make_user(
        Role.TEAM_MANAGER, agency=AgencyFactory(area=LocalAreaFactory(name="Elsewhere"))
    )

    with pytest.raises(PartnershipNotFound):
        _score(audit_round, statements["3.3"], elsewhere, 2)


def test_a_closed_round_takes_no_more_scores(audit_round, statements, make_user, coordinator_user):
    close_audit_round(audit_round=audit_round, actor=coordinator_user)

    with pytest.raises(RoundClosed):
        _score(audit_round, statements["3.3"], make_user(Role.TEAM_MANAGER), 2)
