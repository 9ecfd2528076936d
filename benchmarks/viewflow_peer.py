"""viewflow's own cost, measured beside ours: a minimal flow driven as viewflow drives it.

    start -> task_1 -> task_2 -> end

Two human tasks (`flow.View`) completed through viewflow's activation API exactly as its
own pages do, with its recommended PostgreSQL lock (`SELECT … FOR UPDATE NOWAIT` on the
process row) and no audit trail: a plain viewflow app. The benchmarks use it as the peer
that the case engine is compared with in the same run (`benchmarks/transitions.py`, the
workflow benchmark).

- `complete_task` is one task completion: the bodies of viewflow's assign view
  (`AssignTaskView` under `wrap_task_view`) and of its task view (`UpdateProcessView` under
  `wrap_view`: start, save the process, execute, which completes the task and creates the
  next) in ONE locked, committed transaction. viewflow's pages take two POSTs (two commits)
  for this; one commit is the cheaper, stricter peer. No owner permission on the tasks, so
  viewflow checks none (a permission would add its queries).
- `start_process` is viewflow's start view (`wrap_start_view` and `CreateProcessView`).

The flow lives in an app (`benchmarks`, installed by the test settings only) because
viewflow stores flows and nodes as "app_label/module.Class" references.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import CreateProcessView, UpdateProcessView
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS


class PeerFlow(flow.Flow):
    process_title = "Benchmark peer (viewflow)"
    lock_impl = lock.select_for_update_lock

    start = flow.Start(CreateProcessView.as_view(fields=[])).Next(this.task_1)
    task_1 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.task_2)
    task_2 = flow.View(UpdateProcessView.as_view(fields=[])).Next(this.end)
    end = flow.End()


def _request(user: Any) -> HttpRequest:
    request = HttpRequest()
    request.method = "POST"
    request.user = user
    return request


def start_process(user: Any) -> Process:
    """viewflow's start view on POST: create the activation, check, start, save, execute."""
    node = PeerFlow.start
    activation = node.activation_class.create(node, None, None)
    if not node.can_execute(user, activation.task):
        raise PermissionDenied
    with transaction.atomic():
        activation.start(_request(user))
        activation.process.save()  # CreateProcessView.form_valid: form.save()
        activation.execute()
    return activation.process


def _task_activation(task_pk: int) -> Any:
    # wrap_task_view / wrap_view: the task by pk, refused unless it is this flow's.
    task = Task.objects.get(pk=task_pk)
    if task.process.flow_class != PeerFlow:
        raise Http404("No task matches the given query.")
    return task.flow_task.activation_class(task)


def complete_task(*, process_pk: int, task_pk: int, user: Any) -> None:
    """Assign a human task to `user` and complete it, as viewflow's two views do, committed."""
    with PeerFlow.lock(process_pk), transaction.atomic():
        activation = _task_activation(task_pk)  # the assign view
        if not activation.flow_task.can_assign(user, activation.task):
            raise PermissionDenied
        activation.assign(user)
        activation = _task_activation(task_pk)  # the task view
        if not activation.flow_task.can_execute(user, activation.task):
            raise PermissionDenied
        activation.start(_request(user))
        activation.process.save()  # UpdateProcessView.form_valid: form.save()
        activation.execute()


def open_task_pk(process_pk: int) -> int:
    """The process's one open human task (what a task list links to)."""
    return Task.objects.get(process_id=process_pk, flow_task_type="HUMAN", status=STATUS.NEW).pk


# --- timing ------------------------------------------------------------------------------------


@dataclass
class PeerRun:
    """Per-call wall-clock seconds and SQL statements (COMMIT not counted)."""

    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def statements_per_call(self) -> float:
        return statistics.fmean(self.statements)


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def _timed(run: PeerRun) -> Iterator[None]:
    counter = _Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        yield
        run.seconds.append(time.perf_counter() - started)
    run.statements.append(counter.count)


def peer_user() -> Any:
    """An invented user to own the peer's tasks (any signed-in user may take them)."""
    from agencies.models import User

    user, _ = User.objects.get_or_create(username="viewflow_peer_benchmark")
    return user


def time_task_completions(n: int, user: Any = None) -> PeerRun:
    """Start `n` processes (untimed), then time completing each one's first task."""
    user = user if user is not None else peer_user()
    processes = [start_process(user) for _ in range(n)]
    tasks = [open_task_pk(process.pk) for process in processes]
    run = PeerRun()
    for process, task_pk in zip(processes, tasks, strict=True):
        with _timed(run):
            complete_task(process_pk=process.pk, task_pk=task_pk, user=user)
    return run


def time_whole_processes(n: int, user: Any = None) -> PeerRun:
    """Time `n` whole processes: start, complete task 1, complete task 2 (the end runs with
    it), each step its own committed transaction. Finding the next task's pk (what a page
    link would carry) is not timed."""
    user = user if user is not None else peer_user()
    run = PeerRun()
    started: list[int] = []
    for _ in range(n):
        step = PeerRun()
        with _timed(step):
            process = start_process(user)
        started.append(process.pk)
        for _task in (PeerFlow.task_1, PeerFlow.task_2):
            task_pk = open_task_pk(process.pk)
            with _timed(step):
                complete_task(process_pk=process.pk, task_pk=task_pk, user=user)
        run.seconds.append(sum(step.seconds))
        run.statements.append(sum(step.statements))
    finished = Process.objects.filter(pk__in=started, status=PROCESS.DONE).count()
    if finished != n:
        raise RuntimeError(f"{n - finished} of the peer's processes did not reach their end")
    return run
