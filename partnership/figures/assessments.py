"""Assessments: timeliness (3.5), tools (3.1), holistic (3.2), multi-agency (3.4), schools'
contributions (3.6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Exists, Q, QuerySet
from django.db.models.functions import Coalesce

from agencies.models import Agency, AgencyType
from assessments.models import (
    HOLISTIC_SECTIONS,
    Assessment,
    AssessmentContribution,
    AssessmentType,
)
from cases.models import Case

from ..expressions import working_days
from .populations import Population, cases_in, earlier_rows, histogram_of, median
from .registry import ASSESSMENTS, CASES, Figure, cases_of_part, make_figure, register_figure
from .scope import VIA_CASE, Scope, scoped

ASSESSMENT_DAYS = 45  # a CSC assessment: no later than 45 working days from referral
# The one assessment the 45-working-day timescale applies to (Working Together): the other
# types (screening, AIM, specialist …) have the pathway's own timescales, not this one.
TIMED_TYPE = AssessmentType.CSC_ASSESSMENT


def period_assessments(scope: Scope) -> QuerySet[Assessment]:
    return scoped(Assessment.objects.all(), scope, VIA_CASE)


ASSESSMENT_ROWS = Population("assessments", period_assessments, "case_id")


def _first_assessments(scope: Scope, moment: str) -> QuerySet[Assessment]:
    """Each of the period's cases' first children's social care assessment to reach the moment
    (started, authorised)."""
    reached = {f"{moment}__isnull": False, "assessment_type": TIMED_TYPE}
    rows = Assessment.objects.filter(**reached).filter(
        ~Exists(earlier_rows(Assessment, moment, **reached))
    )
    return scoped(rows, scope, VIA_CASE)


def _assessment_timeliness(key: str, moment: str) -> Callable[[Scope], Figure]:
    def days(scope: Scope) -> Any:
        # The statutory clock starts at the referral to children's social care: a step-up's
        # moment, or the referral itself when the door routed the case there (item 4's anchor,
        # `Case.csc_referred_at`); a case with none recorded counts from its referral.
        start = Coalesce("case__csc_referred_at", "case__referral_received_at")
        return working_days(start, moment, holidays=scope.holidays, working=scope.working)

    def cases(scope: Scope, part: str, cell: str) -> QuerySet[Case]:
        rows = _first_assessments(scope, moment)
        return cases_of_part(
            part,
            cell,
            numerator=lambda: cases_in(
                rows.alias(_days=days(scope)).filter(_days__lte=ASSESSMENT_DAYS).values("case_id")
            ),
            denominator=lambda: cases_in(rows.values("case_id")),
        )

    verb = "started" if moment == "started_at" else "authorised"

    @register_figure(
        key,
        statement="3.5",
        label=(
            f"Children's social care assessment {verb} within 45 working days of the referral "
            "to children's social care"
        ),
        definition=(
            f"Of the period's cases with a children's social care assessment {verb}, those "
            f"whose first one was {verb} within 45 working days of the referral to children's "
            f"social care (the statutory timescale, which applies to that assessment only; "
            f"other assessment types are not counted): for a case stepped up, from the step-up, "
            f"not from the first referral. The median counts the same working days."
        ),
        unit=CASES,
        value_label=(
            f"median working days from the referral to children's social care to the first "
            f"{verb} children's social care assessment"
        ),
        cases=cases,
    )
    def compute(scope: Scope) -> Figure:
        histogram = histogram_of(_first_assessments(scope, moment), days(scope))
        return make_figure(
            key,
            numerator=sum(n for value, n in histogram.items() if value <= ASSESSMENT_DAYS),
            denominator=sum(histogram.values()),
            value=median(histogram),
            value_count=sum(histogram.values()),
        )

    return compute


assessment_started_within_45_days = _assessment_timeliness(
    "assessment_started_within_45_days", "started_at"
)
assessment_authorised_within_45_days = _assessment_timeliness(
    "assessment_authorised_within_45_days", "authorised_at"
)


@ASSESSMENT_ROWS.condition("started")
def _started(scope: Scope) -> Q:
    return Q(started_at__isnull=False)


@ASSESSMENT_ROWS.condition("suitable_tool")
def _suitable_tool(scope: Scope) -> Q:
    return Q(started_at__isnull=False, tool_warnings=[])


@ASSESSMENT_ROWS.condition("warned")
def _warned(scope: Scope) -> Q:
    return ~Q(tool_warnings=[]) | ~Q(type_warnings=[])


@ASSESSMENT_ROWS.condition("warnings_justified")
def _warnings_justified(scope: Scope) -> Q:
    return _warned(scope) & (
        (Q(tool_warnings=[]) | ~Q(tool_justification=""))
        & (Q(type_warnings=[]) | ~Q(type_justification=""))
    )


@ASSESSMENT_ROWS.condition("holistic")
def _holistic(scope: Scope) -> Q:
    # The services save each section stripped: written means not empty.
    condition = Q(started_at__isnull=False)
    for section in HOLISTIC_SECTIONS:
        condition &= ~Q(**{section: ""})
    return condition


@ASSESSMENT_ROWS.condition("multi_agency")
def _multi_agency(scope: Scope) -> Q:
    several = (
        AssessmentContribution.objects.values("assessment_id")
        .annotate(agencies=Count("agency_id", distinct=True))
        .filter(agencies__gte=2)
        .values("assessment_id")
    )
    return Q(started_at__isnull=False, pk__in=several)


@ASSESSMENT_ROWS.condition("school_contribution")
def _school_contribution(scope: Scope) -> Q:
    schools = Agency.objects.filter(agency_type=AgencyType.SCHOOL).values("pk")
    contributed = AssessmentContribution.objects.filter(agency_id__in=schools).values(
        "assessment_id"
    )
    return Q(started_at__isnull=False, pk__in=contributed)


def _assessment_ratio(
    key: str, *, statement: str, label: str, definition: str, hits: str, total: str
) -> Callable[[Scope], Figure]:
    @register_figure(
        key,
        statement=statement,
        label=label,
        definition=definition,
        unit=ASSESSMENTS,
        cases=lambda scope, part, cell: cases_of_part(
            part,
            cell,
            numerator=lambda: ASSESSMENT_ROWS.cases(scope, hits),
            denominator=lambda: ASSESSMENT_ROWS.cases(scope, total),
        ),
    )
    def compute(scope: Scope) -> Figure:
        counts = ASSESSMENT_ROWS.counts(scope)
        return make_figure(key, numerator=counts[hits], denominator=counts[total])

    return compute


suitable_tool = _assessment_ratio(
    "suitable_tool",
    statement="3.1",
    label="Assessments started with a tool suited to the child",
    definition=(
        "Of the period's cases' assessments that have been started, those whose tool raised no "
        "population warning for the child (age, gender, learning disability) or the "
        "practitioner's certification (the catalogue's suitability rules)."
    ),
    hits="suitable_tool",
    total="started",
)
warnings_justified = _assessment_ratio(
    "warnings_justified",
    statement="3.1",
    label="Assessment warnings with a recorded justification",
    definition=(
        "Of the period's cases' assessments with a tool warning or an assessment-type warning, "
        "those where every warning has a recorded justification."
    ),
    hits="warnings_justified",
    total="warned",
)
holistic_sections_complete = _assessment_ratio(
    "holistic_sections_complete",
    statement="3.2",
    label="Assessments with every holistic section written",
    definition=(
        "Of the period's cases' assessments that have been started (in progress, submitted or "
        "authorised), those with all four holistic sections written: harmful behaviours, "
        "development, family and environment."
    ),
    hits="holistic",
    total="started",
)
multi_agency_contributions = _assessment_ratio(
    "multi_agency_contributions",
    statement="3.4",
    label="Assessments with two or more agencies contributing",
    definition=(
        "Of the period's cases' assessments that have been started, those with recorded "
        "contributions from at least two different agencies."
    ),
    hits="multi_agency",
    total="started",
)
school_assessment_contributions = _assessment_ratio(
    "school_assessment_contributions",
    statement="3.6",
    label="Assessments with a school contributing",
    definition=(
        "Of the period's cases' assessments that have been started, those with a recorded "
        "contribution from a school: education settings contributing to assessment."
    ),
    hits="school_contribution",
    total="started",
)
