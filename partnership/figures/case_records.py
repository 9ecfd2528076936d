"""The case record: views (3.8), the lead practitioner (3.5), overdue stages (3.5)."""

from __future__ import annotations

from django.db.models import Exists, Q, QuerySet

from cases.models import Case, LeadDesignation, RecordedView, ViewHolder

from ..expressions import calendar_days
from .populations import (
    PERIOD_CASES,
    Population,
    case_ids_with,
    case_ratio,
    cases_in,
    earlier_rows,
    histogram_of,
    median,
)
from .registry import CASES, OPEN_CASES, Figure, cases_of_part, make_figure, register_figure
from .scope import CASE, VIA_CASE, Scope, scoped


@PERIOD_CASES.condition("child_view")
def _child_view(scope: Scope) -> Q:
    return Q(pk__in=case_ids_with(RecordedView, holder=ViewHolder.CHILD))


@PERIOD_CASES.condition("family_view")
def _family_view(scope: Scope) -> Q:
    return Q(
        pk__in=case_ids_with(RecordedView, holder__in=(ViewHolder.PARENT_CARER, ViewHolder.FAMILY))
    )


child_views_recorded = case_ratio(
    "child_views_recorded",
    statement="3.8",
    label="Cases with the child's views recorded",
    definition="Of the period's cases, those with at least one recorded view of the child.",
    hits="child_view",
)
family_views_recorded = case_ratio(
    "family_views_recorded",
    statement="3.8",
    label="Cases with the family's views recorded",
    definition=(
        "Of the period's cases, those with at least one recorded view of a parent, carer or "
        "other family member."
    ),
    hits="family_view",
)


def _first_leads(scope: Scope) -> QuerySet[LeadDesignation]:
    rows = LeadDesignation.objects.filter(~Exists(earlier_rows(LeadDesignation, "started_at")))
    return scoped(rows, scope, VIA_CASE)


@register_figure(
    "lead_practitioner_designated",
    statement="3.5",
    label="Time to designating a lead practitioner",
    definition=(
        "Of the period's cases, those with a lead practitioner designated; the median counts "
        "calendar days from the case being opened to its first designation."
    ),
    unit=CASES,
    value_label="median days from case opening to the first lead designation",
    higher_is_better=None,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: cases_in(_first_leads(scope).values("case_id")),
        denominator=lambda: PERIOD_CASES.where(scope),
    ),
)
def lead_practitioner_designated(scope: Scope) -> Figure:
    histogram = histogram_of(_first_leads(scope), calendar_days("case__created", "started_at"))
    return make_figure(
        "lead_practitioner_designated",
        numerator=sum(histogram.values()),
        denominator=PERIOD_CASES.counts(scope)["total"],
        value=median(histogram),
        value_count=sum(histogram.values()),
    )


def open_cases(scope: Scope) -> QuerySet[Case]:
    """Open cases of the area referred at any time, matching the filters."""
    return scoped(Case.objects.filter(closed_at__isnull=True), scope, CASE, in_period=False)


OPEN = Population("open_cases", open_cases, "pk")


@OPEN.condition("overdue")
def _overdue_now(scope: Scope) -> Q:
    return Q(stage_due_on__lt=scope.today)


stages_overdue_now = case_ratio(
    "stages_overdue_now",
    statement="3.5",
    label="Open cases whose stage is overdue today",
    definition=(
        "Of the area's open cases (referred at any time, not only in the period), those whose "
        "current stage is past its working-day due date today."
    ),
    hits="overdue",
    population=OPEN,
    unit=OPEN_CASES,
    higher_is_better=False,
)
