"""PathwayFlow has only the nodes a case passes through: each one runs on some path."""

from datetime import timedelta

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.process.timers import run_pass
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def test_every_node_of_the_flow_runs_on_a_case_that_moves_and_goes_overdue(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)  # start, work_stage
    case = take_transition(  # work_stage after work_stage, written by the engine
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    Task.objects.filter(
        process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
    ).update(scheduled=timezone.now() - timedelta(minutes=1))
    assert run_pass().fired == 1  # work_stage__timeout, flag_stage_overdue, escalated

    ran = {task.flow_task for task in Task.objects.filter(process_id=case.pk)}
    assert ran == set(PathwayFlow.instance.nodes())


def test_a_new_stage_task_follows_the_last_one_as_the_flow_draws_it():
    (edge,) = [e for e in PathwayFlow.work_stage._outgoing() if e.edge_class == "next"]
    assert edge.dst is PathwayFlow.work_stage
