"""One viewflow flow runs every published pathway version.

Stages, transitions, guards and timescales are rows of the case's pinned version; the
flow is the loop that interprets them, so it reads as a diagram:

    open case -> work the stage -> (deadline passes) -> flag overdue and escalate
                      ^   |
                      +---+ take a transition (pathways.engine.take_transition)
"""

from datetime import date
from typing import Any

from django.shortcuts import redirect
from django.views import View
from viewflow import this
from viewflow.workflow import flow, lock

from cases.models import Case

from . import engine


class StageTaskView(View):
    """A stage task is worked on the case page, where the transitions are offered."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return redirect("work:case_detail", pk=kwargs["process_pk"])


class PathwayFlow(flow.Flow):
    process_class = Case
    lock_impl = lock.select_for_update_lock
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
