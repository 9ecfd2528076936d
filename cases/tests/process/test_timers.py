"""Stage deadlines: viewflow's `workflow_timers` fires each stage's boundary timer once.

The timer is non-interrupting: a late stage is flagged and escalated, and the work goes on.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditEvent
from cases.models import Case
from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.tests.factories import open_case
from pathways.deadlines import breach_moment

pytestmark = pytest.mark.django_db


def _timers(case):
    return Task.objects.filter(process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout)


def _move_time_past_deadline(case):
    """Pretend the stage's breach moment has passed: the scheduled timer becomes due."""
    moved = (
        _timers(case)
        .filter(status=STATUS.SCHEDULED)
        .update(scheduled=timezone.now() - timedelta(minutes=1))
    )
    assert moved == 1


def _run_timers():
    call_command("workflow_timers", stdout=_Discard())


class _Discard:
    def write(self, _text):
        pass


def _overdue_events(case):
    return AuditEvent.objects.filter(
        action="case.stage_overdue", object_type="cases.case", object_id=str(case.pk)
    )


def test_a_new_stage_arms_one_timer_at_the_start_of_the_day_after_it_is_due(
    default_version, front_door
):
    case = open_case(version=default_version, actor=front_door)

    timer = _timers(case).get()
    assert timer.status == STATUS.SCHEDULED
    assert timer.scheduled == breach_moment(case.stage_due_on)
    assert list(timer.previous.values_list("pk", flat=True)) == [case.current_task_id]


def test_a_timer_that_is_not_yet_due_does_not_fire(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)

    _run_timers()

    case.refresh_from_db()
    assert case.stage_overdue_since is None
    assert _timers(case).get().status == STATUS.SCHEDULED
    assert not _overdue_events(case).exists()


def test_a_passed_deadline_flags_the_stage_overdue_and_escalates_exactly_once(
    default_version, front_door
):
    case = open_case(version=default_version, actor=front_door)
    work_task_id = case.current_task_id
    _move_time_past_deadline(case)

    _run_timers()
    _run_timers()

    case.refresh_from_db()
    assert case.stage_overdue_since is not None
    events = list(_overdue_events(case))
    assert len(events) == 1
    assert events[0].actor is None
    assert events[0].changes["stage"] == "initial_decision"
    assert events[0].changes["due_on"] == case.stage_due_on.isoformat()
    assert events[0].changes["escalated_to_role"] == "team_manager"
    assert _timers(case).get().status == STATUS.DONE
    assert not Task.objects.filter(process_id=case.pk, status=STATUS.ERROR).exists()
    # Non-interrupting: the stage's work task is still the active one.
    assert case.current_task_id == work_task_id
    assert Task.objects.get(pk=work_task_id).status == STATUS.NEW
    assert case.finished is None


def test_an_overdue_case_can_still_move_and_the_next_stage_starts_on_time(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    _move_time_past_deadline(case)
    _run_timers()
    case.refresh_from_db()
    assert case.stage_overdue_since is not None

    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )

    case.refresh_from_db()
    assert case.current_stage.key == "early_help"
    assert case.stage_overdue_since is None
    assert _timers(case).filter(status=STATUS.SCHEDULED).count() == 1
    assert _timers(case).get(status=STATUS.SCHEDULED).scheduled == breach_moment(case.stage_due_on)


def test_the_timer_of_a_stage_already_left_is_cancelled_and_never_escalates(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    first_timer = _timers(case).get()
    take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    _timers(case).filter(pk=first_timer.pk).update(scheduled=timezone.now() - timedelta(days=3))

    _run_timers()

    first_timer.refresh_from_db()
    assert first_timer.status == STATUS.CANCELED
    assert Case.objects.get(pk=case.pk).stage_overdue_since is None
    assert not _overdue_events(case).exists()


def test_a_timer_that_fires_after_its_stage_was_left_does_not_flag_the_new_stage(
    default_version, front_door, lead_practitioner
):
    # The race: the dispatcher picked the timer before the move cancelled it.
    case = open_case(version=default_version, actor=front_door)
    first_timer = _timers(case).get()
    take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    _timers(case).filter(pk=first_timer.pk).update(
        status=STATUS.SCHEDULED, finished=None, scheduled=timezone.now() - timedelta(days=3)
    )

    _run_timers()

    first_timer.refresh_from_db()
    assert first_timer.status == STATUS.DONE
    case.refresh_from_db()
    assert case.current_stage.key == "early_help"
    assert case.stage_overdue_since is None
    assert not _overdue_events(case).exists()
    assert Task.objects.get(pk=case.current_task_id).status == STATUS.NEW
