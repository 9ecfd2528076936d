"""Referrals of children (3.6, 3.7, 3.5 re-referrals).

A referral of a child is either the referral that opened one of the period's cases (the
case's `referral`) or a later referral in the period that joined the child's open case.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from cases.codes import ReferralSource
from cases.models import Case, ReferralChild

from .populations import PERIOD_CASES, Population, cases_in
from .registry import REFERRALS, Cell, Figure, cases_of_part, make_figure, register_figure
from .scope import CASE, LINK, RE_REFERRAL_DAYS, Scope, scoped

EDUCATION_SOURCES = (ReferralSource.SCHOOLS, ReferralSource.EDUCATION_SERVICES)


def joined_referrals(scope: Scope) -> QuerySet[ReferralChild]:
    """Referrals in the period that joined a child's open case (no new case opened)."""
    return scoped(ReferralChild.objects.filter(joined_open_case=True), scope, LINK)


JOINED_REFERRALS = Population(
    "joined_referrals", joined_referrals, "case_id", group_by="referral__source"
)


@PERIOD_CASES.condition("with_referral")
@JOINED_REFERRALS.condition("with_referral")
def _with_referral(scope: Scope) -> Q:
    return Q(referral__isnull=False)


def _referral_totals(scope: Scope, name: str) -> tuple[int, int]:
    """(referrals of children meeting the named condition, all referrals of children)."""
    opening, joined = PERIOD_CASES.counts(scope), JOINED_REFERRALS.counts(scope)
    return opening[name] + joined[name], opening["with_referral"] + joined["with_referral"]


def _referral_cases(scope: Scope, name: str = "") -> QuerySet[Case]:
    opening = PERIOD_CASES.where(scope, name or "with_referral")
    joined = JOINED_REFERRALS.where(scope, name)
    return cases_in(opening.values("pk"), joined.values("case_id"))


def _referral_sources(scope: Scope) -> dict[str, int]:
    """Referrals of children per census source, from the two batches' groups."""
    counts: dict[str, int] = {}
    for population in (PERIOD_CASES, JOINED_REFERRALS):
        for source, group in population.groups(scope).items():
            if source:  # cases opened without a referral record have no source
                counts[source] = counts.get(source, 0) + group["with_referral"]
    return counts


def _source_cases(scope: Scope, source: str) -> QuerySet[Case]:
    return cases_in(
        PERIOD_CASES.rows(scope).filter(referral__source=source).values("pk"),
        joined_referrals(scope).filter(referral__source=source).values("case_id"),
    )


@register_figure(
    "referral_sources",
    statement="3.6",
    label="Referrals of children by source",
    definition=(
        "Each child named in a referral received in the period, by the referral's census "
        "source code (1A individual … 10 unknown)."
    ),
    unit=REFERRALS,
    higher_is_better=None,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=None,
        denominator=lambda: _referral_cases(scope),
        cells=lambda source: _source_cases(scope, source),
    ),
)
def referral_sources(scope: Scope) -> Figure:
    counts = _referral_sources(scope)
    cells = [
        Cell(code, str(label), counts[code])
        for code, label in ReferralSource.choices
        if counts.get(code)
    ]
    return make_figure(
        "referral_sources", numerator=None, denominator=sum(counts.values()), cells=cells
    )


@PERIOD_CASES.condition("from_education")
@JOINED_REFERRALS.condition("from_education")
def _from_education(scope: Scope) -> Q:
    return Q(referral__source__in=EDUCATION_SOURCES)


@register_figure(
    "education_share",
    statement="3.6",
    label="Referrals from education settings",
    definition=(
        "Referrals of children whose source is 2A (schools) or 2B (education services), "
        "of all referrals of children received in the period."
    ),
    unit=REFERRALS,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "from_education"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def education_share(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "from_education")
    return make_figure("education_share", numerator=hits, denominator=total)


@PERIOD_CASES.condition("level_recorded")
@JOINED_REFERRALS.condition("level_recorded")
def _level_recorded(scope: Scope) -> Q:
    return Q(referral__isnull=False) & ~Q(referral__continuum_level="")


@register_figure(
    "continuum_level_recorded",
    statement="3.7",
    label="Referrals with a continuum level recorded",
    definition=(
        "Referrals of children received in the period whose referral records where the "
        "behaviour sits on the continuum (normal … violent): a shared language at the door."
    ),
    unit=REFERRALS,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "level_recorded"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def continuum_level_recorded(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "level_recorded")
    return make_figure("continuum_level_recorded", numerator=hits, denominator=total)


def _earlier_referrals(received_at: str, child: str) -> tuple[Q, Q]:
    """The child had another referral in the 365 days before this one: an earlier case, or
    an earlier referral that joined an open case. Two tests, each a hash semi-join; one
    test joined with OR would be run per row."""
    window = {
        "gte": OuterRef(received_at) - timedelta(days=RE_REFERRAL_DAYS),
        "lt": OuterRef(received_at),
    }
    earlier_case = Case.objects.filter(
        child_id=OuterRef(child),
        referral_received_at__gte=window["gte"],
        referral_received_at__lt=window["lt"],
    )
    earlier_join = ReferralChild.objects.filter(
        child_id=OuterRef(child),
        joined_open_case=True,
        referral__received_at__gte=window["gte"],
        referral__received_at__lt=window["lt"],
    )
    return Q(Exists(earlier_case)), Q(Exists(earlier_join))


# The re-referred rows are found once, as sets, and counted in each population's batch by
# membership.


@PERIOD_CASES.condition("re_referral")
def _re_referred_case(scope: Scope) -> Q:
    candidates = scoped(Case.objects.filter(referral__isnull=False), scope, CASE)
    condition = Q()
    for earlier in _earlier_referrals("referral_received_at", "child_id"):
        condition |= Q(pk__in=candidates.filter(earlier).values("pk"))
    return Q(referral__isnull=False) & condition


@JOINED_REFERRALS.condition("re_referral")
def _re_referred_link(scope: Scope) -> Q:
    condition = Q()
    for earlier in _earlier_referrals("referral__received_at", "child_id"):
        condition |= Q(pk__in=joined_referrals(scope).filter(earlier).values("pk"))
    return condition


@register_figure(
    "re_referrals",
    statement="3.5",
    label="Re-referrals within 12 months",
    definition=(
        "Referrals of children received in the period about a child who had another referral "
        "in the 365 days before it (a new episode after an earlier one, or a referral that "
        "joined their open case)."
    ),
    unit=REFERRALS,
    higher_is_better=False,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "re_referral"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def re_referrals(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "re_referral")
    return make_figure("re_referrals", numerator=hits, denominator=total)
