"""The engine on the default pathway: a case's whole route, and each named refusal."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from agencies.roles import Role
from assessments.models import Assessment, AssessmentStatus
from audit.models import AuditEvent
from cases.models import Case, StageMove
from cases.process.engine import take_transition, transitions_for
from cases.process.flow import PathwayFlow
from cases.tests.factories import open_case
from pathways.exceptions import (
    GuardFailed,
    InvalidTransitionData,
    LeadPractitionerRequired,
    MissingArtefact,
    NotAllowedForRole,
    StaleCase,
    TransitionNotAvailable,
)

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------


def _case_events(case):
    return AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))


def _work_tasks(case):
    return Task.objects.filter(process_id=case.pk, flow_task=PathwayFlow.work_stage)


def _timers(case):
    return Task.objects.filter(process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout)


def _assert_working_one_stage(case):
    """One active work task (the case's), one armed timer after it, every older timer off."""
    case.refresh_from_db()
    active = _work_tasks(case).filter(finished__isnull=True)
    assert [task.pk for task in active] == [case.current_task_id]
    assert active[0].status == STATUS.NEW
    armed = _timers(case).filter(status=STATUS.SCHEDULED)
    assert armed.count() == 1
    assert list(armed[0].previous.values_list("pk", flat=True)) == [case.current_task_id]
    assert set(_timers(case).exclude(pk=armed[0].pk).values_list("status", flat=True)) <= {
        STATUS.CANCELED
    }
    assert case.status == PROCESS.NEW
    assert case.finished is None


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


def _set_lead(case, practitioner):
    # The designation service comes later; the engine only reads the column.
    Case.objects.filter(pk=case.pk).update(lead_practitioner=practitioner)


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def early_help_case(case, front_door, lead_practitioner):
    # Routed into early help with its lead practitioner named in the same step.
    return take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )


# --- the whole route ---------------------------------------------------------------------------


def test_a_case_follows_the_default_pathway_from_referral_to_closure_and_reopens(
    default_version, front_door, lead_practitioner, coordinator, manager
):
    case = open_case(version=default_version, actor=front_door)
    assert case.current_stage.key == "initial_decision"
    _assert_working_one_stage(case)
    versions = [case.lock_version]

    # Early help needs a lead practitioner: the routing names one in the same step.
    with pytest.raises(LeadPractitionerRequired) as refused:
        take_transition(
            case=case,
            transition="route_to_early_help",
            actor=front_door,
            data={"continuum_level": "problematic"},
        )
    assert list(refused.value.fields) == ["lead_practitioner"]
    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    assert case.current_stage.key == "early_help"
    assert case.confirmed_continuum_level == "problematic"
    assert case.lead_practitioner == lead_practitioner
    _assert_working_one_stage(case)
    versions.append(case.lock_version)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case,
            transition="step_up_to_hsb_panel",
            actor=lead_practitioner,
            data={"continuum_level": "abusive"},
        )
    assert "reason" in refused.value.fields
    case = take_transition(
        case=case,
        transition="step_up_to_hsb_panel",
        actor=lead_practitioner,
        reason="Behaviour escalated at school",
        data={"continuum_level": "abusive"},
    )
    assert case.current_stage.key == "hsb_panel"
    _assert_working_one_stage(case)
    versions.append(case.lock_version)

    case = take_transition(case=case, transition="agree_specialist_assessment", actor=coordinator)
    assert case.current_stage.key == "specialist_assessment"
    _assert_working_one_stage(case)

    with pytest.raises(MissingArtefact) as refused:
        take_transition(case=case, transition="start_specialist_plan", actor=coordinator)
    assert refused.value.extra["artefacts"] == ["authorised_assessment"]
    _authorise_assessment(case, by=coordinator)
    case = take_transition(case=case, transition="start_specialist_plan", actor=coordinator)
    assert case.current_stage.key == "plan_and_intervention"
    _assert_working_one_stage(case)

    case = take_transition(case=case, transition="review_plan", actor=lead_practitioner)
    assert case.current_stage.key == "review"
    _assert_working_one_stage(case)

    case = take_transition(
        case=case,
        transition="review_steps_down_to_early_help",
        actor=manager,
        reason="Risk reduced; early help can hold the plan",
    )
    assert case.current_stage.key == "early_help"
    _assert_working_one_stage(case)

    case = take_transition(
        case=case,
        transition="close_early_help",
        actor=lead_practitioner,
        data={"closure_reason": "support_completed", "outcome": "Plan complete"},
    )
    case.refresh_from_db()
    assert case.current_stage.key == "closed"
    assert case.closure_reason == "support_completed"
    assert case.closed_at is not None
    assert case.current_task_id is None
    assert case.stage_due_on is None
    assert case.status == PROCESS.DONE
    assert case.finished is not None
    assert not Task.objects.filter(process_id=case.pk, finished__isnull=True).exists()
    assert not _timers(case).filter(status=STATUS.SCHEDULED).exists()

    case = take_transition(
        case=case, transition="reopen", actor=front_door, reason="New incident reported"
    )
    case.refresh_from_db()
    assert case.current_stage.key == "initial_decision"
    assert case.closed_at is None
    assert case.closure_reason == ""
    _assert_working_one_stage(case)

    moves = list(StageMove.objects.filter(case=case).select_related("from_stage", "to_stage"))
    assert [(m.kind, m.from_stage and m.from_stage.key, m.to_stage.key) for m in moves] == [
        ("start", None, "initial_decision"),
        ("route", "initial_decision", "early_help"),
        ("step_up", "early_help", "hsb_panel"),
        ("route", "hsb_panel", "specialist_assessment"),
        ("route", "specialist_assessment", "plan_and_intervention"),
        ("route", "plan_and_intervention", "review"),
        ("step_down", "review", "early_help"),
        ("close", "early_help", "closed"),
        ("reopen", "closed", "initial_decision"),
    ]
    assert [m.transition.key for m in moves[1:]] == [
        "route_to_early_help",
        "step_up_to_hsb_panel",
        "agree_specialist_assessment",
        "start_specialist_plan",
        "review_plan",
        "review_steps_down_to_early_help",
        "close_early_help",
        "reopen",
    ]
    assert moves[2].reason == "Behaviour escalated at school"
    assert moves[2].actor == lead_practitioner
    assert moves[7].data == {"closure_reason": "support_completed", "outcome": "Plan complete"}
    assert moves[7].due_on is None

    events = list(_case_events(case))
    assert [event.action for event in events] == [
        "case.opened",
        "case.route",
        "case.lead_designated",
        "case.step_up",
        "case.route",
        "case.route",
        "case.route",
        "case.step_down",
        "case.close",
        "case.reopen",
    ]
    assert events[1].changes["stage"] == ["initial_decision", "early_help"]
    assert events[1].changes["confirmed_continuum_level"] == ["", "problematic"]
    assert events[1].changes["transition"] == "route_to_early_help"
    assert events[1].changes["lead_practitioner"] == [None, lead_practitioner.pk]
    assert events[3].actor_role == Role.LEAD_PRACTITIONER
    assert events[3].reason == "Behaviour escalated at school"

    # Each move bumps the version by one; the seven stages worked before closure are done,
    # each task following the one before; the reopened case starts a fresh task.
    assert versions == [1, 2, 3]
    assert case.lock_version == 9
    done = list(_work_tasks(case).filter(status=STATUS.DONE).order_by("pk"))
    assert len(done) == 7
    for earlier, later in pairwise(done):
        assert list(later.previous.values_list("pk", flat=True)) == [earlier.pk]
    reopened = Task.objects.get(pk=case.current_task_id)
    assert reopened.data == {"stage": "initial_decision"}
    assert not reopened.previous.exists()


def test_each_move_records_the_due_date_of_the_stage_it_enters(early_help_case):
    move = StageMove.objects.filter(case=early_help_case).last()
    assert move.due_on == early_help_case.stage_due_on
    assert move.due_on is not None


def test_the_actor_sees_only_the_transitions_their_role_may_take(
    case, front_door, lead_practitioner
):
    options = {
        option.transition.key: option for option in transitions_for(case=case, actor=front_door)
    }

    # The child displaying HSB's routes: the child harmed's are not offered on this case.
    assert list(options) == [
        "route_to_universal_support",
        "route_to_early_help",
        "refer_to_hsb_panel",
        "open_csc_assessment",
        "no_further_action",
    ]
    # Nothing confirmed yet: the level guards fail until the decision supplies one.
    assert options["route_to_early_help"].failed_guards == ["continuum_level_in"]
    assert not options["route_to_early_help"].ready
    assert options["no_further_action"].ready
    assert transitions_for(case=case, actor=lead_practitioner) == []


def test_an_assessment_authorised_before_the_stage_began_does_not_count(
    early_help_case, lead_practitioner, coordinator
):
    case = take_transition(
        case=early_help_case,
        transition="step_up_to_hsb_panel",
        actor=lead_practitioner,
        reason="Escalated",
        data={"continuum_level": "abusive"},
    )
    _authorise_assessment(case, by=coordinator)  # authorised at the panel, not the assessment
    case = take_transition(case=case, transition="agree_specialist_assessment", actor=coordinator)

    with pytest.raises(MissingArtefact) as refused:
        take_transition(case=case, transition="start_specialist_plan", actor=coordinator)

    assert refused.value.extra["artefacts"] == ["authorised_assessment"]


def test_significant_harm_opens_a_social_care_assessment_due_from_the_referral(
    default_version, front_door, lead_practitioner
):
    received = timezone.now() - timedelta(days=14)
    case = open_case(version=default_version, actor=front_door, received_at=received)

    case = take_transition(
        case=case,
        transition="open_csc_assessment",
        actor=front_door,
        data={"significant_harm_suspected": True, "lead_practitioner": lead_practitioner.pk},
    )

    from pathways.deadlines import local_date
    from pathways.working_days import add_working_days

    assert case.current_stage.key == "csc_assessment"
    assert case.significant_harm_suspected is True
    assert case.stage_due_on == add_working_days(local_date(received), 45, "ENG")


# --- refusals ----------------------------------------------------------------------------------


def test_a_role_the_transition_does_not_allow_is_refused_with_403(case, lead_practitioner):
    with pytest.raises(NotAllowedForRole) as refused:
        take_transition(
            case=case,
            transition="route_to_early_help",
            actor=lead_practitioner,
            data={"continuum_level": "problematic"},
        )

    assert refused.value.status_code == 403
    assert refused.value.code == "not_allowed_for_role"
    assert refused.value.extra["allowed_roles"] == ["front_door", "team_manager"]


def test_a_failing_guard_is_named(case, front_door):
    with pytest.raises(GuardFailed) as refused:
        take_transition(
            case=case,
            transition="refer_to_hsb_panel",
            actor=front_door,
            data={"continuum_level": "inappropriate"},
        )

    assert refused.value.status_code == 400
    assert refused.value.extra["guards"] == ["continuum_level_in"]
    assert "confirmed continuum level is one of" in refused.value.message
    assert "abusive" in refused.value.message


def test_a_guard_reads_the_level_already_confirmed_on_the_case(early_help_case, manager):
    # Confirmed "problematic" at the front door; a panel referral needs abusive or violent.
    with pytest.raises(GuardFailed):
        take_transition(
            case=early_help_case,
            transition="step_up_to_csc_assessment",
            actor=manager,
            reason="Concern",
            data={"continuum_level": "problematic"},
        )


def test_a_missing_artefact_is_named(early_help_case, manager):
    # A case that reached early help without a lead (before leads were named with the move).
    _set_lead(early_help_case, None)

    with pytest.raises(MissingArtefact) as refused:
        take_transition(
            case=early_help_case,
            transition="close_early_help",
            actor=manager,
            data={"closure_reason": "support_completed"},
        )

    assert refused.value.status_code == 400
    assert refused.value.code == "missing_artefact"
    assert refused.value.extra["artefacts"] == ["lead_practitioner"]
    assert "a designated lead practitioner" in refused.value.message


def test_closing_without_a_closure_reason_is_refused_on_the_field(
    early_help_case, lead_practitioner
):
    # The reasons a closure takes are the pathway's (cases/tests/process/test_csc_episode.py).
    _set_lead(early_help_case, lead_practitioner)

    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=early_help_case, transition="close_early_help", actor=lead_practitioner
        )

    assert refused.value.status_code == 400
    assert refused.value.fields["closure_reason"][0].startswith(
        "'Close: early help plan complete' closes with one of: support_completed"
    )


def test_a_case_loaded_before_another_move_is_stale(case, front_door, lead_practitioner):
    # Two practitioners load version 1; the first moves the case.
    same_case_elsewhere = Case.objects.get(pk=case.pk)
    take_transition(
        case=same_case_elsewhere,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )

    with pytest.raises(StaleCase) as refused:
        take_transition(
            case=case,
            transition="no_further_action",
            actor=front_door,
            reason="Duplicate",
            data={"closure_reason": "no_further_action"},
        )

    assert refused.value.status_code == 409
    assert refused.value.extra == {"current_version": 2, "current_stage": "early_help"}


def test_an_expected_version_behind_the_case_is_stale(early_help_case, manager):
    assert early_help_case.lock_version == 2

    with pytest.raises(StaleCase):
        take_transition(
            case=early_help_case,
            transition="step_up_to_hsb_panel",
            actor=manager,
            reason="Escalated",
            data={"continuum_level": "abusive"},
            expected_version=1,
        )


def test_a_transition_that_does_not_leave_the_current_stage_is_not_available(case, manager):
    with pytest.raises(TransitionNotAvailable) as refused:
        take_transition(case=case, transition="agree_specialist_assessment", actor=manager)

    assert refused.value.status_code == 409
    assert refused.value.extra["current_stage"] == "initial_decision"


def test_a_transition_the_version_does_not_have_is_not_available(case, front_door):
    with pytest.raises(TransitionNotAvailable) as refused:
        take_transition(case=case, transition="teleport", actor=front_door)

    assert refused.value.fields == {"transition": ["teleport"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"closure_reason": "RC99"}, "closure_reason"),
        ({"closure_reason": "RC1", "continuum_level": "extreme"}, "continuum_level"),
        (
            {"closure_reason": "RC8", "significant_harm_suspected": "yes"},
            "significant_harm_suspected",
        ),
        ({"closure_reason": "RC8", "favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_transition_data_gives_field_errors(case, front_door, data, field):
    with pytest.raises(InvalidTransitionData) as refused:
        take_transition(
            case=case, transition="no_further_action", actor=front_door, reason="NFA", data=data
        )

    assert refused.value.status_code == 400
    assert list(refused.value.fields) == [field]


def _snapshot(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    tasks = sorted(Task.objects.filter(process_id=case.pk).values_list("pk", "status", "finished"))
    return {
        "case": row,
        "tasks": tasks,
        "moves": StageMove.objects.filter(case_id=case.pk).count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.mark.parametrize(
    ("role", "transition", "kwargs", "error"),
    [
        (Role.LEAD_PRACTITIONER, "route_to_early_help", {}, NotAllowedForRole),
        (
            Role.FRONT_DOOR,
            "refer_to_hsb_panel",
            {"data": {"continuum_level": "inappropriate"}},
            GuardFailed,
        ),
        # No closure reason, then a census code where no children's social care episode ends.
        (Role.FRONT_DOOR, "no_further_action", {"reason": "NFA"}, InvalidTransitionData),
        (
            Role.FRONT_DOOR,
            "no_further_action",
            {"reason": "NFA", "data": {"closure_reason": "RC8"}},
            InvalidTransitionData,
        ),
        (Role.FRONT_DOOR, "no_further_action", {}, InvalidTransitionData),
        (
            Role.FRONT_DOOR,
            "no_further_action",
            {"reason": "NFA", "data": {"closure_reason": "RC0"}},
            InvalidTransitionData,
        ),
        (Role.FRONT_DOOR, "route_to_early_help", {"expected_version": 0}, StaleCase),
        (Role.TEAM_MANAGER, "continue_plan", {}, TransitionNotAvailable),
    ],
)
def test_a_refused_transition_writes_nothing(case, make_user, role, transition, kwargs, error):
    before = _snapshot(case)

    with pytest.raises(error):
        take_transition(case=case, transition=transition, actor=make_user(role), **kwargs)

    assert _snapshot(case) == before
