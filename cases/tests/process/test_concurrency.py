"""Two practitioners (or a practitioner and the timer dispatcher) acting on one case at once.

The row lock (viewflow's `select_for_update_lock`) serialises them; the version check turns
the loser into a conflict instead of a second move. Only PostgreSQL has real row locks.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditEvent
from cases.models import Case, StageMove
from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.tests.factories import open_case
from cases.tests.process.threads import run_at_once
from pathways.exceptions import CaseBusy, StaleCase, TransitionNotAvailable

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _loaded(case):
    """The case as one practitioner's request loaded it."""
    return Case.objects.get(pk=case.pk)


def test_two_practitioners_moving_the_same_case_at_once_make_exactly_one_move(
    default_version, front_door, manager, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    first, second = _loaded(case), _loaded(case)
    assert first.lock_version == second.lock_version == 1

    outcomes = run_at_once(
        lambda: take_transition(
            case=first,
            transition="route_to_early_help",
            actor=front_door,
            data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
        ),
        lambda: take_transition(
            case=second,
            transition="refer_to_hsb_panel",
            actor=manager,
            data={"continuum_level": "abusive"},
        ),
    )

    moved = [outcome for outcome in outcomes if isinstance(outcome, Case)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(moved) == 1, outcomes
    assert len(refused) == 1, outcomes
    # The loser waits for the winner's lock (or, on a box too slow to finish within the
    # lock's wait, is told the case is busy): a conflict either way.
    assert isinstance(refused[0], StaleCase | TransitionNotAvailable | CaseBusy)
    assert refused[0].status_code == 409

    case.refresh_from_db()
    assert case.lock_version == 2
    assert case.current_stage_id == moved[0].current_stage_id
    assert StageMove.objects.filter(case=case).exclude(kind="start").count() == 1
    assert (
        Task.objects.filter(
            process_id=case.pk, flow_task=PathwayFlow.work_stage, finished__isnull=True
        ).count()
        == 1
    )
    assert (
        Task.objects.filter(
            process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
        ).count()
        == 1
    )


def test_the_same_transition_sent_twice_at_once_moves_the_case_once(
    default_version, front_door, lead_practitioner
):
    # A double-clicked button: both requests carry the version the page was loaded at.
    case = open_case(version=default_version, actor=front_door)
    call = lambda: take_transition(  # noqa: E731
        case=_loaded(case),
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
        expected_version=1,
    )

    outcomes = run_at_once(call, call)

    assert sum(isinstance(outcome, Case) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, StaleCase | CaseBusy) for outcome in outcomes) == 1, outcomes
    assert StageMove.objects.filter(case=case, kind="route").count() == 1
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="case.route").count() == 1


def test_a_deadline_firing_while_the_case_moves_never_flags_the_new_stage(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    Task.objects.filter(
        process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
    ).update(scheduled=timezone.now() - timedelta(minutes=1))

    outcomes = run_at_once(
        lambda: take_transition(
            case=_loaded(case),
            transition="route_to_early_help",
            actor=front_door,
            data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
        ),
        lambda: call_command("workflow_timers", stdout=open("/dev/null", "w")),  # noqa: SIM115
    )

    assert isinstance(outcomes[0], Case), outcomes
    case.refresh_from_db()
    assert case.current_stage.key == "early_help"
    # Whichever went first, the new stage is not overdue and nothing failed.
    assert case.stage_overdue_since is None
    assert not Task.objects.filter(process_id=case.pk, status=STATUS.ERROR).exists()
    assert AuditEvent.objects.filter(
        object_id=str(case.pk), action="case.stage_overdue"
    ).count() in (0, 1)
