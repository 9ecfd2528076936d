"""viewflow's rows as `cases/process/task_rows.py` writes them, pinned to the viewflow version.

The engine writes viewflow's task, link and process rows itself (one statement for a new
case or a move, where viewflow's activations take about 20) so they must look exactly as
viewflow's own: here they are compared with the rows viewflow's own start path writes for the
same flow. If a test here fails after upgrading django-viewflow, re-check task_rows.py
against viewflow's Task, Process, STATUS and Token (and the timer worker,
cases/process/timers.py), then update the pins below.
"""

from importlib.metadata import version

import pytest
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from cases.process import task_rows
from cases.process.engine import take_transition
from cases.process.flow import PathwayFlow
from cases.process.task_rows import BRANCH
from cases.tests.factories import ChildFactory, open_case
from pathways.compiled import compiled_version

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
# Columns whose values are each row's own (ids, its case, times) or the stage's (data).
OWN_VALUES = {"id", "process_id", "created", "started", "finished", "scheduled", "data"}


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


def _row(task_id, table="viewflow_task"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [task_id])  # noqa: S608
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _shape(row):
    return {column: value for column, value in row.items() if column not in OWN_VALUES}


def _started_by_viewflow(version):
    """A case started through viewflow's own start path (its StartHandle and activations):
    the rows task_rows.py must reproduce. The case's current task is then its work task, as
    the engine keeps it."""
    case = PathwayFlow.start.run(
        child=ChildFactory(area=version.pathway.area),
        involvement="displaying_hsb",
        compiled=compiled_version(version.pk),
        referral=None,
        referral_received_at=timezone.now(),
        facts={},
    )
    case.current_task = Task.objects.get(process_id=case.pk, flow_task=PathwayFlow.work_stage)
    case.save(update_fields=["current_task"])
    return case


def _tasks(case):
    """The case's rows by node: {node name: [rows]}, oldest first."""
    rows: dict[str, list[dict]] = {}
    for task in Task.objects.filter(process_id=case.pk).order_by("pk"):
        rows.setdefault(task.flow_task.name, []).append(_row(task.pk))
    return rows


def _links(case):
    """Task.previous as (node, node it follows) pairs."""
    through = Task.previous.through.objects.filter(from_task__process_id=case.pk)
    return sorted(
        (link.from_task.flow_task.name, link.to_task.flow_task.name)
        for link in through.select_related("from_task", "to_task")
    )


@pytest.fixture(params=["one statement", "in turn"])
def writing(request, monkeypatch):
    """Both ways task_rows writes: PostgreSQL's one statement of CTEs, and the statements one
    at a time that SQLite (the embedded demo) gets, run here on the suite's database."""
    if request.param == "in turn":
        monkeypatch.setattr(task_rows._Statement, "run", task_rows._Statement._run_in_turn)
    return request.param


@pytest.mark.django_db
def test_a_new_case_has_the_rows_viewflows_start_path_writes(default_version, front_door, writing):
    viewflows = _started_by_viewflow(default_version)
    ours = open_case(version=default_version, actor=front_door)

    assert _shape(_row(ours.pk, "viewflow_process")) == _shape(
        _row(viewflows.pk, "viewflow_process")
    ), RECHECK
    their_tasks, our_tasks = _tasks(viewflows), _tasks(ours)
    assert our_tasks.keys() == their_tasks.keys() == {"start", "work_stage", "work_stage__timeout"}
    for node, rows in their_tasks.items():
        assert [_shape(row) for row in our_tasks[node]] == [_shape(row) for row in rows], RECHECK
    assert (
        _links(ours)
        == _links(viewflows)
        == [
            ("work_stage", "start"),
            ("work_stage__timeout", "work_stage"),
        ]
    ), RECHECK
    # Both started and finished, ours the moment the case opened (viewflow's a little apart).
    assert all(our_tasks["start"][0][moment] is not None for moment in ("started", "finished"))
    # Ours name the stage on the work task, as every later stage's does.
    assert Task.objects.get(pk=ours.current_task_id).data == {"stage": "initial_decision"}
    assert ours.current_task_id == our_tasks["work_stage"][0]["id"]
    assert ours.current_task_id == type(ours).objects.get(pk=ours.pk).current_task_id


@pytest.mark.django_db
def test_a_stage_task_and_its_timer_written_by_task_rows_match_those_viewflows_start_writes(
    default_version, front_door, writing, lead_practitioner
):
    """The first stage's rows are viewflow's own (its start path); the next stage's ours."""
    case = _started_by_viewflow(default_version)
    viewflows_task = _row(case.current_task_id)
    viewflows_timer = _row(
        Task.objects.get(process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout).pk
    )

    case = take_transition(
        case=case,
        transition="route_to_early_help",
        actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
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
    # The stage left: its task done, its timer cancelled, both finished at the move.
    left, cancelled = _row(viewflows_task["id"]), _row(viewflows_timer["id"])
    assert (left["status"], cancelled["status"]) == (STATUS.DONE, STATUS.CANCELED)
    assert left["finished"] == cancelled["finished"] is not None
