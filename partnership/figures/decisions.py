"""The initial decision and routing (3.5): how soon it is made, whether the route held,
and where the police-involved cases went."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
)

from cases.models import Case, Referral, StageMove
from pathways.models import TransitionKind

from ..expressions import working_days
from .populations import PERIOD_CASES, cases_in, earlier_rows, median
from .registry import CASES, Cell, Figure, cases_of_part, make_figure, register_figure
from .scope import VIA_CASE, Scope, memo, scoped

DECISION_DAYS = 1  # the initial decision: within one working day of referral
STEP_WINDOW_DAYS = 90


def first_decisions(scope: Scope) -> QuerySet[StageMove]:
    """Each of the period's cases' first move out of the initial decision, if made.

    A case leaves the initial decision a second time only after coming back into it (a
    reopening), so its first move out is the one with no earlier move back in: that anti-join
    reads the few re-entries, not every decision.
    """
    initial = scope.initial_stage_ids
    re_entries = earlier_rows(StageMove, "moved_at", to_stage_id__in=initial).exclude(kind="start")
    moves = StageMove.objects.filter(from_stage_id__in=initial).filter(~Exists(re_entries))
    return scoped(moves, scope, VIA_CASE)


def _decision_days(scope: Scope) -> Any:
    return working_days(
        "case__referral_received_at", "moved_at", holidays=scope.holidays, working=scope.working
    )


def _decision_groups(scope: Scope) -> list[dict[str, Any]]:
    """First decisions grouped by working days taken, route and police involvement: one
    GROUP BY that the timeliness figure and the police routes figure each sum."""

    def compute() -> list[dict[str, Any]]:
        police = Referral.objects.filter(police_involved=True).values("pk")
        rows = (
            first_decisions(scope)
            .annotate(
                _days=_decision_days(scope),
                # Membership in a hashed set rather than a join to every referral.
                _police=ExpressionWrapper(
                    Q(case__referral_id__in=police), output_field=BooleanField()
                ),
            )
            .values("_days", "transition__key", "_police")
            .annotate(n=Count("pk"), name=Max("transition__name"))
            .order_by()
        )
        return [
            {
                "days": row["_days"],
                "key": row["transition__key"] or "",
                "name": row["name"] or "",
                "police": bool(row["_police"]),
                "n": row["n"],
            }
            for row in rows
        ]

    return memo(scope, "decision_groups", compute)


def _decision_histogram(scope: Scope) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for group in _decision_groups(scope):
        histogram[group["days"]] = histogram.get(group["days"], 0) + group["n"]
    return histogram


@register_figure(
    "initial_decision_within_one_working_day",
    statement="3.5",
    label="Initial decision within one working day of referral",
    definition=(
        "Of the period's cases with an initial decision made (their first move out of the "
        "initial decision stage: a route or no further action), those decided within one "
        "working day of the referral being received. The median counts working days after "
        "the day of referral (weekends and the area's bank holidays excluded)."
    ),
    unit=CASES,
    value_label="median working days to the initial decision",
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: cases_in(
            first_decisions(scope)
            .alias(_days=_decision_days(scope))
            .filter(_days__lte=DECISION_DAYS)
            .values("case_id")
        ),
        denominator=lambda: cases_in(first_decisions(scope).values("case_id")),
    ),
)
def initial_decision_within_one_working_day(scope: Scope) -> Figure:
    histogram = _decision_histogram(scope)
    return make_figure(
        "initial_decision_within_one_working_day",
        numerator=sum(n for days, n in histogram.items() if days <= DECISION_DAYS),
        denominator=sum(histogram.values()),
        value=median(histogram),
        value_count=sum(histogram.values()),
    )


def first_routings(scope: Scope) -> QuerySet[StageMove]:
    """Each of the period's cases' first route out of the initial decision.

    Only a case that came back into the initial decision can have an earlier route out, so
    the anti-join looks among those cases' routes only.
    """
    initial = scope.initial_stage_ids
    routes = {"from_stage_id__in": initial, "kind": TransitionKind.ROUTE}
    re_entered = StageMove.objects.filter(to_stage_id__in=initial).exclude(kind="start")
    earlier = earlier_rows(StageMove, "moved_at", **routes).filter(
        case_id__in=re_entered.values("case_id")
    )
    return scoped(StageMove.objects.filter(**routes).filter(~Exists(earlier)), scope, VIA_CASE)


def _stepped_soon(scope: Scope) -> Q:
    """The routing was followed by a step up or down within 90 days.

    Tested as membership of one set, the routes out of the initial decision with such a step
    (a hash semi-join, found once), so one query counts the routings and the stepped ones.
    Steps are found by their transitions (indexed), not by kind (not indexed).
    """
    steps = StageMove.objects.filter(
        case_id=OuterRef("case_id"),
        transition_id__in=scope.step_transition_ids,
        moved_at__gt=OuterRef("moved_at"),
        moved_at__lte=OuterRef("moved_at") + timedelta(days=STEP_WINDOW_DAYS),
    )
    stepped_routes = StageMove.objects.filter(
        from_stage_id__in=scope.initial_stage_ids, kind=TransitionKind.ROUTE
    ).filter(Exists(steps))
    return Q(pk__in=stepped_routes.values("pk"))


@register_figure(
    "stepped_within_90_days",
    statement="3.5",
    label="Routed cases stepped up or down within 90 days",
    definition=(
        "Of the period's cases routed at the initial decision, those stepped up or down "
        "within 90 days of that first routing: a sign the first route was not the right "
        "part of the system."
    ),
    unit=CASES,
    higher_is_better=False,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: cases_in(
            first_routings(scope).filter(_stepped_soon(scope)).values("case_id")
        ),
        denominator=lambda: cases_in(first_routings(scope).values("case_id")),
    ),
)
def stepped_within_90_days(scope: Scope) -> Figure:
    counts = first_routings(scope).aggregate(
        total=Count("pk"), stepped=Count("pk", filter=_stepped_soon(scope))
    )
    return make_figure(
        "stepped_within_90_days", numerator=counts["stepped"], denominator=counts["total"]
    )


AWAITING_DECISION = "awaiting_decision"


@PERIOD_CASES.condition("police")
def _police_involved(scope: Scope) -> Q:
    return Q(referral__police_involved=True)


def _police_route_cases(scope: Scope, key: str) -> QuerySet[Case]:
    police = PERIOD_CASES.where(scope, "police")
    decided = first_decisions(scope).filter(case__referral__police_involved=True)
    if key == AWAITING_DECISION:
        return police.exclude(pk__in=decided.values("case_id"))
    return cases_in(decided.filter(transition__key=key).values("case_id"))


@register_figure(
    "police_involved_routes",
    statement="3.5",
    label="Police-involved cases and the route they took",
    definition=(
        "The period's cases whose referral involved the police, of all the period's cases, "
        "broken down by the first route out of the initial decision (or still awaiting it)."
    ),
    unit=CASES,
    higher_is_better=None,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: PERIOD_CASES.where(scope, "police"),
        denominator=lambda: PERIOD_CASES.where(scope),
        cells=lambda key: _police_route_cases(scope, key),
    ),
)
def police_involved_routes(scope: Scope) -> Figure:
    counts = PERIOD_CASES.counts(scope)
    routes: dict[str, Cell] = {}
    for group in _decision_groups(scope):
        if group["police"]:
            before = routes.get(group["key"], Cell(group["key"], group["name"], 0)).count
            routes[group["key"]] = Cell(group["key"], group["name"], before + group["n"])
    cells = [routes[key] for key in sorted(routes)]
    awaiting = counts["police"] - sum(cell.count for cell in cells)
    if awaiting:
        cells.append(Cell(AWAITING_DECISION, "Awaiting the initial decision", awaiting))
    return make_figure(
        "police_involved_routes",
        numerator=counts["police"],
        denominator=counts["total"],
        cells=cells,
    )
