"""Workflow timers: how far behind the dispatcher is, and one pass of firing due timers.

A stage's deadline is a viewflow TIMER task scheduled at the stage's breach moment
(`PathwayFlow.work_stage__timeout`); firing it flags the stage overdue and escalates it
(`pathways.engine.mark_stage_overdue`). The `run_worker` command calls `fire_due_timers`
in a loop; `/readyz` and the metrics read `timer_lag`.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

TIMER = "TIMER"


def due_timers(now: datetime | None = None) -> QuerySet[Task]:
    """TIMER tasks still waiting to fire whose moment has come, oldest first."""
    return Task._default_manager.filter(
        flow_task_type=TIMER,
        status=STATUS.SCHEDULED,
        scheduled__lte=now or timezone.now(),
    ).order_by("scheduled", "pk")


def timer_lag(now: datetime | None = None) -> float:
    """Seconds since the oldest due, unfired timer became due; 0.0 when none is due.

    A healthy worker keeps this under its interval; a growing lag means no worker is running
    (or it cannot keep up), so overdue stages go unflagged. One query.
    """
    now = now or timezone.now()
    oldest = due_timers(now).order_by().aggregate(oldest=Min("scheduled"))["oldest"]
    if oldest is None:
        return 0.0
    return max((now - oldest).total_seconds(), 0.0)
