"""Every row of viewflow's that the case process writes by hand: tasks, their links, the process.

viewflow's activation path costs about 20 queries per task (4 of them permission checks the
services already made); moving a case writes the same rows directly in far fewer, which keeps
a transition under 10 ms on PostgreSQL (`benchmarks/transitions.py`). The price is that these
rows must look exactly as viewflow's own would, for the timer worker, which fires deadlines
through viewflow's activation, and for viewflow's task queries. So they are written here and
nowhere else, and `cases/tests/process/test_task_rows.py`, pinned to the installed viewflow
version, fails when viewflow changes the shape of its rows: re-check this module then.

The rows, per stage entry: a NEW `work_stage` task with the stage key in its data; while the
stage has a deadline, a SCHEDULED `work_stage__timeout` timer at the breach moment, linked to
the work task (timer -> work task); and a link from the new work task back to the one it
follows. Leaving a stage makes its work task DONE and cancels its armed timer. Both carry the
"start" token, as viewflow's own start path gives them.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case as SqlCase
from django.db.models import Q, Value, When
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from .flow import PathwayFlow

# viewflow's token names the branch a task is on; the flow has no splits, so it is always "start".
BRANCH = "start"


def current_stage_task(case_id: int) -> Task:
    """The open work task viewflow's start node has just written for a new case."""
    return Task.objects.get(
        process_id=case_id, flow_task=PathwayFlow.work_stage, finished__isnull=True
    )


def leave_stage(*, case_id: int, work_task_id: int | None, now: datetime) -> None:
    """Finish the stage's work task and cancel its armed deadline timer, in one statement."""
    timeout_node = PathwayFlow.work_stage__timeout
    Task.objects.filter(
        Q(pk=work_task_id) | Q(process_id=case_id, flow_task=timeout_node, status=STATUS.SCHEDULED)
    ).update(
        status=SqlCase(
            When(pk=work_task_id, then=Value(STATUS.DONE)),
            default=Value(STATUS.CANCELED),
        ),
        finished=now,
    )


def enter_stage(
    *, case_id: int, stage_key: str, breach_at: datetime | None, follows_task_id: int | None
) -> Task:
    """Open the stage's work task, arm its deadline timer (`breach_at`, if any) and link both.

    `follows_task_id`: the work task of the stage just left (None for a reopened case, which
    has none to follow on from). Two INSERTs of tasks and one of links.
    """
    work_task = Task(
        process_id=case_id,
        flow_task=PathwayFlow.work_stage,
        flow_task_type=PathwayFlow.work_stage.task_type,
        status=STATUS.NEW,
        token=Token(BRANCH),
        data={"stage": stage_key},
    )
    tasks = [work_task]
    if breach_at is not None:
        tasks.append(_deadline_timer(case_id, breach_at))
    Task.objects.bulk_create(tasks)
    links = Task.previous.through
    rows = [links(from_task_id=timer.pk, to_task_id=work_task.pk) for timer in tasks[1:]]
    if follows_task_id is not None:
        rows.append(links(from_task_id=work_task.pk, to_task_id=follows_task_id))
    links.objects.bulk_create(rows)
    return work_task


def rearm_deadline(
    *,
    case_id: int,
    work_task_id: int | None,
    stage_key: str,
    breach_at: datetime | None,
    now: datetime,
) -> None:
    """Cancel the stage's armed timer and arm one for a new deadline (a migrated case).

    The work task stays open and takes the new stage's key.
    """
    timeout_node = PathwayFlow.work_stage__timeout
    Task.objects.filter(process_id=case_id, flow_task=timeout_node, status=STATUS.SCHEDULED).update(
        status=STATUS.CANCELED, finished=now
    )
    if work_task_id is None:
        return
    work_task = Task.objects.get(pk=work_task_id)
    work_task.data = {**(work_task.data or {}), "stage": stage_key}
    work_task.save(update_fields=["data"])
    if breach_at is None:
        return
    timer = _deadline_timer(case_id, breach_at)
    timer.save(force_insert=True)
    timer.previous.add(work_task)


def finish_process(*, case_id: int, now: datetime) -> None:
    """The viewflow process row finishes with the case (a closing move)."""
    Process.objects.filter(pk=case_id).update(status=PROCESS.DONE, finished=now)


def revive_process(*, case_id: int) -> None:
    """The viewflow process row is open again with the case (a reopening move)."""
    Process.objects.filter(pk=case_id).update(status=PROCESS.NEW, finished=None)


def _deadline_timer(case_id: int, breach_at: datetime) -> Task:
    timeout_node = PathwayFlow.work_stage__timeout
    return Task(
        process_id=case_id,
        flow_task=timeout_node,
        flow_task_type=timeout_node.task_type,
        status=STATUS.SCHEDULED,
        token=Token(BRANCH),
        scheduled=breach_at,
    )
