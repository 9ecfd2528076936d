"""Clocks and closure as the guidance says (issue 16, items 4 and 6), on the default pathway.

A children's social care assessment is due no later than 45 working days from the referral
to children's social care (Working Together), which for a case stepped up later is the
step-up, not the original HSB referral. Only the end of a children's social care episode takes
a census closure reason (RC1-RC9); other closures have plain reasons of their own.
"""

from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assessments.models import Assessment, AssessmentStatus
from audit.models import AuditEvent
from cases.chronology.timeline import child_chronology
from cases.models import Case, StageMove
from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.process.timers import sweep_due_timers
from cases.tests.factories import open_case
from pathways.deadlines import breach_moment, local_date
from pathways.exceptions import InvalidTransitionData
from pathways.working_days import add_working_days

pytestmark = pytest.mark.django_db

REGION = "ENG"


def _authorise_assessment(case, by):
    now = timezone.now()
    return Assessment.objects.create(
        case=case,
        assessment_type="AIM3",
        status=AssessmentStatus.AUTHORISED,
        requested_at=now - timedelta(days=1),
        authorised_at=now,
        authorised_by=by,
    )


def _armed_timer(case):
    return Task.objects.get(
        process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
    )


def _written(case):
    """What a refused move must leave as it was."""
    return (
        Case.objects.filter(pk=case.pk).values_list("lock_version", "current_stage_id").get(),
        StageMove.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).count(),
    )


@pytest.fixture
def early_help_case(default_version, front_door, lead_practitioner):
    # Referred 80 days ago, routed to early help then.
    received = timezone.now() - timedelta(days=80)
    case = open_case(version=default_version, actor=front_door, received_at=received)
    # Its lead practitioner named with the routing (issue 16, item 10).
    return take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )


@pytest.fixture
def csc_case(default_version, front_door, lead_practitioner):
    case = open_case(version=default_version, actor=front_door)
    return take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={
            "significant_harm_suspected": True,
            "continuum_level": "abusive",
            "lead_practitioner": lead_practitioner.pk,
        },
    )


def _step_up_to_csc(case, actor):
    return take_transition(
        case=case,
        transition="step_up_to_csc_assessment",
        actor=actor,
        reason="Disclosure at school: significant harm suspected",
        data={"significant_harm_suspected": True, "continuum_level": "abusive"},
    )


# --- item 4: the assessment's clock ------------------------------------------------------------


def test_assessment_clock_after_step_up_counts_from_csc_referral(
    early_help_case, lead_practitioner
):
    case = _step_up_to_csc(early_help_case, lead_practitioner)
    case.refresh_from_db()

    today = local_date(timezone.now())
    assert local_date(case.csc_referred_at) == today  # the step-up is the referral to CSC
    assert case.stage_due_on == add_working_days(today, 45, REGION)
    # Not overdue from the start, and the deadline timer agrees with the case.
    assert case.stage_due_on > today
    assert _armed_timer(case).scheduled == breach_moment(case.stage_due_on)
    move = StageMove.objects.filter(case=case).latest("moved_at")
    assert move.due_on == case.stage_due_on


def test_the_deadline_timer_does_not_flag_a_late_step_up_overdue(
    early_help_case, lead_practitioner
):
    # Counted from the referral 80 days ago, the assessment would be overdue on arrival and
    # its timer due at once; counted from the step-up, the timer waits for its deadline.
    case = _step_up_to_csc(early_help_case, lead_practitioner)

    assert sweep_due_timers().fired == 0
    case.refresh_from_db()
    assert case.stage_overdue_since is None
    assert _armed_timer(case).scheduled > timezone.now() + timedelta(days=50)


def test_assessment_clock_on_a_route_from_the_front_door_counts_from_the_referral(
    default_version, front_door, lead_practitioner
):
    received = timezone.now() - timedelta(days=2)
    case = open_case(version=default_version, actor=front_door, received_at=received)

    case = take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={
            "significant_harm_suspected": True,
            "continuum_level": "abusive",
            "lead_practitioner": lead_practitioner.pk,
        },
    )
    case.refresh_from_db()

    # The referral itself was the referral to children's social care.
    assert case.csc_referred_at == received
    assert case.stage_due_on == add_working_days(local_date(received), 45, REGION)
    assert _armed_timer(case).scheduled == breach_moment(case.stage_due_on)


def test_a_later_step_up_restarts_the_clock_from_the_new_referral(
    early_help_case, lead_practitioner, manager
):
    case = _step_up_to_csc(early_help_case, lead_practitioner)
    _authorise_assessment(case, by=lead_practitioner)
    first = Case.objects.get(pk=case.pk).csc_referred_at
    case = take_transition(
        case=case,
        transition="csc_steps_down_to_early_help",
        actor=lead_practitioner,
        reason="Assessed: early help can meet the needs",
        data={"closure_reason": "RC9"},
    )
    Case.objects.filter(pk=case.pk).update(csc_referred_at=first - timedelta(days=70))
    case.refresh_from_db()

    case = _step_up_to_csc(case, manager)
    case.refresh_from_db()

    assert local_date(case.csc_referred_at) == local_date(timezone.now())
    assert case.csc_episode_ended_at is None and case.csc_episode_end_reason == ""
    assert case.stage_due_on == add_working_days(local_date(timezone.now()), 45, REGION)


# --- item 6: closure reasons per tier -----------------------------------------------------------


def test_universal_advice_closure_needs_no_census_code(
    default_version, front_door, lead_practitioner, manager
):
    case = open_case(version=default_version, actor=front_door)
    case = take_transition(
        case=case,
        transition="route_to_universal_support",
        actor=front_door,
        data={"continuum_level": "normal"},
    )
    # The manager's team holds the case (a designated lead of theirs).
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead_practitioner)
    before = _written(case)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case,
            transition="close_universal_support",
            actor=manager,
            data={"closure_reason": "RC7"},
        )
    message = refused.value.fields["closure_reason"][0]
    assert refused.value.status_code == 400
    assert message.startswith(
        "The census closure reasons (RC1-RC9) are only for ending a children's social care "
        "episode, and this case has none open;"
    )
    assert "advice_given (Advice given, no further support needed)" in message
    assert _written(case) == before

    case = take_transition(
        case=case,
        transition="close_universal_support",
        actor=manager,
        data={"closure_reason": "advice_given", "outcome": "Parents given advice"},
    )
    case.refresh_from_db()
    assert case.closure_reason == "advice_given"
    assert case.get_closure_reason_display() == "Advice given, no further support needed"
    assert case.csc_episode_ended_at is None


def test_no_further_action_at_the_front_door_has_its_own_reason(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    before = _written(case)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case,
            transition="no_further_action",
            actor=front_door,
            reason="Normal play; advice given by the school",
            data={"closure_reason": "RC8"},
        )
    assert (
        "only for ending a children's social care episode"
        in (refused.value.fields["closure_reason"][0])
    )
    assert _written(case) == before

    case = take_transition(
        case=case,
        transition="no_further_action",
        actor=front_door,
        reason="Normal play; advice given by the school",
        data={"closure_reason": "no_further_action"},
    )
    assert Case.objects.get(pk=case.pk).closure_reason == "no_further_action"


def test_a_closure_without_a_reason_names_the_reasons_it_takes(early_help_case, lead_practitioner):
    before = _written(early_help_case)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=early_help_case, transition="close_early_help", actor=lead_practitioner
        )

    assert refused.value.fields["closure_reason"] == [
        "'Close: early help plan complete' closes with one of: support_completed (Support "
        "completed, needs met), support_declined (Support declined by the child or family), "
        "moved_away (Moved out of the area, case passed on), adult_services (Transferred to "
        "adult services)."
    ]
    assert _written(early_help_case) == before


def test_census_code_required_when_csc_episode_closes(csc_case, lead_practitioner):
    _authorise_assessment(csc_case, by=lead_practitioner)
    Case.objects.filter(pk=csc_case.pk).update(lead_practitioner=lead_practitioner)
    before = _written(csc_case)

    for data in ({}, {"closure_reason": "support_completed"}, {"closure_reason": "RC9"}):
        with pytest.raises(InvalidTransitionData) as refused:
            take_transition(
                case=csc_case,
                transition="close_after_csc_assessment",
                actor=lead_practitioner,
                reason="Assessment complete",
                data=data,
            )
        message = refused.value.fields["closure_reason"][0]
        assert message.startswith(
            "'Close after assessment' ends the case's children's social care episode, which "
            "is recorded with one of the census closure reasons (RC1-RC9) allowed here: "
        )
        assert "RC8 (RC8 Closed after assessment, no further action)" in message
        assert "RC9 (" not in message  # referred to early help: that is the step-down
    assert _written(csc_case) == before

    case = take_transition(
        case=csc_case,
        transition="close_after_csc_assessment",
        actor=lead_practitioner,
        reason="Assessment complete",
        data={"closure_reason": "RC8"},
    )
    case.refresh_from_db()
    assert case.closure_reason == "RC8"
    assert case.csc_episode_ended_at == case.closed_at
    assert case.csc_episode_end_reason == "RC8"


def test_step_down_from_csc_records_episode_end(early_help_case, lead_practitioner):
    case = _step_up_to_csc(early_help_case, lead_practitioner)
    _authorise_assessment(case, by=lead_practitioner)
    before = _written(case)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case,
            transition="csc_steps_down_to_early_help",
            actor=lead_practitioner,
            reason="Assessed: early help can meet the needs",
        )
    assert refused.value.fields["closure_reason"] == [
        "'Step down to early help (RC9)' ends the case's children's social care episode, "
        "which is recorded with one of the census closure reasons (RC1-RC9) allowed here: "
        "RC9 (RC9 Closed after assessment, referred to early help)."
    ]
    assert _written(case) == before

    case = take_transition(
        case=case,
        transition="csc_steps_down_to_early_help",
        actor=lead_practitioner,
        reason="Assessed: early help can meet the needs",
        data={"closure_reason": "RC9"},
    )
    case.refresh_from_db()
    assert case.current_stage.key == "early_help"
    assert case.closed_at is None and case.closure_reason == ""
    assert case.csc_episode_end_reason == "RC9"
    assert case.csc_episode_ended_at == case.stage_entered_at
    assert StageMove.objects.filter(case=case).latest("moved_at").data == {"closure_reason": "RC9"}

    # The child's chronology names the episode's end with its census code.
    entries = child_chronology(child=case.child, user=lead_practitioner)
    assert any(
        "Children's social care episode ended: RC9 Closed after assessment, referred to "
        "early help" in entry.detail
        for entry in entries
    )

    # Back in early help, the case closes as early help does: no census code.
    case = take_transition(
        case=case,
        transition="close_early_help",
        actor=lead_practitioner,
        data={"closure_reason": "support_completed"},
    )
    case.refresh_from_db()
    assert case.closure_reason == "support_completed"
    assert case.csc_episode_end_reason == "RC9"  # the episode's end stands as recorded


def test_a_route_onwards_keeps_the_episode_open(csc_case, lead_practitioner, manager):
    _authorise_assessment(csc_case, by=lead_practitioner)
    Case.objects.filter(pk=csc_case.pk).update(lead_practitioner=lead_practitioner)
    before = _written(csc_case)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=csc_case,
            transition="start_statutory_plan",
            actor=lead_practitioner,
            data={"closure_reason": "RC7"},
        )
    assert refused.value.fields["closure_reason"] == [
        "'Agree plan from social care assessment' closes nothing: a closure reason is recorded "
        "only when a case closes, or steps down out of a children's social care episode."
    ]
    assert _written(csc_case) == before

    case = take_transition(
        case=csc_case, transition="start_statutory_plan", actor=lead_practitioner
    )
    case = take_transition(case=case, transition="review_plan", actor=lead_practitioner)
    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case,
            transition="close_after_review",
            actor=manager,
            data={"closure_reason": "support_completed"},
        )
    assert (
        "ends the case's children's social care episode"
        in (refused.value.fields["closure_reason"][0])
    )
    case = take_transition(
        case=case, transition="close_after_review", actor=manager, data={"closure_reason": "RC7"}
    )
    case.refresh_from_db()
    assert (case.closure_reason, case.csc_episode_end_reason) == ("RC7", "RC7")


def test_the_migration_backfills_the_episode_of_a_case_already_in_csc(
    early_help_case, csc_case, lead_practitioner
):
    # Cases that entered children's social care before the episode was recorded (0013).
    stepped_up = _step_up_to_csc(early_help_case, lead_practitioner)
    moved_at = StageMove.objects.filter(case=stepped_up).latest("moved_at").moved_at
    Case.objects.update(csc_referred_at=None)

    backfill = import_module("cases.migrations.0013_csc_episode").open_episodes
    backfill(apps, None)

    assert Case.objects.get(pk=stepped_up.pk).csc_referred_at == moved_at
    routed = Case.objects.get(pk=csc_case.pk)
    assert routed.csc_referred_at == routed.referral_received_at
