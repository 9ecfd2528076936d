"""The case record: feedback on the process from children and families (3.8), the lead
practitioner (3.5), schools on the team around the child (3.6), overdue stages (3.5)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, Q, QuerySet

from agencies.models import Agency, AgencyType
from cases.models import Case, Involvement, LeadDesignation, TeamMember

from ..expressions import calendar_days
from ..models import FeedbackGiver, ProcessFeedback
from .populations import (
    PERIOD_CASES,
    SERVED_CASES,
    Population,
    case_ratio,
    cases_in,
    earlier_rows,
    histogram_of,
    median,
    served_case_ids,
)
from .registry import CASES, OPEN_CASES, Figure, cases_of_part, make_figure, register_figure
from .scope import CASE, VIA_CASE, Scope, scoped

# 3.8: the review of the processes includes the views of children and families: their
# feedback on the process itself (`ProcessFeedback`), not their views on their own case.


@PERIOD_CASES.condition("child_feedback")
def _child_feedback(scope: Scope) -> Q:
    return Q(pk__in=_feedback_from(FeedbackGiver.CHILD))


@PERIOD_CASES.condition("family_feedback")
def _family_feedback(scope: Scope) -> Q:
    return Q(pk__in=_feedback_from(FeedbackGiver.PARENT_CARER, FeedbackGiver.FAMILY))


def _feedback_from(*givers: str) -> QuerySet[Any]:
    return ProcessFeedback.objects.filter(given_by__in=givers).values("case_id")


child_process_feedback = case_ratio(
    "child_process_feedback",
    statement="3.8",
    label="Cases with the child's feedback on the process",
    definition=(
        "Of the period's cases, those where the child's feedback on the referral and "
        "assessment process (not their views on their own case) has been recorded for the "
        "partnership's review of its processes."
    ),
    hits="child_feedback",
)
family_process_feedback = case_ratio(
    "family_process_feedback",
    statement="3.8",
    label="Cases with the family's feedback on the process",
    definition=(
        "Of the period's cases, those where a parent, carer or other family member's "
        "feedback on the referral and assessment process has been recorded for the "
        "partnership's review of its processes."
    ),
    hits="family_feedback",
)


# 3.5: a lead practitioner is designated for the cases that need one: the children displaying
# HSB given a service beyond universal advice. Children harmed, cases closed with no further
# action and those met with universal advice only are not in the denominator.


@SERVED_CASES.condition("displaying_hsb")
def _served_displaying_hsb(scope: Scope) -> Q:
    return Q(involvement=Involvement.DISPLAYING_HSB)


def _first_leads(scope: Scope) -> QuerySet[LeadDesignation]:
    """The first designation of each served case of a child displaying HSB."""
    rows = LeadDesignation.objects.filter(~Exists(earlier_rows(LeadDesignation, "started_at")))
    rows = rows.filter(
        case__involvement=Involvement.DISPLAYING_HSB, case_id__in=served_case_ids(scope)
    )
    return scoped(rows, scope, VIA_CASE)


@register_figure(
    "lead_practitioner_designated",
    statement="3.5",
    label="Time to designating a lead practitioner",
    definition=(
        "Of the period's cases of children displaying HSB given a service beyond universal "
        "advice (early help, specialist or statutory: the cases that need a lead; children "
        "harmed, no further action and universal advice are not counted), those with a "
        "lead practitioner designated; the median counts calendar days from the case being "
        "opened to its first designation."
    ),
    unit=CASES,
    value_label="median days from case opening to the first lead designation",
    higher_is_better=None,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: cases_in(_first_leads(scope).values("case_id")),
        denominator=lambda: SERVED_CASES.where(scope, "displaying_hsb"),
    ),
)
def lead_practitioner_designated(scope: Scope) -> Figure:
    histogram = histogram_of(_first_leads(scope), calendar_days("case__created", "started_at"))
    return make_figure(
        "lead_practitioner_designated",
        numerator=sum(histogram.values()),
        denominator=SERVED_CASES.counts(scope)["displaying_hsb"],
        value=median(histogram),
        value_count=sum(histogram.values()),
    )


# 3.6: schools' ongoing support via multi-agency processes: a school on the team around the
# child of a case given a service.


@SERVED_CASES.condition("school_on_team")
def _school_on_team(scope: Scope) -> Q:
    schools = Agency.objects.filter(agency_type=AgencyType.SCHOOL).values("pk")
    return Q(pk__in=TeamMember.objects.filter(agency_id__in=schools).values("case_id"))


school_on_team = case_ratio(
    "school_on_team",
    statement="3.6",
    label="Cases with a school on the team around the child",
    definition=(
        "Of the period's cases given a service beyond universal advice (early help, "
        "specialist or statutory), those with a school on the team around the child at any "
        "time: education settings giving ongoing support through multi-agency processes."
    ),
    hits="school_on_team",
    population=SERVED_CASES,
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
