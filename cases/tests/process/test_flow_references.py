"""Migration cases 0009 renames the flow viewflow stored for cases opened before it moved.

viewflow keeps the flow class and each task's node as strings; a deployment's rows written
when the flow lived in pathways/flows.py must still load their flow and fire their timers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from cases.models import Case
from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.process.timers import run_pass
from cases.tests.factories import open_case

BEFORE_THE_MOVE = ("cases", "0008_caseuserobjectpermission_expires_at")
OLD, NEW = "pathways/flows.PathwayFlow", "cases/process.flow.PathwayFlow"


def _stored(case_id: int) -> tuple[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT flow_class FROM viewflow_process WHERE id = %s", [case_id])
        (flow_class,) = cursor.fetchone()
        cursor.execute("SELECT flow_task FROM viewflow_task WHERE process_id = %s", [case_id])
        return flow_class, {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_the_move_load_their_flow_and_fire_their_timer(
    default_version, front_door, lead_practitioner
):
    case = open_case(version=default_version, actor=front_door)
    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
    )
    Task.objects.filter(
        process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
    ).update(scheduled=timezone.now() - timedelta(minutes=1))
    nodes = {f"{NEW}.start", f"{NEW}.work_stage", f"{NEW}.work_stage__timeout"}
    assert _stored(case.pk) == (NEW, nodes)

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE_THE_MOVE])  # the rows as a deployment holds them before 0009
    assert _stored(case.pk) == (OLD, {node.replace(NEW, OLD) for node in nodes})
    MigrationExecutor(connection).migrate(latest)

    assert _stored(case.pk) == (NEW, nodes)
    reloaded = Case.objects.get(pk=case.pk)
    assert reloaded.flow_class is PathwayFlow
    assert Task.objects.get(pk=reloaded.current_task_id).flow_task is PathwayFlow.work_stage
    assert run_pass().fired == 1  # the deadline timer still fires through viewflow
    reloaded.refresh_from_db()
    assert reloaded.stage_overdue_since is not None
