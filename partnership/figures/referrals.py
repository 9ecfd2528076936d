"""Referrals of children (3.6, 3.5 re-referrals), the shared language of the continuum (3.7)
and schools' referrals taken on (3.3).

A referral of a child is either the referral that opened one of the period's cases (the
case's `referral`) or a later referral in the period that joined the child's open case.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from cases.codes import ReferralSource
from cases.models import Case, Involvement, ReferralChild

from .populations import PERIOD_CASES, SERVED_CASES, Population, case_ratio, cases_in
from .registry import CASES, REFERRALS, Cell, Figure, cases_of_part, make_figure, register_figure
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


# 3.7: a shared language. The referrer places the behaviour on the continuum; the front door
# confirms a level after screening, asked for afresh (never copied from the referral). Where
# the two agree, referrer and front door use the continuum alike.


@PERIOD_CASES.condition("level_compared")
def _level_compared(scope: Scope) -> Q:
    return (
        Q(involvement=Involvement.DISPLAYING_HSB)
        & Q(referral__isnull=False)
        & ~Q(referral__continuum_level="")
        & ~Q(confirmed_continuum_level="")
    )


@PERIOD_CASES.condition("level_agrees")
def _level_agrees(scope: Scope) -> Q:
    return _level_compared(scope) & Q(confirmed_continuum_level=F("referral__continuum_level"))


continuum_level_agreement = case_ratio(
    "continuum_level_agreement",
    statement="3.7",
    label="Referrer's continuum level confirmed after screening",
    definition=(
        "Of the period's cases of children displaying HSB whose referral placed the behaviour "
        "on the continuum and whose level has been confirmed after screening, those where "
        "the confirmed level is the referrer's: referrers and the front door using the "
        "continuum as a shared language. The level is confirmed by the front door or an "
        "authorised assessment, never copied from the referral."
    ),
    hits="level_agrees",
    total="level_compared",
)


# 3.3: the designated safeguarding lead in school clear on their role regarding HSB. The
# system cannot see a DSL's understanding, but it holds what follows from it: a DSL who knows
# the continuum meets normal behaviour in school and refers what the pathway is for, so the
# front door takes their referrals on to a service rather than returning them with no
# further action or universal advice.


@PERIOD_CASES.condition("school_decided")
def _school_decided(scope: Scope) -> Q:
    return Q(involvement=Involvement.DISPLAYING_HSB, referral__source=ReferralSource.SCHOOLS) & ~Q(
        current_stage_id__in=scope.initial_stage_ids
    )


@SERVED_CASES.condition("school_taken_up")
def _school_taken_up(scope: Scope) -> Q:
    return _school_decided(scope)


@register_figure(
    "school_referrals_taken_up",
    statement="3.3",
    label="School referrals taken on beyond universal advice",
    definition=(
        "Of the period's cases of children displaying HSB referred by a school (census "
        "source 2A, the designated safeguarding lead's referral) that have left the initial "
        "decision, those given a service beyond universal advice (early help, the HSB panel, "
        "a specialist or a children's social care assessment). A proxy for 3.3: a DSL clear "
        "on their role regarding HSB handles normal behaviour in school and refers what the "
        "pathway is for, so few of their referrals are returned with no further action or "
        "advice only."
    ),
    unit=CASES,
    cases=lambda scope, part, cell: cases_of_part(
        part,
        cell,
        numerator=lambda: SERVED_CASES.where(scope, "school_taken_up"),
        denominator=lambda: PERIOD_CASES.where(scope, "school_decided"),
    ),
)
def school_referrals_taken_up(scope: Scope) -> Figure:
    return make_figure(
        "school_referrals_taken_up",
        numerator=SERVED_CASES.counts(scope)["school_taken_up"],
        denominator=PERIOD_CASES.counts(scope)["school_decided"],
    )


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
