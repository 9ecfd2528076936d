"""viewflow's rows as `cases/process/task_rows.py` writes them, pinned to the viewflow version.

The engine writes viewflow's task, link and process rows itself (9 queries, not viewflow's
20) so they must look exactly as viewflow's own. If a test here fails after upgrading
django-viewflow, re-check task_rows.py against viewflow's Task, Process, STATUS and Token
(and the timer worker, cases/process/timers.py), then update the pins below.
"""

from importlib.metadata import version

import pytest
from django.db import connection
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.process.task_rows import BRANCH
from cases.tests.factories import open_case

RECHECK = "viewflow's rows changed: re-check cases/process/task_rows.py, then update this pin"

VIEWFLOW_VERSION = "2.4.0"

# Task's columns, as `viewflow_task` holds them in viewflow 2.4.0.
TASK_COLUMNS = {
    "id",
    "flow_task",
    "flow_task_type",
    "status",
    "created",
    "assigned",
    "started",
    "finished",
    "scheduled",
    "token",
    "process_id",
    "owner_id",
    "owner_permission",
    "owner_permission_content_type_id",
    "owner_permission_obj_pk",
    "external_task_id",
    "data",
    "artifact_content_type_id",
    "artifact_object_id",
    "seed_content_type_id",
    "seed_object_id",
}
PROCESS_COLUMNS = {
    "id",
    "flow_class",
    "status",
    "created",
    "finished",
    "parent_task_id",
    "data",
    "artifact_content_type_id",
    "artifact_object_id",
    "seed_content_type_id",
    "seed_object_id",
}
# Columns whose values are each row's own (ids, times) or the stage's (data).
OWN_VALUES = {"id", "created", "finished", "scheduled", "data"}


def _columns(model):
    return {field.column for field in model._meta.concrete_fields}


def test_the_installed_viewflow_is_the_version_task_rows_was_checked_against():
    assert version("django-viewflow") == VIEWFLOW_VERSION, RECHECK


def test_viewflows_task_process_and_link_tables_have_the_columns_task_rows_writes():
    assert _columns(Task) == TASK_COLUMNS, RECHECK
    assert _columns(Process) == PROCESS_COLUMNS, RECHECK
    links = Task.previous.through._meta
    assert links.db_table == "viewflow_task_previous", RECHECK
    assert _columns(Task.previous.through) == {"id", "from_task_id", "to_task_id"}, RECHECK
    # `previous` points from a task to the task(s) it follows.
    assert links.get_field("from_task").related_model is Task, RECHECK
    assert links.get_field("to_task").related_model is Task, RECHECK


def test_the_status_values_and_the_token_are_the_strings_task_rows_stores():
    assert (STATUS.NEW, STATUS.DONE, STATUS.CANCELED, STATUS.SCHEDULED) == (
        "NEW",
        "DONE",
        "CANCELED",
        "SCHEDULED",
    ), RECHECK
    assert (PROCESS.NEW, PROCESS.DONE) == ("NEW", "DONE"), RECHECK
    assert str(Token(BRANCH)) == "start", RECHECK
    assert (PathwayFlow.work_stage.task_type, PathwayFlow.work_stage__timeout.task_type) == (
        "HUMAN",
        "TIMER",
    ), RECHECK


def _row(task_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM viewflow_task WHERE id = %s", [task_id])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _shape(row):
    return {column: value for column, value in row.items() if column not in OWN_VALUES}


@pytest.mark.django_db
def test_a_stage_task_and_its_timer_written_by_task_rows_match_those_viewflows_start_writes(
    default_version, front_door
):
    """The first stage's rows are viewflow's own (its start path); the next stage's ours."""
    case = open_case(version=default_version, actor=front_door)
    viewflows_task = _row(case.current_task_id)
    viewflows_timer = _row(
        Task.objects.get(process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout).pk
    )

    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic"},
    )
    our_task = _row(case.current_task_id)
    our_timer = _row(
        Task.objects.get(
            process_id=case.pk,
            flow_task=PathwayFlow.work_stage__timeout,
            status=STATUS.SCHEDULED,
        ).pk
    )

    assert _shape(our_task) == _shape(viewflows_task), RECHECK
    assert _shape(our_timer) == _shape(viewflows_timer), RECHECK
    assert our_timer["scheduled"] is not None
    assert viewflows_task["flow_task"] == "cases/process.flow.PathwayFlow.work_stage"
    # Linked as viewflow links them: the timer follows its stage task, the task the last one.
    assert list(Task.objects.get(pk=our_timer["id"]).previous.values_list("pk", flat=True)) == [
        our_task["id"]
    ]
    assert list(Task.objects.get(pk=our_task["id"]).previous.values_list("pk", flat=True)) == [
        viewflows_task["id"]
    ]
