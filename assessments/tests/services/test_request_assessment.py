"""Requesting an assessment: who may, the right level, the assessor, the due date."""

import datetime

import pytest
from django.utils import timezone

from agencies.roles import Role
from assessments.exceptions import (
    AssessmentNotFound,
    InvalidAssessment,
    JustificationRequired,
)
from assessments.models import AssessmentStatus
from assessments.services import request_assessment
from audit.models import AuditEvent
from cases.process import engine
from cases.tests.factories import open_case
from pathways.working_days import add_working_days

from ..factories import panel_case

pytestmark = pytest.mark.django_db


def test_the_lead_practitioner_requests_an_assessment_due_by_the_stage_deadline(
    case, lead_practitioner
):
    assessment = request_assessment(
        case=case, assessment_type="nice_early_help_assessment", actor=lead_practitioner
    )

    assert assessment.status == AssessmentStatus.REQUESTED
    assert assessment.requested_by == lead_practitioner
    assert assessment.assessor_id == lead_practitioner.pk
    assert assessment.due_on == case.stage_due_on is not None
    event = AuditEvent.objects.get(action="assessment.requested")
    assert event.object_id == str(assessment.pk)
    assert event.changes["due_on"] == case.stage_due_on.isoformat()


def test_the_front_door_and_the_leads_team_manager_may_request(case, make_user, manager):
    for actor in (make_user(Role.FRONT_DOOR), manager):
        assessment = request_assessment(case=case, assessment_type="brief_assessment", actor=actor)
        assessment.delete()  # one open assessment of a type per case

        assert assessment.assessment_type == "brief_assessment"


def test_another_teams_manager_may_not_request(case, make_user):
    # Their rule does not show them the case: as if it did not exist.
    with pytest.raises(AssessmentNotFound):
        request_assessment(
            case=case, assessment_type="brief_assessment", actor=make_user(Role.TEAM_MANAGER)
        )


def test_an_hsb_coordinator_requests_on_cases_at_the_specialist_tier(
    case, default_version, front_door, lead_practitioner, manager, coordinator
):
    at_panel = panel_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )

    assert request_assessment(
        case=at_panel, assessment_type="hsb_focused_risk_assessment", actor=coordinator
    )
    with pytest.raises(AssessmentNotFound):
        request_assessment(case=case, assessment_type="brief_assessment", actor=coordinator)


@pytest.mark.parametrize("role", [Role.DSL, Role.LEAD_PRACTITIONER, Role.ANALYST])
def test_others_may_not_request(case, make_user, role):
    with pytest.raises(AssessmentNotFound):
        request_assessment(case=case, assessment_type="brief_assessment", actor=make_user(role))


def test_a_social_care_assessment_is_due_45_working_days_from_the_referral(
    default_version, front_door, lead_practitioner
):
    received = timezone.now() - datetime.timedelta(days=3)
    case = open_case(version=default_version, actor=front_door, received_at=received)
    case = engine.take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={
            "significant_harm_suspected": True,
            "continuum_level": "abusive",
            "lead_practitioner": lead_practitioner.pk,  # named with the routing
        },
    )

    assessment = request_assessment(
        case=case,
        assessment_type="csc_assessment",
        requested_for=lead_practitioner,
        actor=front_door,
    )

    expected = add_working_days(timezone.localtime(received).date(), 45, "ENG")
    assert assessment.due_on == expected


def test_a_type_that_does_not_suit_the_level_needs_a_justification(case, lead_practitioner):
    with pytest.raises(JustificationRequired) as refused:
        request_assessment(
            case=case, assessment_type="specialist_assessment", actor=lead_practitioner
        )
    assessment = request_assessment(
        case=case,
        assessment_type="specialist_assessment",
        actor=lead_practitioner,
        type_justification="Panel asked for specialist input given the pattern of behaviour.",
    )

    assert list(refused.value.fields) == ["type_justification"]
    assert "statement 3.5" in refused.value.fields["type_justification"][0]
    assert [w["rule"] for w in assessment.type_warnings] == ["type_level"]
    assert assessment.type_justification.startswith("Panel asked")


def test_a_justification_is_not_kept_when_the_type_suits(case, lead_practitioner):
    assessment = request_assessment(
        case=case,
        assessment_type="nice_early_help_assessment",
        actor=lead_practitioner,
        type_justification="Not needed.",
    )

    assert assessment.type_warnings == []
    assert assessment.type_justification == ""


def test_the_assessor_must_be_able_to_see_the_case(case, front_door, make_user):
    other_lead = make_user(Role.LEAD_PRACTITIONER)

    with pytest.raises(InvalidAssessment) as refused:
        request_assessment(
            case=case,
            assessment_type="brief_assessment",
            requested_for=other_lead,
            actor=front_door,
        )

    assert "cannot see this case" in refused.value.fields["requested_for"][0]


def test_an_assessor_is_needed_when_the_case_has_no_lead(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)

    with pytest.raises(InvalidAssessment) as refused:
        request_assessment(case=case, assessment_type="screening", actor=front_door)

    assert refused.value.fields["requested_for"] == [
        "The case has no lead practitioner: name who will complete the assessment."
    ]


def test_one_open_assessment_of_each_type_per_case(case, lead_practitioner):
    request_assessment(case=case, assessment_type="brief_assessment", actor=lead_practitioner)

    with pytest.raises(InvalidAssessment) as refused:
        request_assessment(case=case, assessment_type="brief_assessment", actor=lead_practitioner)

    assert "already open" in refused.value.fields["assessment_type"][0]


def test_an_unknown_type_is_a_field_error(case, lead_practitioner):
    with pytest.raises(InvalidAssessment) as refused:
        request_assessment(case=case, assessment_type="AIM3", actor=lead_practitioner)

    assert refused.value.fields["assessment_type"] == ["Choose a type of assessment."]


def test_no_request_on_a_closed_case(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    case = engine.take_transition(
        case=case,
        transition="no_further_action",
        actor=front_door,
        reason="Advice given.",
        data={"closure_reason": "no_further_action"},
    )

    with pytest.raises(InvalidAssessment, match="closed"):
        request_assessment(case=case, assessment_type="screening", actor=front_door)
