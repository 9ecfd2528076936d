"""Start, sections, contributions, submission, authorisation and return, with their rules."""

import datetime

import pytest
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.exceptions import (
    AssessmentNotAtStep,
    AssessmentNotFound,
    InvalidAssessment,
    LateReasonRequired,
    NotAllowedToAuthorise,
    NotTheAssessor,
    SectionsIncomplete,
)
from assessments.models import Assessment, AssessmentStatus, ToolCertification
from assessments.selectors import case_recommendation
from assessments.services import (
    add_contribution,
    authorise_assessment,
    return_assessment,
    save_assessment_sections,
    start_assessment,
    submit_assessment,
)
from audit.models import AuditEvent
from cases.chronology.timeline import child_chronology
from cases.models import Case
from cases.process import engine
from cases.services import add_team_member

from ..factories import (
    OUTCOME,
    SECTIONS_DONE,
    child_aged,
    panel_case,
    requested,
    started,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def brook(tools):
    return tools["brook_traffic_light"]


# --- who completes it ------------------------------------------------------------------------


def test_only_the_assessor_may_start(case, brook, lead_practitioner, front_door):
    assessment = requested(case, front_door)  # requested by the front door, for the lead

    with pytest.raises(NotTheAssessor):
        start_assessment(assessment=assessment, tool=brook, actor=front_door)
    started_by_lead = start_assessment(assessment=assessment, tool=brook, actor=lead_practitioner)

    assert started_by_lead.started_by == lead_practitioner


def test_an_assessment_requested_for_someone_is_theirs_to_complete(
    case, brook, lead_practitioner, manager, front_door
):
    assessment = requested(case, front_door, requested_for=manager)

    with pytest.raises(NotTheAssessor):
        start_assessment(assessment=assessment, tool=brook, actor=lead_practitioner)

    assert start_assessment(assessment=assessment, tool=brook, actor=manager).tool == brook


def test_a_step_out_of_order_is_a_conflict(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)

    with pytest.raises(AssessmentNotAtStep):
        start_assessment(assessment=assessment, tool=brook, actor=lead_practitioner)


def test_the_start_date_cannot_be_in_the_future(case, brook, lead_practitioner):
    assessment = requested(case, lead_practitioner)

    with pytest.raises(InvalidAssessment) as refused:
        start_assessment(
            assessment=assessment,
            tool=brook,
            actor=lead_practitioner,
            started_on=timezone.localdate() + datetime.timedelta(days=1),
        )

    assert refused.value.fields == {"started_on": ["The start date cannot be in the future."]}


# --- content ---------------------------------------------------------------------------------


def test_sections_are_saved_one_or_more_at_a_time(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)

    save_assessment_sections(
        assessment=assessment, sections={"family": "Lives with mother."}, actor=lead_practitioner
    )
    saved = save_assessment_sections(
        assessment=assessment,
        sections={"environment": " Busy estate. "},
        actor=lead_practitioner,
    )

    assert (saved.family, saved.environment) == ("Lives with mother.", "Busy estate.")
    events = AuditEvent.objects.filter(action="assessment.sections_saved")
    assert [e.changes for e in events] == [{"sections": ["family"]}, {"sections": ["environment"]}]


def test_an_unknown_section_is_a_field_error(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)

    with pytest.raises(InvalidAssessment) as refused:
        save_assessment_sections(
            assessment=assessment, sections={"risk_score": "9"}, actor=lead_practitioner
        )

    assert "risk_score" in refused.value.fields


def test_contributions_come_from_agencies_of_the_cases_area(
    case, area, brook, lead_practitioner, make_user
):
    assessment = started(case, lead_practitioner, brook)
    school = AgencyFactory(area=area, name="Brookfield Primary School")
    teacher = make_user(Role.DSL, agency=school)
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Elsewhere"), name="Far school")

    added = add_contribution(
        assessment=assessment,
        agency=school,
        practitioner=teacher,
        summary="Observations from class and playground.",
        actor=lead_practitioner,
    )
    # Another area's agency is answered like one that does not exist (issue 12).
    with pytest.raises(AssessmentNotFound):
        add_contribution(
            assessment=assessment, agency=elsewhere, summary="x", actor=lead_practitioner
        )
    with pytest.raises(InvalidAssessment) as wrong_agency:
        add_contribution(
            assessment=assessment,
            agency=AgencyFactory(area=area),
            practitioner=teacher,
            summary="x",
            actor=lead_practitioner,
        )

    assert added.recorded_by == lead_practitioner
    assert "does not work for" in wrong_agency.value.fields["practitioner"][0]


# --- submission ------------------------------------------------------------------------------


def test_submission_is_blocked_while_a_holistic_section_is_empty(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(
        assessment=assessment,
        sections={**SECTIONS_DONE, "family": "", "environment": "  "},
        actor=lead_practitioner,
    )

    with pytest.raises(SectionsIncomplete) as refused:
        submit_assessment(assessment=assessment, actor=lead_practitioner, **OUTCOME)

    assert set(refused.value.fields) == {"family", "environment"}
    assert "statement 3.2" in refused.value.fields["family"][0]
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.STARTED


def test_the_recommended_route_must_leave_the_cases_current_stage(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=lead_practitioner)

    with pytest.raises(InvalidAssessment) as refused:
        submit_assessment(
            assessment=assessment,
            actor=lead_practitioner,
            **{**OUTCOME, "recommended_route": "agree_specialist_assessment"},
        )

    message = refused.value.fields["recommended_route"][0]
    assert message.startswith(
        "'agree_specialist_assessment' does not leave the case's current stage 'Early help'"
    )
    assert "step_up_to_hsb_panel" in message


def test_the_outcome_needs_a_level_a_risk_needs_and_a_focus(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=lead_practitioner)

    with pytest.raises(InvalidAssessment) as refused:
        submit_assessment(
            assessment=assessment,
            actor=lead_practitioner,
            confirmed_continuum_level="",
            risk_level="severe",
            needs="",
            intervention_focus=" ",
            recommended_route="step_up_to_hsb_panel",
        )

    assert set(refused.value.fields) == {
        "confirmed_continuum_level",
        "risk_level",
        "needs",
        "intervention_focus",
    }


# --- authorisation ---------------------------------------------------------------------------


def test_a_team_manager_authorises_and_the_case_takes_the_confirmed_level(
    case, brook, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, brook, confirmed_continuum_level="abusive")
    version_before = Case.objects.get(pk=case.pk).lock_version

    done = authorise_assessment(assessment=assessment, actor=manager)

    assert done.status == AssessmentStatus.AUTHORISED
    assert done.authorised_by == manager
    refreshed = Case.objects.get(pk=case.pk)
    assert refreshed.confirmed_continuum_level == "abusive"
    assert refreshed.lock_version == version_before + 1
    level_event = AuditEvent.objects.get(action="case.continuum_level_confirmed")
    assert level_event.changes == {
        "confirmed_continuum_level": ["problematic", "abusive"],
        "assessment": assessment.pk,
    }
    assert AuditEvent.objects.filter(action="assessment.authorised").count() == 1


def test_authorisation_is_blocked_while_a_holistic_section_is_empty(
    case, brook, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, brook)
    Assessment.objects.filter(pk=assessment.pk).update(development="")

    with pytest.raises(SectionsIncomplete) as refused:
        authorise_assessment(assessment=assessment, actor=manager)

    assert list(refused.value.fields) == ["development"]
    assert refused.value.fields["development"][0].startswith(
        "Development must be completed before the assessment is authorised"
    )
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SUBMITTED


def test_a_late_authorisation_requires_a_reason(case, brook, lead_practitioner, manager):
    assessment = submitted(case, lead_practitioner, brook)
    due = timezone.localdate() - datetime.timedelta(days=2)
    Assessment.objects.filter(pk=assessment.pk).update(due_on=due)

    with pytest.raises(LateReasonRequired) as refused:
        authorise_assessment(assessment=assessment, actor=manager)
    done = authorise_assessment(
        assessment=assessment, actor=manager, late_reason="Family unavailable for three weeks."
    )

    assert list(refused.value.fields) == ["late_reason"]
    assert done.late_reason == "Family unavailable for three weeks."
    assert AuditEvent.objects.get(action="assessment.authorised").reason == done.late_reason


def test_an_authorisation_on_time_keeps_no_late_reason(case, brook, lead_practitioner, manager):
    assessment = submitted(case, lead_practitioner, brook)

    done = authorise_assessment(assessment=assessment, actor=manager, late_reason="Not late.")

    assert done.late_reason == ""


@pytest.mark.parametrize("role", [Role.HSB_COORDINATOR, Role.FRONT_DOOR, Role.LEAD_PRACTITIONER])
def test_only_a_team_manager_authorises_or_returns(
    case, brook, lead_practitioner, front_door, make_user, role
):
    assessment = submitted(case, lead_practitioner, brook)
    actor = lead_practitioner if role == Role.LEAD_PRACTITIONER else make_user(role)
    if role == Role.HSB_COORDINATOR:
        # On the team around the child, so the coordinator sees the early-help case.
        add_team_member(
            case=case,
            agency=actor.agency,
            practitioner=actor,
            role_on_case="HSB adviser",
            actor=front_door,
        )

    with pytest.raises(NotAllowedToAuthorise):
        authorise_assessment(assessment=assessment, actor=actor)
    with pytest.raises(NotAllowedToAuthorise):
        return_assessment(assessment=assessment, actor=actor, comments="x")


def test_a_manager_may_not_authorise_their_own_assessment(case, brook, manager, make_user):
    assessment = requested(case, manager, requested_for=manager)
    start_assessment(assessment=assessment, tool=brook, actor=manager)
    save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=manager)
    submit_assessment(assessment=assessment, actor=manager, **OUTCOME)

    with pytest.raises(NotAllowedToAuthorise, match="another manager"):
        authorise_assessment(assessment=assessment, actor=manager)

    colleague = make_user(Role.TEAM_MANAGER, agency=manager.agency)
    assert authorise_assessment(assessment=assessment, actor=colleague)


def test_the_manager_may_choose_another_route_that_leaves_the_stage(
    case, brook, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, brook)

    with pytest.raises(InvalidAssessment) as refused:
        authorise_assessment(assessment=assessment, actor=manager, recommended_route="reopen")
    done = authorise_assessment(
        assessment=assessment, actor=manager, recommended_route="close_early_help"
    )

    assert "recommended_route" in refused.value.fields
    assert done.recommended_route == "close_early_help"


def test_the_recommended_route_is_offered_as_the_next_transition(
    case, brook, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, brook)
    assert case_recommendation(case) is None  # not until it is authorised

    authorise_assessment(assessment=assessment, actor=manager)
    case = Case.objects.get(pk=case.pk)
    recommendation = case_recommendation(case)

    assert recommendation is not None
    assert recommendation.transition_key == "step_up_to_hsb_panel"
    assert recommendation.to_stage == "Multi-agency HSB panel"
    options = {o.transition.key for o in engine.transitions_for(case=case, actor=lead_practitioner)}
    assert recommendation.transition_key in options
    moved = engine.take_transition(
        case=case,
        transition=recommendation.transition_key,
        actor=lead_practitioner,
        reason="Recommended by the authorised NICE early help assessment.",
        data={"continuum_level": "abusive"},  # the level that justifies the step-up
    )
    assert moved.current_stage.key == "hsb_panel"
    assert case_recommendation(moved) is None  # taken: no longer offered


def test_an_authorised_assessment_releases_the_specialist_stage(
    tools, default_version, front_door, lead_practitioner, manager, coordinator
):
    ToolCertification.objects.create(
        practitioner=coordinator, tool=tools["aim3"], certified_on=datetime.date(2024, 1, 1)
    )
    case = panel_case(
        version=default_version,
        front_door=front_door,
        lead=lead_practitioner,
        manager=manager,
        child=child_aged(14, gender="boy"),
    )
    case = engine.take_transition(
        case=case, transition="agree_specialist_assessment", actor=coordinator
    )
    assessment = requested(
        case, coordinator, "hsb_focused_risk_assessment", requested_for=coordinator
    )
    start_assessment(assessment=assessment, tool=tools["aim3"], actor=coordinator)
    save_assessment_sections(assessment=assessment, sections=SECTIONS_DONE, actor=coordinator)
    submit_assessment(
        assessment=assessment,
        actor=coordinator,
        **{
            **OUTCOME,
            "confirmed_continuum_level": "abusive",
            "recommended_route": "start_specialist_plan",
        },
    )
    authorise_assessment(assessment=assessment, actor=manager)

    case = Case.objects.get(pk=case.pk)
    planned = engine.take_transition(
        case=case, transition=case_recommendation(case).transition_key, actor=coordinator
    )

    assert planned.current_stage.key == "plan_and_intervention"


# --- return ----------------------------------------------------------------------------------


def test_a_returned_assessment_is_started_again_with_the_comments(
    case, brook, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, brook)

    with pytest.raises(InvalidAssessment):
        return_assessment(assessment=assessment, actor=manager, comments=" ")
    returned = return_assessment(
        assessment=assessment, actor=manager, comments="Add the school's view of peer relations."
    )

    assert returned.status == AssessmentStatus.STARTED
    assert returned.submitted_at is None
    assert [r["comments"] for r in returned.returns] == ["Add the school's view of peer relations."]
    assert returned.returns[0]["returned_by"] == manager.pk
    assert AuditEvent.objects.get(action="assessment.returned").reason.startswith("Add the")

    save_assessment_sections(
        assessment=returned,
        sections={"environment": "School reports friendships are limited."},
        actor=lead_practitioner,
    )
    submit_assessment(assessment=returned, actor=lead_practitioner, **OUTCOME)
    authorise_assessment(assessment=returned, actor=manager)

    titles = [
        entry.title
        for entry in child_chronology(child=case.child, user=manager, kinds=["assessment"])
    ]
    assert titles == [
        "Assessment requested: NICE early help assessment",
        "Assessment started: NICE early help assessment",
        "Assessment submitted: NICE early help assessment",
        "Assessment returned with comments: NICE early help assessment",
        "Assessment submitted: NICE early help assessment",
        "Assessment authorised: NICE early help assessment",
    ]


def test_nothing_changes_on_a_closed_case(case, brook, lead_practitioner):
    assessment = started(case, lead_practitioner, brook)
    case = engine.take_transition(
        case=Case.objects.get(pk=case.pk),
        transition="close_early_help",
        actor=lead_practitioner,
        data={"closure_reason": "support_completed"},
    )

    with pytest.raises(AssessmentNotAtStep, match="closed"):
        save_assessment_sections(
            assessment=assessment, sections={"family": "x"}, actor=lead_practitioner
        )
