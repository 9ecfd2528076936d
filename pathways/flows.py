"""One viewflow flow runs every published pathway version.

Stages, transitions, guards and timescales are rows of the case's pinned version; the
flow is the loop that interprets them, so it reads as a diagram:

    open case -> work the stage -> (deadline passes) -> flag overdue and escalate
                      ^   |
                      +---+ take a transition (pathways.engine.take_transition)
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import OperationalError, transaction
from django.shortcuts import redirect
from django.views import View
from viewflow import this
from viewflow.workflow import flow, lock

from cases.models import Case

from . import engine
from .exceptions import CaseBusy

# How long a writer waits for another writer to finish with the same case before being told
# the case is busy (409). Writes under the lock take milliseconds; a longer wait means the
# other writer is slow, and a person is better told at once than kept waiting.
CASE_LOCK_WAIT = 0.8
CASE_BUSY_MESSAGE = "Someone else is changing this case; reload and try again."


class CaseRowLock(lock.SelectForUpdateLock):
    """viewflow's row lock (`SELECT … FOR UPDATE NOWAIT` on the case), retried briefly.

    viewflow's own lock backs off for 6-10 s over five attempts and then raises
    `FlowLockFailed`, a 500. Here the retries stop after `CASE_LOCK_WAIT` seconds and the
    refusal is a `CaseBusy` conflict. NOWAIT changes no session setting, so no later lock
    wait in the same transaction (the audit trail's) is cut short, and the uncontended path
    costs the same single query as viewflow's.
    """

    def __init__(self, wait: float = CASE_LOCK_WAIT) -> None:
        super().__init__(nowait=True, attempts=1)
        self.wait = wait

    @contextmanager
    def __call__(self, flow_class: Any, process_pk: Any) -> Iterator[None]:
        rows = flow_class.process_class._default_manager.filter(pk=process_pk)
        deadline = time.monotonic() + self.wait
        pause = 0.02
        while True:
            try:
                with transaction.atomic():
                    try:
                        rows.select_for_update(nowait=True).exists()
                    except OperationalError as error:
                        if _lock_not_available(error):
                            raise _Busy from error  # rolls this attempt back, then retry
                        raise
                    yield
                return
            except _Busy as busy:
                # Jitter, so two waiters do not collide again; never past the deadline.
                sleep = pause * (1 + random.random())
                if time.monotonic() + sleep > deadline:
                    raise CaseBusy(CASE_BUSY_MESSAGE) from busy.__cause__
                time.sleep(sleep)
                pause = min(pause * 2, 0.1)


class _Busy(Exception):
    """The row is locked by another writer (never raised by the work under the lock)."""


def _lock_not_available(error: OperationalError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03"  # PostgreSQL's lock_not_available


class StageTaskView(View):
    """A stage task is worked on the case page, where the transitions are offered."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return redirect("work:case_detail", pk=kwargs["process_pk"])


class PathwayFlow(flow.Flow):
    process_class = Case
    lock_impl = CaseRowLock()
    process_title = "HSB pathway"
    process_description = "A child's route through the local HSB pathway."

    start = flow.StartHandle(this.open_case).Next(this.work_stage)

    work_stage = (
        flow.View(StageTaskView.as_view())
        .Annotation(title="Work the stage")
        .OnTimeout(this.stage_deadline, this.flag_stage_overdue, interrupting=False)
        .Next(this.after_stage)
    )
    after_stage = (
        flow.If(lambda activation: activation.process.is_closed)
        .Then(this.closed)
        .Else(this.work_stage)
    )
    flag_stage_overdue = flow.Function(this.escalate_overdue_stage).Next(this.escalated)
    escalated = flow.End()
    closed = flow.End()

    def open_case(self, activation: Any, **kwargs: Any) -> Case:
        engine.initialise_case(activation.process, **kwargs)
        return activation.process

    def stage_deadline(self, activation: Any) -> Any:
        case = activation.process
        if case.stage_due_on is None:
            # Stages without a timescale never breach; park the timer far away.
            return engine.breach_moment(date(9998, 1, 1))
        return engine.breach_moment(case.stage_due_on)

    def escalate_overdue_stage(self, activation: Any) -> None:
        # This task follows the fired timer, and the timer follows the stage task it guards:
        # the stage task is two links back, not one.
        timer = activation.task.previous.first()
        host = timer.previous.first() if timer else None
        engine.mark_stage_overdue(
            case_id=activation.process.pk, host_task_id=host.pk if host else None
        )
