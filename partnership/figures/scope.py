"""What the figures are about: one area's cases referred in a period, matching the filters
(`Scope`), the rows of the scope (`scoped`, `period_cases`), and the results several
figures of one dashboard share, computed once per scope (`memo`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import LocalArea
from cases.models import Case
from pathways.models import Stage, Transition, TransitionKind

from ..exceptions import InvalidDashboardFilter
from ..expressions import age_at, local_zone, weekday_holidays, working_day_numbers
from .filters import AGE_BAND_KEYS, DashboardFilters
from .tuning import shared_result

# A re-referral follows another referral of the child within this many days (referrals.py);
# a scope's working-day calendar spans this far either side of its period.
RE_REFERRAL_DAYS = 365


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


def check_period(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise InvalidDashboardFilter(
            "The period ends before it starts.", fields={"date_to": ["Must not be before from."]}
        )


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
    check_period(date_from, date_to)
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
class Paths:
    """Where a row's case facts live: the row may be a case, a stage move, a referral link…"""

    received_at: str
    child: str
    referral: str
    involvement: str
    version: str


def _via_case(prefix: str) -> Paths:
    return Paths(
        received_at=f"{prefix}referral_received_at",
        child=f"{prefix}child",
        referral=f"{prefix}referral",
        involvement=f"{prefix}involvement",
        version=f"{prefix}pathway_version_id",
    )


CASE = _via_case("")
VIA_CASE = _via_case("case__")
# A later referral that joined a child's open case: its own time, source and agency.
LINK = Paths(
    received_at="referral__received_at",
    child="child",
    referral="referral",
    involvement="involvement",
    version="case__pathway_version_id",
)


def scoped(
    queryset: QuerySet[Any], scope: Scope, paths: Paths, *, in_period: bool = True
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
    return scoped(Case.objects.all(), scope, CASE)


def memo(scope: Scope, key: str, compute: Callable[[], Any]) -> Any:
    """A result several figures of one dashboard share, computed once per scope (by one
    lane when the figures are computed in two: `tuning.computed_in_lanes`)."""
    return shared_result(scope.memo, key, compute)
