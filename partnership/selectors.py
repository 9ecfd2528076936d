"""Reads of the partnership: the domain 3 (and domain 1) figures from the live case records,
their drill-downs, and the audit tool's rounds and scores.

Every figure has one home here: a function taking a `Scope` (the user's partnership area, a
period of referrals received, the filters) and returning a `Figure` with its numerator,
denominator, the statement it informs and its label; `figure_cases` gives the cases behind
its numerator, denominator or a breakdown cell. Everything is aggregate SQL (COUNT with
FILTER, GROUP BY, semi- and anti-joins): nothing loops over cases in Python, and medians come
from a GROUP BY histogram of the measured days.

Figures that count the same rows share one query: each registers its condition with a
`Population` (the period's cases, their assessments, …) and the first to need the counts gets
all of them at once, kept on the scope; likewise one GROUP BY serves every domain 1 figure and
one the initial-decision and police-route figures. The whole dashboard is 14 SQL statements;
on 100,000 cases and a million events it takes about 0.85 s (`benchmarks/dashboard.py`).

Units (each figure names its own):
- *cases*: a case is one child's episode; the period's cases are those of the area whose
  referral was received in the period (`Case.referral_received_at`).
- *referrals of children*: each child named in a referral, as the CIN census counts them: the
  referral that opened each of the period's cases, plus each later referral that joined a
  child's open case (`ReferralChild.joined_open_case`), received in the period.
- *assessments*: assessments of the period's cases.
- *children*: children displaying HSB, each counted once, at their first case of the period.

Filters: the referring agency's type and the referral's census source, and the child's age
band at referral, gender, ethnicity, special educational needs and involvement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
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
from django.utils import timezone

from agencies.models import AgencyType, LocalArea
from assessments.models import HOLISTIC_SECTIONS, Assessment, AssessmentContribution
from cases.codes import Ethnicity, Gender, ReferralSource
from cases.models import (
    Case,
    Involvement,
    LeadDesignation,
    RecordedView,
    Referral,
    ReferralChild,
    StageMove,
    ViewHolder,
)
from pathways.models import Stage, Transition, TransitionKind

from .exceptions import InvalidDashboardFilter
from .expressions import (
    age_at,
    calendar_days,
    local_zone,
    weekday_holidays,
    working_day_numbers,
    working_days,
)
from .models import AgencyScore, AgreedScore, AuditRound, Domain, Statement

# --- the scope: area, period, filters ---------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str
    lowest: int | None
    highest: int | None


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under_10", "Under 10", None, 9),
    AgeBand("10_12", "10 to 12", 10, 12),
    AgeBand("13_15", "13 to 15", 13, 15),
    AgeBand("16_17", "16 to 17", 16, 17),
    AgeBand("18_plus", "18 and over", 18, None),
)
AGE_BAND_KEYS = {band.key: band for band in AGE_BANDS}
EDUCATION_SOURCES = (ReferralSource.SCHOOLS, ReferralSource.EDUCATION_SERVICES)
ASSESSMENT_DAYS = 45  # a CSC assessment: no later than 45 working days from referral
DECISION_DAYS = 1  # the initial decision: within one working day of referral
STEP_WINDOW_DAYS = 90
RE_REFERRAL_DAYS = 365


@dataclass(frozen=True)
class DashboardFilters:
    agency_type: str = ""
    source: str = ""
    age_band: str = ""
    gender: str = ""
    ethnicity: str = ""
    sen: bool | None = None
    involvement: str = ""

    def clean(self) -> DashboardFilters:
        errors: dict[str, list[str]] = {}
        for name, known in (
            ("agency_type", AgencyType.values),
            ("source", ReferralSource.values),
            ("age_band", list(AGE_BAND_KEYS)),
            ("gender", Gender.values),
            ("ethnicity", Ethnicity.values),
            ("involvement", Involvement.values),
        ):
            value = getattr(self, name)
            if value and value not in known:
                errors[name] = [f"'{value}' is not one of {', '.join(known)}."]
        if errors:
            raise InvalidDashboardFilter("Unknown filter values.", fields=errors)
        return self

    def as_query(self) -> dict[str, str]:
        """The filters as URL query parameters (only those set)."""
        values = {
            name: getattr(self, name)
            for name in ("agency_type", "source", "age_band", "gender", "ethnicity", "involvement")
            if getattr(self, name)
        }
        if self.sen is not None:
            values["sen"] = "yes" if self.sen else "no"
        return values

    def describe(self) -> str:
        labels = []
        if self.agency_type:
            labels.append(f"referring agency: {AgencyType(self.agency_type).label}")
        if self.source:
            labels.append(f"source: {ReferralSource(self.source).label}")
        if self.age_band:
            labels.append(f"age at referral: {AGE_BAND_KEYS[self.age_band].label}")
        if self.gender:
            labels.append(f"gender: {Gender(self.gender).label}")
        if self.ethnicity:
            labels.append(f"ethnicity: {Ethnicity(self.ethnicity).label}")
        if self.sen is not None:
            labels.append("SEN" if self.sen else "no SEN")
        if self.involvement:
            labels.append(str(Involvement(self.involvement).label))
        return "; ".join(labels) or "no filters"


@dataclass(frozen=True)
class Scope:
    """What the figures are about: one area's cases referred in [date_from, date_to]."""

    area_id: int
    date_from: date
    date_to: date
    filters: DashboardFilters
    version_ids: tuple[int, ...]
    initial_stage_ids: tuple[int, ...]
    step_transition_ids: tuple[int, ...]
    holidays: tuple[int, ...]
    # The working days of the range any referral or event of the scope falls in.
    working: tuple[int, ...]
    today: date
    # Results shared by several figures of one dashboard (the period's case count).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=local_zone())

    @property
    def ends(self) -> datetime:
        """Exclusive: the start of the day after `date_to`."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=local_zone())

    def with_filters(self, filters: DashboardFilters) -> Scope:
        return replace(self, filters=filters, memo={})


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, ending today."""
    today = today or timezone.localdate()
    return today - timedelta(days=364), today


def dashboard_scope(
    *,
    area_id: int,
    date_from: date,
    date_to: date,
    filters: DashboardFilters | None = None,
    today: date | None = None,
) -> Scope:
    """The scope of a dashboard: its area's pathway versions, first stages and step
    transitions (three small queries)."""
    if date_from > date_to:
        raise InvalidDashboardFilter(
            "The period ends before it starts.", fields={"date_to": ["Must not be before from."]}
        )
    today = today or timezone.localdate()
    area = LocalArea.objects.only("bank_holiday_region").get(pk=area_id)
    initial = list(
        Stage.objects.filter(version__pathway__area_id=area_id, is_initial=True).values_list(
            "pk", "version_id"
        )
    )
    steps = Transition.objects.filter(
        version__pathway__area_id=area_id,
        kind__in=(TransitionKind.STEP_UP, TransitionKind.STEP_DOWN),
    ).values_list("pk", flat=True)
    # Referrals from the period; decisions and assessments after them, up to today.
    first = min(date_from, today) - timedelta(days=RE_REFERRAL_DAYS + 7)
    last = max(date_to, today) + timedelta(days=RE_REFERRAL_DAYS)
    holidays = weekday_holidays(area.bank_holiday_region, first, last)
    return Scope(
        area_id=area_id,
        date_from=date_from,
        date_to=date_to,
        filters=(filters or DashboardFilters()).clean(),
        version_ids=tuple(sorted({version for _, version in initial})),
        initial_stage_ids=tuple(sorted(pk for pk, _ in initial)),
        step_transition_ids=tuple(sorted(steps)),
        holidays=holidays,
        working=working_day_numbers(first, last, holidays),
        today=today,
    )


@dataclass(frozen=True)
class _Paths:
    """Where a row's case facts live: the row may be a case, a stage move, a referral link…"""

    received_at: str
    child: str
    referral: str
    involvement: str
    version: str


def _via_case(prefix: str) -> _Paths:
    return _Paths(
        received_at=f"{prefix}referral_received_at",
        child=f"{prefix}child",
        referral=f"{prefix}referral",
        involvement=f"{prefix}involvement",
        version=f"{prefix}pathway_version_id",
    )


CASE = _via_case("")
VIA_CASE = _via_case("case__")
# A later referral that joined a child's open case: its own time, source and agency.
LINK = _Paths(
    received_at="referral__received_at",
    child="child",
    referral="referral",
    involvement="involvement",
    version="case__pathway_version_id",
)


def _scoped(
    queryset: QuerySet[Any], scope: Scope, paths: _Paths, *, in_period: bool = True
) -> QuerySet[Any]:
    """Rows of the area (and period) matching the filters."""
    filters = scope.filters
    conditions = Q(**{f"{paths.version}__in": scope.version_ids})
    if in_period:
        conditions &= Q(
            **{f"{paths.received_at}__gte": scope.starts, f"{paths.received_at}__lt": scope.ends}
        )
    if filters.agency_type:
        conditions &= Q(**{f"{paths.referral}__referring_agency__agency_type": filters.agency_type})
    if filters.source:
        conditions &= Q(**{f"{paths.referral}__source": filters.source})
    if filters.gender:
        conditions &= Q(**{f"{paths.child}__gender": filters.gender})
    if filters.ethnicity:
        conditions &= Q(**{f"{paths.child}__ethnicity": filters.ethnicity})
    if filters.sen is not None:
        conditions &= Q(**{f"{paths.child}__special_educational_needs": filters.sen})
    if filters.involvement:
        conditions &= Q(**{paths.involvement: filters.involvement})
    queryset = queryset.filter(conditions)
    if filters.age_band:
        band = AGE_BAND_KEYS[filters.age_band]
        queryset = queryset.alias(
            _age_at_referral=age_at(paths.received_at, f"{paths.child}__date_of_birth")
        )
        if band.lowest is not None:
            queryset = queryset.filter(_age_at_referral__gte=band.lowest)
        if band.highest is not None:
            queryset = queryset.filter(_age_at_referral__lte=band.highest)
    return queryset


def period_cases(scope: Scope) -> QuerySet[Case]:
    """The period's cases: the area's, referred in the period, matching the filters."""
    return _scoped(Case.objects.all(), scope, CASE)


# --- figures --------------------------------------------------------------------------------

CASES = "cases"
REFERRALS = "referrals of children"
ASSESSMENTS = "assessments"
CHILDREN = "children"
OPEN_CASES = "open cases"


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Figure:
    """One figure: what it counts and of what, the statement it informs, and how it is read.

    `cells` break down the numerator when there is one, else the denominator.
    """

    key: str
    statement: str
    domain: int
    label: str
    definition: str
    unit: str
    numerator: int | None
    denominator: int | None
    value: float | None = None
    value_label: str = ""
    # How many rows the median is taken over (it is withheld with them when few).
    value_count: int | None = None
    cells: tuple[Cell, ...] = ()
    higher_is_better: bool | None = True

    @property
    def cell_base(self) -> int | None:
        return self.numerator if self.numerator is not None else self.denominator


@dataclass(frozen=True)
class FigureSpec:
    key: str
    statement: str
    label: str
    definition: str
    unit: str
    compute: Callable[[Scope], Figure]
    cases: Callable[[Scope, str, str], QuerySet[Case]]
    value_label: str = ""
    higher_is_better: bool | None = True

    @property
    def domain(self) -> int:
        return int(self.statement.split(".")[0])


FIGURES: dict[str, FigureSpec] = {}
PARTS = ("numerator", "denominator", "cell")


def _figure(
    key: str,
    *,
    numerator: int | None,
    denominator: int | None,
    value: float | None = None,
    value_count: int | None = None,
    cells: Iterable[Cell] = (),
) -> Figure:
    spec = FIGURES[key]
    return Figure(
        key=key,
        statement=spec.statement,
        domain=spec.domain,
        label=spec.label,
        definition=spec.definition,
        unit=spec.unit,
        numerator=numerator,
        denominator=denominator,
        value=value,
        value_label=spec.value_label,
        value_count=value_count,
        cells=tuple(cells),
        higher_is_better=spec.higher_is_better,
    )


def _register(
    key: str,
    *,
    statement: str,
    label: str,
    definition: str,
    unit: str,
    cases: Callable[[Scope, str, str], QuerySet[Case]],
    value_label: str = "",
    higher_is_better: bool | None = True,
) -> Callable[[Callable[[Scope], Figure]], Callable[[Scope], Figure]]:
    def register(compute: Callable[[Scope], Figure]) -> Callable[[Scope], Figure]:
        FIGURES[key] = FigureSpec(
            key=key,
            statement=statement,
            label=label,
            definition=definition,
            unit=unit,
            compute=compute,
            cases=cases,
            value_label=value_label,
            higher_is_better=higher_is_better,
        )
        return compute

    return register


def _memo(scope: Scope, key: str, compute: Callable[[], Any]) -> Any:
    """A result several figures of one dashboard share, computed once per scope."""
    if key not in scope.memo:
        scope.memo[key] = compute()
    return scope.memo[key]


def _cases_in(*id_querysets: QuerySet[Any]) -> QuerySet[Case]:
    """The cases whose ids the given single-column querysets select."""
    condition = Q()
    for ids in id_querysets:
        condition |= Q(pk__in=ids)
    return Case.objects.filter(condition)


def _part(
    part: str,
    cell: str,
    *,
    numerator: Callable[[], QuerySet[Case]] | None,
    denominator: Callable[[], QuerySet[Case]] | None,
    cells: Callable[[str], QuerySet[Case]] | None = None,
) -> QuerySet[Case]:
    if part == "numerator" and numerator is not None:
        return numerator()
    if part == "denominator" and denominator is not None:
        return denominator()
    if part == "cell" and cells is not None:
        return cells(cell)
    raise InvalidDashboardFilter(
        "This figure has no such part.", fields={"part": [f"'{part}' is not available."]}
    )


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

        return _memo(scope, f"counts:{self.key}", compute)

    def where(self, scope: Scope, name: str = "") -> QuerySet[Any]:
        rows = self.rows(scope)
        return rows.filter(self.conditions[name](scope)) if name else rows

    def cases(self, scope: Scope, name: str = "") -> QuerySet[Case]:
        return _cases_in(self.where(scope, name).values(self.case_ids))


def _histogram(queryset: QuerySet[Any], measure: Any) -> dict[int, int]:
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


def _case_ids(model: Any, **conditions: Any) -> QuerySet[Any]:
    """The ids of cases with a related row meeting the conditions (for `pk IN …`)."""
    return model.objects.filter(**conditions).values("case_id")


PERIOD_CASES = Population("period_cases", period_cases, "pk", group_by="referral__source")


def _joined_referrals(scope: Scope) -> QuerySet[ReferralChild]:
    """Referrals in the period that joined a child's open case (no new case opened)."""
    return _scoped(ReferralChild.objects.filter(joined_open_case=True), scope, LINK)


JOINED_REFERRALS = Population(
    "joined_referrals", _joined_referrals, "case_id", group_by="referral__source"
)

# --- referrals of children (3.6, 3.7, 3.5 re-referrals) -------------------------------------
#
# A referral of a child is either the referral that opened one of the period's cases (the
# case's `referral`) or a later referral in the period that joined the child's open case.


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
    return _cases_in(opening.values("pk"), joined.values("case_id"))


def _referral_sources(scope: Scope) -> dict[str, int]:
    """Referrals of children per census source, from the two batches' groups."""
    counts: dict[str, int] = {}
    for population in (PERIOD_CASES, JOINED_REFERRALS):
        for source, group in population.groups(scope).items():
            if source:  # cases opened without a referral record have no source
                counts[source] = counts.get(source, 0) + group["with_referral"]
    return counts


def _source_cases(scope: Scope, source: str) -> QuerySet[Case]:
    return _cases_in(
        PERIOD_CASES.rows(scope).filter(referral__source=source).values("pk"),
        _joined_referrals(scope).filter(referral__source=source).values("case_id"),
    )


@_register(
    "referral_sources",
    statement="3.6",
    label="Referrals of children by source",
    definition=(
        "Each child named in a referral received in the period, by the referral's census "
        "source code (1A individual … 10 unknown)."
    ),
    unit=REFERRALS,
    higher_is_better=None,
    cases=lambda scope, part, cell: _part(
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
    return _figure(
        "referral_sources", numerator=None, denominator=sum(counts.values()), cells=cells
    )


@PERIOD_CASES.condition("from_education")
@JOINED_REFERRALS.condition("from_education")
def _from_education(scope: Scope) -> Q:
    return Q(referral__source__in=EDUCATION_SOURCES)


@_register(
    "education_share",
    statement="3.6",
    label="Referrals from education settings",
    definition=(
        "Referrals of children whose source is 2A (schools) or 2B (education services), "
        "of all referrals of children received in the period."
    ),
    unit=REFERRALS,
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "from_education"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def education_share(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "from_education")
    return _figure("education_share", numerator=hits, denominator=total)


@PERIOD_CASES.condition("level_recorded")
@JOINED_REFERRALS.condition("level_recorded")
def _level_recorded(scope: Scope) -> Q:
    return Q(referral__isnull=False) & ~Q(referral__continuum_level="")


@_register(
    "continuum_level_recorded",
    statement="3.7",
    label="Referrals with a continuum level recorded",
    definition=(
        "Referrals of children received in the period whose referral records where the "
        "behaviour sits on the continuum (normal … violent): a shared language at the door."
    ),
    unit=REFERRALS,
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "level_recorded"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def continuum_level_recorded(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "level_recorded")
    return _figure("continuum_level_recorded", numerator=hits, denominator=total)


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
    candidates = _scoped(Case.objects.filter(referral__isnull=False), scope, CASE)
    condition = Q()
    for earlier in _earlier_referrals("referral_received_at", "child_id"):
        condition |= Q(pk__in=candidates.filter(earlier).values("pk"))
    return Q(referral__isnull=False) & condition


@JOINED_REFERRALS.condition("re_referral")
def _re_referred_link(scope: Scope) -> Q:
    condition = Q()
    for earlier in _earlier_referrals("referral__received_at", "child_id"):
        condition |= Q(pk__in=_joined_referrals(scope).filter(earlier).values("pk"))
    return condition


@_register(
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
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _referral_cases(scope, "re_referral"),
        denominator=lambda: _referral_cases(scope),
    ),
)
def re_referrals(scope: Scope) -> Figure:
    hits, total = _referral_totals(scope, "re_referral")
    return _figure("re_referrals", numerator=hits, denominator=total)


# --- the initial decision and routing (3.5) -------------------------------------------------


def _earlier(model: Any, moment: str, **same: Any) -> Any:
    """Rows of the same case before this one (ties broken by id), for an anti-join."""
    return model.objects.filter(case_id=OuterRef("case_id"), **same).filter(
        Q(**{f"{moment}__lt": OuterRef(moment)})
        | Q(**{moment: OuterRef(moment), "pk__lt": OuterRef("pk")})
    )


def first_decisions(scope: Scope) -> QuerySet[StageMove]:
    """Each of the period's cases' first move out of the initial decision, if made.

    A case leaves the initial decision a second time only after coming back into it (a
    reopening), so its first move out is the one with no earlier move back in: that anti-join
    reads the few re-entries, not every decision.
    """
    initial = scope.initial_stage_ids
    re_entries = _earlier(StageMove, "moved_at", to_stage_id__in=initial).exclude(kind="start")
    moves = StageMove.objects.filter(from_stage_id__in=initial).filter(~Exists(re_entries))
    return _scoped(moves, scope, VIA_CASE)


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

    return _memo(scope, "decision_groups", compute)


def _decision_histogram(scope: Scope) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for group in _decision_groups(scope):
        histogram[group["days"]] = histogram.get(group["days"], 0) + group["n"]
    return histogram


@_register(
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
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _cases_in(
            first_decisions(scope)
            .alias(_days=_decision_days(scope))
            .filter(_days__lte=DECISION_DAYS)
            .values("case_id")
        ),
        denominator=lambda: _cases_in(first_decisions(scope).values("case_id")),
    ),
)
def initial_decision_within_one_working_day(scope: Scope) -> Figure:
    histogram = _decision_histogram(scope)
    return _figure(
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
    earlier = _earlier(StageMove, "moved_at", **routes).filter(
        case_id__in=re_entered.values("case_id")
    )
    return _scoped(StageMove.objects.filter(**routes).filter(~Exists(earlier)), scope, VIA_CASE)


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


@_register(
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
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _cases_in(
            first_routings(scope).filter(_stepped_soon(scope)).values("case_id")
        ),
        denominator=lambda: _cases_in(first_routings(scope).values("case_id")),
    ),
)
def stepped_within_90_days(scope: Scope) -> Figure:
    counts = first_routings(scope).aggregate(
        total=Count("pk"), stepped=Count("pk", filter=_stepped_soon(scope))
    )
    return _figure(
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
    return _cases_in(decided.filter(transition__key=key).values("case_id"))


@_register(
    "police_involved_routes",
    statement="3.5",
    label="Police-involved cases and the route they took",
    definition=(
        "The period's cases whose referral involved the police, of all the period's cases, "
        "broken down by the first route out of the initial decision (or still awaiting it)."
    ),
    unit=CASES,
    higher_is_better=None,
    cases=lambda scope, part, cell: _part(
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
    return _figure(
        "police_involved_routes",
        numerator=counts["police"],
        denominator=counts["total"],
        cells=cells,
    )


# --- assessments: timeliness (3.5), tools (3.1), holistic (3.2), multi-agency (3.4) ----------


def period_assessments(scope: Scope) -> QuerySet[Assessment]:
    return _scoped(Assessment.objects.all(), scope, VIA_CASE)


ASSESSMENT_ROWS = Population("assessments", period_assessments, "case_id")


def _first_assessments(scope: Scope, moment: str) -> QuerySet[Assessment]:
    """Each of the period's cases' first assessment to reach the moment (started, authorised)."""
    reached = {f"{moment}__isnull": False}
    rows = Assessment.objects.filter(**reached).filter(
        ~Exists(_earlier(Assessment, moment, **reached))
    )
    return _scoped(rows, scope, VIA_CASE)


def _assessment_timeliness(key: str, moment: str) -> Callable[[Scope], Figure]:
    def days(scope: Scope) -> Any:
        return working_days(
            "case__referral_received_at", moment, holidays=scope.holidays, working=scope.working
        )

    def cases(scope: Scope, part: str, cell: str) -> QuerySet[Case]:
        rows = _first_assessments(scope, moment)
        return _part(
            part,
            cell,
            numerator=lambda: _cases_in(
                rows.alias(_days=days(scope)).filter(_days__lte=ASSESSMENT_DAYS).values("case_id")
            ),
            denominator=lambda: _cases_in(rows.values("case_id")),
        )

    verb = "started" if moment == "started_at" else "authorised"

    @_register(
        key,
        statement="3.5",
        label=f"Assessment {verb} within 45 working days of referral",
        definition=(
            f"Of the period's cases with an assessment {verb}, those whose first assessment "
            f"was {verb} within 45 working days of the referral (the statutory assessment "
            f"timescale). The median counts working days from referral."
        ),
        unit=CASES,
        value_label=f"median working days from referral to the first {verb} assessment",
        cases=cases,
    )
    def compute(scope: Scope) -> Figure:
        histogram = _histogram(_first_assessments(scope, moment), days(scope))
        return _figure(
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


def _assessment_ratio(
    key: str, *, statement: str, label: str, definition: str, hits: str, total: str
) -> Callable[[Scope], Figure]:
    @_register(
        key,
        statement=statement,
        label=label,
        definition=definition,
        unit=ASSESSMENTS,
        cases=lambda scope, part, cell: _part(
            part,
            cell,
            numerator=lambda: ASSESSMENT_ROWS.cases(scope, hits),
            denominator=lambda: ASSESSMENT_ROWS.cases(scope, total),
        ),
    )
    def compute(scope: Scope) -> Figure:
        counts = ASSESSMENT_ROWS.counts(scope)
        return _figure(key, numerator=counts[hits], denominator=counts[total])

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


# --- the case record: views (3.8), the lead practitioner (3.5), overdue stages (3.5) --------


@PERIOD_CASES.condition("child_view")
def _child_view(scope: Scope) -> Q:
    return Q(pk__in=_case_ids(RecordedView, holder=ViewHolder.CHILD))


@PERIOD_CASES.condition("family_view")
def _family_view(scope: Scope) -> Q:
    return Q(
        pk__in=_case_ids(RecordedView, holder__in=(ViewHolder.PARENT_CARER, ViewHolder.FAMILY))
    )


def _case_ratio(
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
    @_register(
        key,
        statement=statement,
        label=label,
        definition=definition,
        unit=unit,
        higher_is_better=higher_is_better,
        cases=lambda scope, part, cell: _part(
            part,
            cell,
            numerator=lambda: population.where(scope, hits),
            denominator=lambda: population.where(scope, total),
        ),
    )
    def compute(scope: Scope) -> Figure:
        counts = population.counts(scope)
        return _figure(key, numerator=counts[hits], denominator=counts[total or "total"])

    return compute


child_views_recorded = _case_ratio(
    "child_views_recorded",
    statement="3.8",
    label="Cases with the child's views recorded",
    definition="Of the period's cases, those with at least one recorded view of the child.",
    hits="child_view",
)
family_views_recorded = _case_ratio(
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
    rows = LeadDesignation.objects.filter(~Exists(_earlier(LeadDesignation, "started_at")))
    return _scoped(rows, scope, VIA_CASE)


@_register(
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
    cases=lambda scope, part, cell: _part(
        part,
        cell,
        numerator=lambda: _cases_in(_first_leads(scope).values("case_id")),
        denominator=lambda: PERIOD_CASES.where(scope),
    ),
)
def lead_practitioner_designated(scope: Scope) -> Figure:
    histogram = _histogram(_first_leads(scope), calendar_days("case__created", "started_at"))
    return _figure(
        "lead_practitioner_designated",
        numerator=sum(histogram.values()),
        denominator=PERIOD_CASES.counts(scope)["total"],
        value=median(histogram),
        value_count=sum(histogram.values()),
    )


def open_cases(scope: Scope) -> QuerySet[Case]:
    """Open cases of the area referred at any time, matching the filters."""
    return _scoped(Case.objects.filter(closed_at__isnull=True), scope, CASE, in_period=False)


OPEN = Population("open_cases", open_cases, "pk")


@OPEN.condition("overdue")
def _overdue_now(scope: Scope) -> Q:
    return Q(stage_due_on__lt=scope.today)


stages_overdue_now = _case_ratio(
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


# --- domain 1: children displaying HSB (1.1, 1.2) ---------------------------------------------


@PERIOD_CASES.condition("displaying_hsb")
def _displaying_hsb(scope: Scope) -> Q:
    return Q(involvement=Involvement.DISPLAYING_HSB)


@PERIOD_CASES.condition("not_receiving_service")
def _not_receiving_service(scope: Scope) -> Q:
    """Closed at the initial decision and never routed, or waiting there past its timescale."""
    initial = scope.initial_stage_ids
    closed_at_door = _case_ids(StageMove, from_stage_id__in=initial, kind=TransitionKind.CLOSE)
    # Routed later (after a reopening): looked for only among the cases closed at the door.
    routed = _case_ids(
        StageMove, from_stage_id__in=initial, kind=TransitionKind.ROUTE, case_id__in=closed_at_door
    )
    closed = Q(closed_at__isnull=False, pk__in=closed_at_door) & ~Q(pk__in=routed)
    waiting = Q(closed_at__isnull=True, current_stage_id__in=initial, stage_due_on__lt=scope.today)
    return _displaying_hsb(scope) & (closed | waiting)


not_receiving_service = _case_ratio(
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
    earlier = _scoped(
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

    return _memo(scope, "children_groups", compute)


def _children_count(scope: Scope, **where: Any) -> int:
    return sum(
        group["n"]
        for group in _children_groups(scope)
        if all(group[name] == value for name, value in where.items())
    )


@_register(
    "children_displaying_hsb",
    statement="1.1",
    label="Children displaying HSB referred",
    definition=(
        "Children displaying HSB with a case referred in the period, each counted once (at "
        "their first case of the period)."
    ),
    unit=CHILDREN,
    higher_is_better=None,
    cases=lambda scope, part, cell: _part(
        part, cell, numerator=lambda: children_displaying_hsb(scope), denominator=None
    ),
)
def children_displaying_hsb_count(scope: Scope) -> Figure:
    return _figure("children_displaying_hsb", numerator=_children_count(scope), denominator=None)


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
    @_register(
        key,
        statement="1.2",
        label=label,
        definition=definition,
        unit=CHILDREN,
        higher_is_better=None,
        cases=lambda scope, part, cell: _part(
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
        return _figure(key, numerator=None, denominator=_children_count(scope), cells=cells)

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
    @_register(
        key,
        statement="1.2",
        label=label,
        definition=f"Of the children displaying HSB referred in the period, those {what}.",
        unit=CHILDREN,
        higher_is_better=None,
        cases=lambda scope, part, cell: _part(
            part,
            cell,
            numerator=lambda: children_displaying_hsb(scope).filter(**{_CHILD_COLUMNS[flag]: True}),
            denominator=lambda: children_displaying_hsb(scope),
        ),
    )
    def compute(scope: Scope) -> Figure:
        return _figure(
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


# --- the dashboard ----------------------------------------------------------------------------

# The order figures are shown in: domain 3 by statement, then domain 1.
DASHBOARD_ORDER = (
    "referral_sources",
    "education_share",
    "initial_decision_within_one_working_day",
    "assessment_started_within_45_days",
    "assessment_authorised_within_45_days",
    "stepped_within_90_days",
    "re_referrals",
    "police_involved_routes",
    "lead_practitioner_designated",
    "stages_overdue_now",
    "suitable_tool",
    "warnings_justified",
    "holistic_sections_complete",
    "multi_agency_contributions",
    "continuum_level_recorded",
    "child_views_recorded",
    "family_views_recorded",
    "children_displaying_hsb",
    "not_receiving_service",
    "children_by_age_band",
    "children_by_gender",
    "children_by_ethnicity",
    "children_with_sen",
    "children_with_learning_disability",
)


@contextmanager
def analytic_reads() -> Iterator[None]:
    """The dashboard's aggregate reads, tuned for PostgreSQL in one transaction: no JIT
    compilation (compiling each query cost about 50 ms, more than it saved, on 100,000
    cases); enough memory to hash the case-id sets the figures test membership of; and no
    parallel workers, which each rebuilt those hashed sets and made the dozen medium-sized
    queries slower, not faster (benchmarks/dashboard.py)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; "
            "SET LOCAL max_parallel_workers_per_gather = 0"
        )
        yield


def dashboard_figures(scope: Scope, keys: Iterable[str] | None = None) -> list[Figure]:
    """Every figure (or the given ones) for the scope, in dashboard order."""
    wanted = set(keys) if keys is not None else None
    with analytic_reads():
        return [
            FIGURES[key].compute(scope)
            for key in DASHBOARD_ORDER
            if wanted is None or key in wanted
        ]


def figure_cases(scope: Scope, key: str, part: str, cell: str = "") -> QuerySet[Case]:
    """The cases behind a figure's numerator, denominator or breakdown cell."""
    spec = FIGURES.get(key)
    if spec is None:
        raise InvalidDashboardFilter(
            "Unknown figure.", fields={"figure": [f"'{key}' is not a dashboard figure."]}
        )
    if part not in PARTS:
        raise InvalidDashboardFilter(
            "Unknown part.", fields={"part": [f"Choose one of {', '.join(PARTS)}."]}
        )
    return spec.cases(scope, part, cell)


# --- the audit tool -------------------------------------------------------------------------


def rounds_for_area(area_id: int) -> QuerySet[AuditRound]:
    return AuditRound.objects.filter(area_id=area_id).order_by("-period_start", "-pk")


def scored_statements() -> QuerySet[Statement]:
    return Statement.objects.filter(scored=True).select_related("domain").order_by("position")


def domains() -> QuerySet[Domain]:
    return Domain.objects.order_by("number")


def round_agency_scores(audit_round: AuditRound) -> QuerySet[AgencyScore]:
    return (
        AgencyScore.objects.filter(round=audit_round)
        .select_related("agency", "statement", "scored_by")
        .order_by("statement__position", "agency__name")
    )


def round_agreed_scores(audit_round: AuditRound) -> QuerySet[AgreedScore]:
    return (
        AgreedScore.objects.filter(round=audit_round)
        .select_related("statement", "agreed_by")
        .order_by("statement__position")
    )


@dataclass
class StatementRow:
    """A statement of a round: each agency's score, the lowest, and the agreed score."""

    statement: Statement
    scores: dict[int, AgencyScore]
    agreed: AgreedScore | None
    # One entry per agency of the round, in the overview's agency order.
    aligned: list[AgencyScore | None] = field(default_factory=list)

    @property
    def lowest(self) -> int | None:
        return min((row.score for row in self.scores.values()), default=None)

    def score_for(self, agency_id: int) -> AgencyScore | None:
        return self.scores.get(agency_id)


@dataclass
class DomainBlock:
    domain: Domain
    rows: list[StatementRow]

    @property
    def average(self) -> float | None:
        scores = [row.agreed.score for row in self.rows if row.agreed is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


@dataclass
class RoundOverview:
    audit_round: AuditRound
    agencies: list[Any]
    blocks: list[DomainBlock]

    @property
    def rows(self) -> list[StatementRow]:
        return [row for block in self.blocks for row in block.rows]

    def row(self, ref: str) -> StatementRow | None:
        return next((row for row in self.rows if row.statement.ref == ref), None)


def round_overview(audit_round: AuditRound) -> RoundOverview:
    """Every scored statement of the round with its scores: three queries."""
    statements = list(scored_statements())
    scores: dict[int, dict[int, AgencyScore]] = {}
    agencies: dict[int, Any] = {}
    for score in round_agency_scores(audit_round):
        scores.setdefault(score.statement_id, {})[score.agency_id] = score
        agencies[score.agency_id] = score.agency
    agreed = {row.statement_id: row for row in round_agreed_scores(audit_round)}
    blocks: dict[int, DomainBlock] = {}
    for statement in statements:
        block = blocks.setdefault(statement.domain_id, DomainBlock(statement.domain, []))
        block.rows.append(
            StatementRow(statement, scores.get(statement.pk, {}), agreed.get(statement.pk))
        )
    ordered = sorted(agencies.values(), key=lambda agency: agency.name)
    for block in blocks.values():
        for row in block.rows:
            row.aligned = [row.scores.get(agency.pk) for agency in ordered]
    return RoundOverview(
        audit_round=audit_round,
        agencies=ordered,
        blocks=sorted(blocks.values(), key=lambda block: block.domain.number),
    )


def agreed_scores_by_round(rounds: Sequence[AuditRound]) -> dict[int, dict[str, int]]:
    """{round id: {statement ref: agreed score}}: one query."""
    result: dict[int, dict[str, int]] = {audit_round.pk: {} for audit_round in rounds}
    rows = AgreedScore.objects.filter(round__in=rounds).values_list(
        "round_id", "statement__ref", "score"
    )
    for round_id, ref, score in rows:
        result[round_id][ref] = score
    return result
