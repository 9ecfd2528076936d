"""One viewflow flow runs every published pathway version.

Stages, transitions, guards and timescales are rows of the case's pinned version; the
flow is the loop that interprets them, so it reads as a diagram:

    open case -> work the stage -> (deadline passes) -> flag overdue and escalate
                      ^   |
                      +---+ take a transition (`engine.take_transition`)

Every node runs: the engine opens a case with the rows viewflow's start path writes (its
DONE `start` task; `task_rows.py`, tested against that path, which `open_case` below still
runs) and writes each next stage's work task as a `work_stage` following the last, and the
timer worker fires the deadline through viewflow's activation. A closing transition finishes
the process row with the case and opens no task, so the flow has no node for it.
"""

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import DatabaseError, OperationalError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from viewflow import this
from viewflow.workflow import flow, lock

from audit.services import record_event
from cases.models import Case
from pathways.compiled import CompiledVersion
from pathways.deadlines import breach_moment, stage_due_on
from pathways.exceptions import CaseBusy

# How long a writer waits for another writer to finish with the same case before being told
# the case is busy (409). Writes under the lock take milliseconds; a longer wait means the
# other writer is slow, and a person is better told at once than kept waiting.
CASE_LOCK_WAIT = 0.8
CASE_BUSY_MESSAGE = "Someone else is changing this case; reload and try again."

T = TypeVar("T")


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
        with self.holding(lambda: rows.select_for_update(nowait=True).exists()):
            yield

    @contextmanager
    def holding(self, take: Callable[[], T]) -> Iterator[T]:
        """Run `take`, a statement that takes the case's row lock with NOWAIT, in a new
        transaction (or a savepoint, inside one) and yield what it returned, retrying while
        another writer holds the row. The engine's take reads the case as it locks it: one
        round trip for both."""
        deadline = time.monotonic() + self.wait
        pause = 0.02
        lost_once = False
        while True:
            try:
                with transaction.atomic():
                    try:
                        taken = take()
                    except DatabaseError as error:
                        if isinstance(error, OperationalError) and _lock_not_available(error):
                            raise _Busy from error  # rolls this attempt back, then retry
                        if statement_lost(error) and not lost_once:
                            raise _Lost from error  # prepared again on the next attempt
                        raise
                    yield taken
                return
            except _Lost:
                lost_once = True
            except _Busy as busy:
                # Jitter, so two waiters do not collide again; never past the deadline.
                sleep = pause * (1 + random.random())
                if time.monotonic() + sleep > deadline:
                    raise CaseBusy(CASE_BUSY_MESSAGE) from busy.__cause__
                time.sleep(sleep)
                pause = min(pause * 2, 0.1)


class _Busy(Exception):
    """The row is locked by another writer (never raised by the work under the lock)."""


class _Lost(Exception):
    """The session lost a statement the engine prepared on it (never raised under the lock)."""


# A prepared statement the connection's map (cases/process/task_rows.py) names is not on the
# server (26000), or one it does not name is (42P05): a DEALLOCATE or DISCARD from elsewhere.
STATEMENT_LOST = frozenset({"26000", "42P05"})


def statement_lost(error: DatabaseError) -> bool:
    cause = error.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) in STATEMENT_LOST


def _lock_not_available(error: OperationalError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03"  # PostgreSQL's lock_not_available


class StageTaskView(View):
    """A stage task is worked on the case page, where the transitions are offered."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return redirect("cases:case_detail", pk=kwargs["process_pk"])


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
        # Each transition to an open stage is a new work_stage task following this one.
        .Next(this.work_stage)
    )
    flag_stage_overdue = flow.Function(this.escalate_overdue_stage).Next(this.escalated)
    escalated = flow.End()

    def open_case(self, activation: Any, **kwargs: Any) -> Case:
        initialise_case(activation.process, **kwargs)
        return activation.process

    def stage_deadline(self, activation: Any) -> Any:
        case = activation.process
        if case.stage_due_on is None:
            # Stages without a timescale never breach; park the timer far away.
            return breach_moment(date(9998, 1, 1))
        return breach_moment(case.stage_due_on)

    def escalate_overdue_stage(self, activation: Any) -> None:
        # This task follows the fired timer, and the timer follows the stage task it guards:
        # the stage task is two links back, not one.
        timer = activation.task.previous.first()
        host = timer.previous.first() if timer else None
        mark_stage_overdue(case_id=activation.process.pk, host_task_id=host.pk if host else None)


def initialise_case(
    case: Case,
    *,
    child: Any,
    involvement: str,
    compiled: CompiledVersion,
    referral: Any,
    referral_received_at: datetime,
    facts: dict[str, Any],
) -> None:
    """Fill a new case row before viewflow saves it (the start node's work)."""
    now = timezone.now()
    stage = compiled.initial_stage
    case.child = child
    case.involvement = involvement
    case.referral = referral
    case.pathway_version_id = compiled.version_id
    case.area_id = compiled.area_id
    case.current_stage = stage
    case.referral_received_at = referral_received_at
    case.stage_entered_at = now
    case.stage_due_on = stage_due_on(
        stage=stage,
        entered_at=now,
        referral_received_at=referral_received_at,
        region=compiled.region,
    )
    case.confirmed_continuum_level = facts.get("continuum_level", "")
    case.significant_harm_suspected = bool(facts.get("significant_harm_suspected", False))


def mark_stage_overdue(*, case_id: int, host_task_id: int | None) -> bool:
    """Flag the case's stage overdue and escalate to its manager, once per stage entry.

    The work of `flag_stage_overdue`, after the deadline timer fires; the work goes on.
    """
    case = Case.objects.select_related("current_stage").get(pk=case_id)
    if case.current_task_id is None or case.current_task_id != host_task_id:
        return False  # the stage was left before its deadline timer fired
    if case.stage_overdue_since is not None:
        return False
    now = timezone.now()
    updated = Case.objects.filter(
        pk=case.pk, current_task_id=host_task_id, stage_overdue_since__isnull=True
    ).update(stage_overdue_since=now)
    if not updated:
        return False
    case.stage_overdue_since = now
    record_event(
        actor=None,
        action="case.stage_overdue",
        target=case,
        changes={
            "stage": case.current_stage.key,
            "due_on": case.stage_due_on.isoformat() if case.stage_due_on else None,
            "escalated_to_role": "team_manager",
        },
    )
    return True
