"""When things happen in the demo: in working hours, by the pathway's timescales.

A case's history is planned in working days after the day its referral was received (day 0)
and minutes after 09:00, then placed on the calendar so that it ends before today: a referral
arrives between 09:00 and 16:00 on a working day (Monday to Friday, not a bank holiday of the
area's nation), the front door records it within the hour, and every later move, lead
designation, assessment and recorded view falls between 09:00 and 17:00 UK time on a working
day. Most moves come before the stage's due date, spread over its timescale (a five-day panel
within days, a sixty-day plan over weeks); about one in eight comes a few working days late,
and some open cases are past their due date today.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from pathways.compiled import CompiledVersion
from pathways.models import ServiceTier, Stage, TimescaleFrom
from pathways.working_days import add_working_days, is_working_day, working_days_between

WORKDAY_START = datetime.time(9, 0)
WORKDAY_MINUTES = 8 * 60  # 09:00 to 17:00
LATE_SHARE = 0.12  # moves made after the stage's due date
# Cases routed beyond universal advice whose school joins the team around the child.
SCHOOL_ON_TEAM_SHARE = 0.7
# The front door records a referral this many minutes after receiving it.
RECORDED_WITHIN_MINUTES = (5, 45)

LEAD = "lead_practitioner"
AUTHORISED_ASSESSMENT = "authorised_assessment"


@dataclass(frozen=True, order=True)
class Slot:
    """A moment of the plan: `day` working days after the referral's day, `minute` after 09:00."""

    day: int
    minute: int


@dataclass(frozen=True)
class Step:
    at: Slot
    kind: str  # "move", "lead", "assessment", "started_assessment", "view", "team", "feedback"
    key: str = ""  # a move's (or its lead's) transition key; who gave a view or feedback
    # An assessment's requested, started, submitted and authorised moments.
    span: tuple[Slot, ...] = ()


@dataclass
class Plan:
    received: Slot
    recorded: Slot
    steps: list[Step] = field(default_factory=list)
    today: int = 0  # today, in working days after the referral's day


def later(rng: random.Random, after: Slot, *, within: int = 180) -> Slot:
    """A moment after `after` the same working day when there is time left, else next morning."""
    if after.minute + 5 <= WORKDAY_MINUTES:
        top = min(WORKDAY_MINUTES, after.minute + within)
        return Slot(after.day, rng.randint(after.minute + 5, top))
    return Slot(after.day + 1, rng.randint(0, 90))


def _on_or_after(rng: random.Random, day: int, after: Slot) -> Slot:
    if day > after.day:
        return Slot(day, rng.randint(0, WORKDAY_MINUTES))
    return later(rng, after, within=WORKDAY_MINUTES)


def stage_needs_lead(stage: Stage) -> bool:
    return LEAD in (stage.requires or []) or bool(getattr(stage, "needs_lead_practitioner", False))


def due_day(stage: Stage, entered: Slot) -> int | None:
    """The plan's day the stage is due, as the engine counts it (pathways.deadlines); other
    anchors than the referral count from entry, which is when the demo's cases reach them."""
    if stage.is_terminal or stage.timescale_working_days is None:
        return None
    start = 0 if stage.timescale_from == TimescaleFrom.REFERRAL else entered.day
    return start + stage.timescale_working_days


def _move_day(rng: random.Random, stage: Stage, entered: Slot) -> int:
    due = due_day(stage, entered)
    if due is None:
        return entered.day + rng.randint(1, 10)
    if rng.random() < LATE_SHARE:
        return due + rng.randint(1, 4)
    days = stage.timescale_working_days or 0
    # A one-day decision is made the same day or the next; longer stages take a while.
    earliest = entered.day + (0 if days <= 1 else max(1, days // 3))
    return rng.randint(min(earliest, due), due)


def plan_case(
    rng: random.Random,
    compiled: CompiledVersion,
    route: list[str],
    *,
    overdue_now: bool = False,
    alongside: Plan | None = None,
) -> Plan:
    """The history of a case that takes `route` from the initial decision, and where today
    falls: past the due date of the stage it is left in when `overdue_now`, else before it.

    `alongside`: the plan of another child's case opened by the same referral (a child
    harmed beside the child displaying HSB): the same referral and the same today, and the
    route goes only as far as it would have by today.
    """
    if alongside is None:
        received = Slot(0, rng.randint(0, WORKDAY_MINUTES - 60))
        recorded = Slot(0, received.minute + rng.randint(*RECORDED_WITHIN_MINUTES))
    else:
        received, recorded = alongside.received, alongside.recorded
    plan = Plan(received=received, recorded=recorded)
    stage = compiled.initial_stage
    entered = last = recorded
    for key in route:
        transition = compiled.transition(key)
        move = _on_or_after(rng, _move_day(rng, stage, entered), last)
        if alongside is not None and move.day >= alongside.today:
            break
        if AUTHORISED_ASSESSMENT in (stage.requires or []):
            plan.steps.append(_assessment(rng, entered, move))
        if stage_needs_lead(transition.to_stage):
            # Named with the route (the lead's designation just before the move).
            plan.steps.append(Step(at=move, kind="lead", key=key))
        plan.steps.append(Step(at=move, kind="move", key=key))
        beyond_universal = transition.to_stage.tier > ServiceTier.UNIVERSAL
        if key == route[0] and beyond_universal and rng.random() < SCHOOL_ON_TEAM_SHARE:
            plan.steps.append(Step(at=later(rng, move), kind="team"))
        stage, entered, last = transition.to_stage, move, move
    if alongside is None:
        plan.today = _today(rng, stage, entered, last, overdue_now=overdue_now)
    else:
        plan.today = alongside.today
    if not stage.is_terminal and AUTHORISED_ASSESSMENT in (stage.requires or []):
        started = Slot(min(entered.day + rng.randint(1, 4), plan.today - 1), rng.randint(0, 420))
        if started > entered:
            plan.steps.append(Step(at=started, kind="started_assessment", span=(entered, started)))
    # Nothing happens today or later (a school joining the team the morning after a move).
    plan.steps = [step for step in plan.steps if step.at.day < plan.today]
    return plan


def _assessment(rng: random.Random, entered: Slot, move: Slot) -> Step:
    span = max(move.day - entered.day, 1)
    requested = later(rng, entered, within=120)
    started = _on_or_after(rng, entered.day + max(1, span // 5), requested)
    submitted = _on_or_after(rng, entered.day + span * 3 // 4, started)
    authorised = _on_or_after(rng, entered.day + span * 9 // 10, submitted)
    if authorised >= move:  # a short stage: all on the last day, before the move
        authorised = submitted = started = requested
    return Step(at=authorised, kind="assessment", span=(requested, started, submitted, authorised))


def _today(
    rng: random.Random, stage: Stage, entered: Slot, last: Slot, *, overdue_now: bool
) -> int:
    # Today is after every moment of the plan: nothing is dated later than the load.
    after = last.day + 1
    due = due_day(stage, entered)
    if stage.is_terminal or due is None:
        return after + rng.randint(0, 20)
    if overdue_now:
        return max(after, due + rng.randint(1, 6))
    return rng.randint(after, max(after, due))


def add_views(rng: random.Random, plan: Plan, views: list[str]) -> None:
    """The child's and family's views (`views`: the holders), recorded while the case is
    worked on after the initial decision."""
    moves = [step for step in plan.steps if step.kind == "move"]
    if not moves:
        return
    first, last = moves[0].at, moves[-1].at
    for holder in views:
        day = rng.randint(first.day + 1, max(first.day + 1, last.day, plan.today - 1))
        if day >= plan.today:
            continue
        plan.steps.append(
            Step(at=Slot(day, rng.randint(0, WORKDAY_MINUTES)), kind="view", key=holder)
        )
    plan.steps.sort(key=lambda step: step.at)  # stable: a lead still precedes its move


def add_feedback(rng: random.Random, plan: Plan, givers: list[str]) -> None:
    """Feedback on the process from the child or family (`givers`), given once the case has
    been worked on for a while: after its last move, before today."""
    moves = [step for step in plan.steps if step.kind == "move"]
    if len(moves) < 2:
        return
    last = moves[-1].at
    for giver in givers:
        day = rng.randint(last.day + 1, max(last.day + 1, plan.today - 1))
        if day < plan.today:
            at = Slot(day, rng.randint(0, WORKDAY_MINUTES))
            plan.steps.append(Step(at=at, kind="feedback", key=giver))
    plan.steps.sort(key=lambda step: step.at)


@dataclass(frozen=True)
class Calendar:
    """Where a plan's days fall: day 0 is the referral's working day, `today` days before today."""

    referral_day: datetime.date
    region: str

    @classmethod
    def ending(cls, today: datetime.date, days_before: int, region: str) -> Calendar:
        # On a weekend or bank holiday, the plan's "today" is the next working day: a stage
        # due then is not overdue yet, and every planned moment is still in the past.
        day = today
        while not is_working_day(day, region):
            day += datetime.timedelta(days=1)
        for _ in range(days_before):
            day -= datetime.timedelta(days=1)
            while not is_working_day(day, region):
                day -= datetime.timedelta(days=1)
        return cls(referral_day=day, region=region)

    @classmethod
    def starting(cls, on_or_after: datetime.date, region: str) -> Calendar:
        day = on_or_after
        while not is_working_day(day, region):
            day += datetime.timedelta(days=1)
        return cls(referral_day=day, region=region)

    def days_until(self, today: datetime.date) -> int:
        """Today in the plan's days: working days after the referral's day (today, when not a
        working day, counts as the next one, as in `ending`)."""
        return working_days_between(self.referral_day, today, self.region) + (
            0 if is_working_day(today, self.region) else 1
        )

    def date(self, day: int) -> datetime.date:
        return add_working_days(self.referral_day, day, self.region)

    def moment(self, slot: Slot, second: int = 0) -> datetime.datetime:
        start = datetime.datetime.combine(
            self.date(slot.day), WORKDAY_START, tzinfo=ZoneInfo(settings.TIME_ZONE)
        )
        return start + datetime.timedelta(minutes=slot.minute, seconds=second)
