"""Rows several figures count, counted once per scope (`Population`, `PERIOD_CASES`), and
the helpers every statement group uses: the cases behind a set of ids, earlier rows of the
same case, histograms and their medians, a figure that is one ratio of a population."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet

from cases.models import Case, StageMove
from pathways.models import ServiceTier, Transition

from .registry import CASES, Figure, cases_of_part, make_figure, register_figure
from .scope import Scope, memo, period_cases


def cases_in(*id_querysets: QuerySet[Any]) -> QuerySet[Case]:
    """The cases whose ids the given single-column querysets select."""
    condition = Q()
    for ids in id_querysets:
        condition |= Q(pk__in=ids)
    return Case.objects.filter(condition)


class Population:
    """Rows several figures count (the period's cases, their assessments …) and the named
    conditions those figures count among them.

    Each figure registers its own condition next to it; the first figure to need the counts
    gets every condition's from one aggregate query (COUNT(*) FILTER (WHERE …) per
    condition), kept on the scope for the others. Conditions on related rows are written as
    `IN (subquery)`, not as correlated EXISTS, so PostgreSQL hashes each set once instead of
    probing it per row. With `group_by`, the same query also counts per value of a column
    (the census source of the referral), and the totals are the sums of the groups.
    """

    def __init__(
        self,
        key: str,
        rows: Callable[[Scope], QuerySet[Any]],
        case_ids: str,
        group_by: str = "",
    ) -> None:
        self.key = key
        self.rows = rows
        self.case_ids = case_ids
        self.group_by = group_by
        self.conditions: dict[str, Callable[[Scope], Q]] = {}

    def condition(self, name: str) -> Callable[[Callable[[Scope], Q]], Callable[[Scope], Q]]:
        def register(factory: Callable[[Scope], Q]) -> Callable[[Scope], Q]:
            self.conditions[name] = factory
            return factory

        return register

    def counts(self, scope: Scope) -> dict[str, int]:
        """{"total": rows, condition name: rows meeting it}."""
        return {
            name: sum(group[name] for group in self.groups(scope).values())
            for name in ("total", *self.conditions)
        }

    def groups(self, scope: Scope) -> dict[Any, dict[str, int]]:
        """The counts per value of `group_by` (one group, None, without it)."""

        def compute() -> dict[Any, dict[str, int]]:
            aggregates: dict[str, Any] = {"total": Count("pk")}
            for name, factory in self.conditions.items():
                aggregates[name] = Count("pk", filter=factory(scope))
            rows = self.rows(scope)
            if not self.group_by:
                return {None: rows.aggregate(**aggregates)}
            grouped = rows.values(self.group_by).annotate(**aggregates).order_by()
            return {row.pop(self.group_by): row for row in grouped}

        return memo(scope, f"counts:{self.key}", compute)

    def where(self, scope: Scope, name: str = "") -> QuerySet[Any]:
        rows = self.rows(scope)
        return rows.filter(self.conditions[name](scope)) if name else rows

    def cases(self, scope: Scope, name: str = "") -> QuerySet[Case]:
        return cases_in(self.where(scope, name).values(self.case_ids))


def histogram_of(queryset: QuerySet[Any], measure: Any) -> dict[int, int]:
    """{measured value: rows}: one GROUP BY query."""
    rows = queryset.annotate(_measure=measure).values("_measure").annotate(n=Count("pk"))
    return {row["_measure"]: row["n"] for row in rows.order_by()}


def median(histogram: dict[int, int]) -> float | None:
    """The median of the values a histogram counts (the mean of the middle two if even)."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = ((total - 1) // 2, total // 2)
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for position in middle:
            if seen <= position < seen + count:
                found.append(value)
        seen += count
    return (found[0] + found[1]) / 2


def case_ids_with(model: Any, **conditions: Any) -> QuerySet[Any]:
    """The ids of cases with a related row meeting the conditions (for `pk IN …`)."""
    return model.objects.filter(**conditions).values("case_id")


PERIOD_CASES = Population("period_cases", period_cases, "pk", group_by="referral__source")


def served_case_ids(scope: Scope) -> QuerySet[Any]:
    """Ids of the cases that entered a stage above the universal tier (early help, specialist
    or statutory) at any time: the cases given a service beyond universal advice, which need
    a lead practitioner and a team around the child. Closed with no further action at the
    door, or met with universal advice only, they never did.

    A case starts at the initial decision, a universal-tier stage, so it first enters a higher
    tier by a move from a universal-tier stage: those moves alone are read (about one per
    served case), by their transitions (indexed), not every later move among higher tiers.
    """
    crossing = Transition.objects.filter(
        version_id__in=scope.version_ids,
        from_stage__tier=ServiceTier.UNIVERSAL,
        to_stage__tier__gt=ServiceTier.UNIVERSAL,
    ).values("pk")
    return StageMove.objects.filter(transition_id__in=crossing).values("case_id")


def served_cases(scope: Scope) -> QuerySet[Case]:
    """The period's cases given a service beyond universal advice (`served_case_ids`)."""
    return period_cases(scope).filter(pk__in=served_case_ids(scope))


# The set of served cases is read once, in this batch's WHERE: every figure about the cases
# beyond universal advice counts its condition here.
SERVED_CASES = Population("served_cases", served_cases, "pk")


def earlier_rows(model: Any, moment: str, **same: Any) -> Any:
    """Rows of the same case before this one (ties broken by id), for an anti-join."""
    return model.objects.filter(case_id=OuterRef("case_id"), **same).filter(
        Q(**{f"{moment}__lt": OuterRef(moment)})
        | Q(**{moment: OuterRef(moment), "pk__lt": OuterRef("pk")})
    )


def case_ratio(
    key: str,
    *,
    statement: str,
    label: str,
    definition: str,
    hits: str,
    total: str = "",
    population: Population = PERIOD_CASES,
    unit: str = CASES,
    higher_is_better: bool | None = True,
) -> Callable[[Scope], Figure]:
    @register_figure(
        key,
        statement=statement,
        label=label,
        definition=definition,
        unit=unit,
        higher_is_better=higher_is_better,
        cases=lambda scope, part, cell: cases_of_part(
            part,
            cell,
            numerator=lambda: population.where(scope, hits),
            denominator=lambda: population.where(scope, total),
        ),
    )
    def compute(scope: Scope) -> Figure:
        counts = population.counts(scope)
        return make_figure(key, numerator=counts[hits], denominator=counts[total or "total"])

    return compute
