"""Domain 1: children displaying HSB (1.1, 1.2), each counted once, at their first case of
the period."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from cases.codes import Ethnicity, Gender
from cases.models import Case, Involvement, StageMove
from pathways.models import TransitionKind

from ..expressions import age_at
from .filters import AGE_BAND_KEYS, AGE_BANDS
from .populations import PERIOD_CASES, case_ids_with, case_ratio
from .registry import CHILDREN, Cell, Figure, cases_of_part, make_figure, register_figure
from .scope import CASE, Scope, memo, scoped


@PERIOD_CASES.condition("displaying_hsb")
def _displaying_hsb(scope: Scope) -> Q:
    return Q(involvement=Involvement.DISPLAYING_HSB)


@PERIOD_CASES.condition("not_receiving_service")
def _not_receiving_service(scope: Scope) -> Q:
    """Closed at the initial decision and never routed, or waiting there past its timescale."""
    initial = scope.initial_stage_ids
    closed_at_door = case_ids_with(StageMove, from_stage_id__in=initial, kind=TransitionKind.CLOSE)
    # Routed later (after a reopening): looked for only among the cases closed at the door.
    routed = case_ids_with(
        StageMove, from_stage_id__in=initial, kind=TransitionKind.ROUTE, case_id__in=closed_at_door
    )
    closed = Q(closed_at__isnull=False, pk__in=closed_at_door) & ~Q(pk__in=routed)
    waiting = Q(closed_at__isnull=True, current_stage_id__in=initial, stage_due_on__lt=scope.today)
    return _displaying_hsb(scope) & (closed | waiting)


not_receiving_service = case_ratio(
    "not_receiving_service",
    statement="1.1",
    label="Children identified through referral but not receiving a service",
    definition=(
        "Of the period's cases of children displaying HSB, those closed at the initial "
        "decision with no further action and never routed to a service, or still waiting at "
        "the initial decision past its timescale today."
    ),
    hits="not_receiving_service",
    total="displaying_hsb",
    higher_is_better=False,
)


def children_displaying_hsb(scope: Scope) -> QuerySet[Case]:
    """Each child displaying HSB once: their first case of the period (matching the filters),
    with their age at that referral."""
    earlier = scoped(
        Case.objects.filter(
            child_id=OuterRef("child_id"), involvement=Involvement.DISPLAYING_HSB
        ).filter(
            Q(referral_received_at__lt=OuterRef("referral_received_at"))
            | Q(referral_received_at=OuterRef("referral_received_at"), pk__lt=OuterRef("pk"))
        ),
        scope,
        CASE,
    )
    return (
        PERIOD_CASES.where(scope, "displaying_hsb")
        .filter(~Exists(earlier))
        .annotate(_age=age_at("referral_received_at", "child__date_of_birth"))
    )


def age_band(age: int) -> str:
    return next(band.key for band in AGE_BANDS if band.highest is None or age <= band.highest)


def _age_range(key: str) -> dict[str, int]:
    band = AGE_BAND_KEYS[key]
    limits = {"_age__gte": band.lowest, "_age__lte": band.highest}
    return {lookup: limit for lookup, limit in limits.items() if limit is not None}


_CHILD_COLUMNS = {
    "age": "_age",
    "gender": "child__gender",
    "ethnicity": "child__ethnicity",
    "sen": "child__special_educational_needs",
    "learning_disability": "child__learning_disability",
}


def _children_groups(scope: Scope) -> list[dict[str, Any]]:
    """The children counted by age, gender, ethnicity, SEN and learning disability together:
    one GROUP BY (a few hundred groups at most) that every domain 1 figure sums its own way."""

    def compute() -> list[dict[str, Any]]:
        rows = (
            children_displaying_hsb(scope)
            .values(*_CHILD_COLUMNS.values())
            .annotate(n=Count("pk"))
            .order_by()
        )
        groups = []
        for row in rows:
            group = {name: row[column] for name, column in _CHILD_COLUMNS.items()}
            group["age_band"] = age_band(group["age"])
            groups.append(group | {"n": row["n"]})
        return groups

    return memo(scope, "children_groups", compute)


def _children_count(scope: Scope, **where: Any) -> int:
    return sum(
        group["n"]
        for group in _children_groups(scope)
        if all(group[name] == value for name, value in where.items())
    )


@register_figure(
    "children_displaying_hsb",
    statement="1.1",
    label="Children displaying HSB referred",
    definition=(
        "Children displaying HSB with a case referred in the period, each counted once (at "
        "their first case of the period)."
    ),
    unit=CHILDREN,
    higher_is_better=None,
    cases=lambda scope, part, cell: cases_of_part(
        part, cell, numerator=lambda: children_displaying_hsb(scope), denominator=None
    ),
)
def children_displaying_hsb_count(scope: Scope) -> Figure:
    return make_figure(
        "children_displaying_hsb", numerator=_children_count(scope), denominator=None
    )


def _cell_filter(group: str, value: str) -> dict[str, Any]:
    if group == "age_band":
        return _age_range(value) if value in AGE_BAND_KEYS else {"pk__in": []}
    return {_CHILD_COLUMNS[group]: value}


def _breakdown(
    key: str,
    *,
    label: str,
    definition: str,
    group: str,
    labels: Callable[[], Sequence[tuple[str, str]]],
) -> Callable[[Scope], Figure]:
    @register_figure(
        key,
        statement="1.2",
        label=label,
        definition=definition,
        unit=CHILDREN,
        higher_is_better=None,
        cases=lambda scope, part, cell: cases_of_part(
            part,
            cell,
            numerator=None,
            denominator=lambda: children_displaying_hsb(scope),
            cells=lambda value: children_displaying_hsb(scope).filter(**_cell_filter(group, value)),
        ),
    )
    def compute(scope: Scope) -> Figure:
        cells = [
            Cell(value, text, _children_count(scope, **{group: value})) for value, text in labels()
        ]
        return make_figure(key, numerator=None, denominator=_children_count(scope), cells=cells)

    return compute


children_by_age_band = _breakdown(
    "children_by_age_band",
    label="Children displaying HSB by age at referral",
    definition="Children displaying HSB referred in the period, by completed years at referral.",
    group="age_band",
    labels=lambda: [(band.key, band.label) for band in AGE_BANDS],
)
children_by_gender = _breakdown(
    "children_by_gender",
    label="Children displaying HSB by gender",
    definition="Children displaying HSB referred in the period, by gender.",
    group="gender",
    labels=lambda: [(value, str(text)) for value, text in Gender.choices],
)
children_by_ethnicity = _breakdown(
    "children_by_ethnicity",
    label="Children displaying HSB by ethnicity",
    definition="Children displaying HSB referred in the period, by ONS 2021 ethnic group.",
    group="ethnicity",
    labels=lambda: [(value, str(text)) for value, text in Ethnicity.choices],
)


def _child_flag_figure(key: str, flag: str, label: str, what: str) -> Callable[[Scope], Figure]:
    @register_figure(
        key,
        statement="1.2",
        label=label,
        definition=f"Of the children displaying HSB referred in the period, those {what}.",
        unit=CHILDREN,
        higher_is_better=None,
        cases=lambda scope, part, cell: cases_of_part(
            part,
            cell,
            numerator=lambda: children_displaying_hsb(scope).filter(**{_CHILD_COLUMNS[flag]: True}),
            denominator=lambda: children_displaying_hsb(scope),
        ),
    )
    def compute(scope: Scope) -> Figure:
        return make_figure(
            key,
            numerator=_children_count(scope, **{flag: True}),
            denominator=_children_count(scope),
        )

    return compute


children_with_sen = _child_flag_figure(
    "children_with_sen",
    "sen",
    "Children displaying HSB with special educational needs",
    "recorded with special educational needs",
)
children_with_learning_disability = _child_flag_figure(
    "children_with_learning_disability",
    "learning_disability",
    "Children displaying HSB with a learning disability",
    "recorded with a learning disability",
)
