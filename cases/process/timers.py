"""Workflow timers: how far behind the dispatcher is, and a pass that fires the due ones.

A stage's deadline is a viewflow TIMER task scheduled at the stage's breach moment
(`PathwayFlow.work_stage__timeout`); firing it flags the stage overdue and escalates it
(`flow.mark_stage_overdue`). The `run_worker` command calls `run_pass` in a
loop; `/readyz` and the metrics read `timer_lag`.

Why not viewflow's `fire_due_timers` as is: it reads every due task and then takes each
case's lock, so two dispatchers both pick the same timer and the loser waits on (or is
refused) the case lock. Here each timer is claimed with `SELECT … FOR UPDATE SKIP LOCKED`
in its own transaction, so replicas split the work between them, and a fired timer is
DONE by the time any other worker can see its row again. The firing itself is viewflow's:
the same activation calls its dispatcher makes.

Our flows have no `StartTimer` and no `ConditionalCatch`, so viewflow's
`fire_due_start_timers` and `fire_due_conditions` have nothing to do and are not run
(`fire_due_start_timers` is not safe with two dispatchers anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db import OperationalError, transaction
from django.db.models import Min, QuerySet
from django.utils import timezone
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.db_context import SYSTEM_CONTEXT, area_context
from pathways.exceptions import CaseBusy

from .flow import _lock_not_available

logger = logging.getLogger(__name__)

TIMER = "TIMER"


def due_timers(now: datetime | None = None) -> QuerySet[Task]:
    """TIMER tasks still waiting to fire whose moment has come, oldest first."""
    timers: QuerySet[Task] = Task._default_manager.filter(
        flow_task_type=TIMER,
        status=STATUS.SCHEDULED,
        scheduled__lte=now or timezone.now(),
    )
    return timers.order_by("scheduled", "pk")


def timer_lag(now: datetime | None = None) -> float:
    """Seconds since the oldest due, unfired timer became due; 0.0 when none is due.

    A healthy worker keeps this under its interval; a growing lag means no worker is running
    (or it cannot keep up), so overdue stages go unflagged. One query, answered from the
    partial index of scheduled timers (pathways migration 0002).
    """
    now = now or timezone.now()
    oldest: datetime | None = (
        due_timers(now).order_by().aggregate(oldest=Min("scheduled"))["oldest"]
    )
    if oldest is None:
        return 0.0
    return max((now - oldest).total_seconds(), 0.0)


@dataclass
class Sweep:
    """What one sweep did. `passed_over`: ids claimed but not fired (busy, failed, orphaned),
    which the rest of the pass leaves alone; the next pass tries them again."""

    claimed: int = 0
    fired: int = 0
    busy: int = 0
    failed: int = 0
    orphaned: int = 0
    passed_over: set[int] = field(default_factory=set)

    def add(self, other: Sweep) -> None:
        self.claimed += other.claimed
        self.fired += other.fired
        self.busy += other.busy
        self.failed += other.failed
        self.orphaned += other.orphaned
        self.passed_over |= other.passed_over


def fire_due_timers(*, batch: int = 100) -> int:
    """Fire up to `batch` due timers, each claimed and fired in its own transaction; return
    how many fired. Safe to run from any number of workers at once."""
    return sweep_due_timers(batch=batch).fired


def run_pass(*, batch: int = 100, should_stop: Callable[[], bool] | None = None) -> Sweep:
    """Fire every timer due now, `batch` claims at a time; each timer is tried once per pass."""
    total = Sweep()
    while True:
        sweep = sweep_due_timers(batch=batch, should_stop=should_stop, skip=total.passed_over)
        total.add(sweep)
        if sweep.claimed < batch or (should_stop is not None and should_stop()):
            return total


def sweep_due_timers(
    *,
    batch: int = 100,
    should_stop: Callable[[], bool] | None = None,
    skip: Collection[int] = (),
) -> Sweep:
    """Claim and fire due timers one by one, at most `batch`, leaving out the ids in `skip`.

    Runs in the system context (no area set): a timer fires on whichever area's case it
    guards, and row-level security must not hide the case from it, even if this connection
    last served a request. A database error while claiming (an outage) propagates: the
    caller retries on its next pass. An error while firing is logged and the sweep goes on,
    as in viewflow's dispatcher.
    """
    sweep = Sweep()
    now = timezone.now()
    excluded = set(skip)
    with area_context(SYSTEM_CONTEXT):
        while sweep.claimed < batch and not (should_stop is not None and should_stop()):
            task_pk: int | None = None
            try:
                with transaction.atomic():
                    # The claim is held until this transaction commits: another worker's
                    # SKIP LOCKED passes over the row, and once committed it is no longer
                    # SCHEDULED. `of=self`: lock the task row only.
                    task = (
                        due_timers(now)
                        .exclude(pk__in=excluded)
                        .select_for_update(skip_locked=True, of=("self",))
                        .first()
                    )
                    if task is None:
                        break
                    task_pk = task.pk
                    sweep.claimed += 1
                    excluded.add(task.pk)
                    outcome = _fire(task)
            except (CaseBusy, FlowLockFailed):
                outcome = "busy"
                logger.info("timer task %s: its case is busy, left for the next pass", task_pk)
            except Exception:
                if task_pk is None:
                    raise  # the claim itself failed: the database is unavailable
                outcome = "failed"
                # One broken timer must not stop the sweep; it stays SCHEDULED and is tried
                # again next pass (ids only in the log: no child's details).
                logger.exception("timer task %s failed to fire", task_pk)
            if outcome == "fired":
                sweep.fired += 1
                continue
            if outcome == "busy":
                sweep.busy += 1
            elif outcome == "failed":
                sweep.failed += 1
            elif outcome == "orphaned":
                sweep.orphaned += 1
            if task_pk is not None:
                sweep.passed_over.add(task_pk)
    return sweep


def _fire(task: Task) -> str:
    """Fire one claimed timer under its case's lock, as viewflow's dispatcher does."""
    if task.flow_task is None:  # its flow class no longer imports
        logger.warning("timer task %s references a missing flow, skipped", task.pk)
        return "orphaned"
    _lock_case_or_refuse(task)
    with task.activation() as activation:
        start = getattr(activation, "start", None)
        if start is None:
            # The timer's node was renamed or removed since it was scheduled: it can never
            # fire. Logged every pass until someone cancels it.
            logger.warning(
                "timer task %s references a missing node %r, skipped", task.pk, task.flow_task
            )
            return "orphaned"
        if not start.can_proceed():
            return "gone"  # no longer SCHEDULED once under the lock: nothing to fire
        activation.start()
        activation.execute()
    return "fired"


def _lock_case_or_refuse(task: Task) -> None:
    """Take the case's row lock at once or raise CaseBusy.

    The flow's own lock (`CaseRowLock`) retries for up to 0.8 s, right for a person, wrong
    here: this transaction holds the timer's row, which the user's transition may be about
    to cancel, so waiting would make the person wait on the worker. Refusing at once lets
    the user's move finish; the timer is tried again next pass. The flow's lock then finds
    the row already locked by this transaction and returns at once.
    """
    rows = task.flow_task.flow_class.process_class._default_manager.filter(pk=task.process_id)
    try:
        with transaction.atomic():  # a savepoint: a refused lock must not abort the claim
            rows.select_for_update(nowait=True).exists()
    except OperationalError as error:
        if _lock_not_available(error):
            raise CaseBusy("case busy") from error
        raise
