"""The dashboard's figures, cached per query and invalidated by writes.

A *data generation* numbers the committed states of the records the figures read: the
PostgreSQL sequence `partnership_figures_generation` (migration 0003), advanced by `nextval`
after the commit of every transaction that appended an audit event other than a read
(every write service appends one: `audit.services.record_event`). A sequence takes no row
lock and is not rolled back, so advancing it serialises nothing, and every gunicorn worker
reads the same value.

Figures are cached (Django's default cache: per process unless CACHES names a shared one)
under the query (area, period, filters, today), the connection's row-level-security area
setting and the generation read *before* they are computed. A writer advances the
generation only after its commit, so a reader that sees the new number computes from a
snapshot that holds the write, and one that sees the old number caches under a key the
write has already made stale. Never cached: figures computed inside a caller's transaction
(its snapshot may be older than the number read, or hold its own uncommitted writes), and on
other databases.

Writes that bypass the services (bulk SQL, a restore) append no event: `TTL_SECONDS` bounds
how long their figures can be stale. The counter is shared by every area, so any write
refreshes every area's dashboard: one recomputation per area and query per write burst.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from agencies.db_context import AREA_SETTING
from audit.models import AuditEvent

from .dashboard import dashboard_figures
from .filters import DashboardFilters
from .registry import Figure
from .scope import Scope, check_period, dashboard_scope

SEQUENCE = "partnership_figures_generation"
# Backstop for writes that append no audit event (see the module docstring).
TTL_SECONDS = 300
KEY_PREFIX = "partnership.figures.v1"

# Audited actions that change nothing the figures read: reads and sign-ins.
_READ_ACTIONS = frozenset({"access.refused", "chronology.exported", "partnership.drilldown_viewed"})

T = TypeVar("T")


def changes_figures(action: str) -> bool:
    """Whether an audited action may change what the figures read: any but a read or an
    account event (a new write service invalidates without being listed here)."""
    return not (
        action.endswith(".read") or action.startswith("account.") or action in _READ_ACTIONS
    )


# --- the generation ------------------------------------------------------------------------


def advance_generation() -> None:
    """Advance the generation (after a commit; in autocommit, one statement).

    On the DB-API connection, as agencies.db_context sets the area: plumbing after the
    write's commit, not one of its statements, which pinned query counts leave out.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [SEQUENCE])


def advance_after_commit() -> None:
    """Once per transaction, whatever the number of events it appends: on_commit's list is
    emptied on rollback, so a rolled-back transaction leaves no stale registration behind."""
    if connection.vendor != "postgresql":
        return
    if any(entry[1] is advance_generation for entry in connection.run_on_commit):
        return
    # robust: the write has committed; a failed nextval (the database just went away) must
    # not turn it into an error. The TTL covers the missed advance.
    transaction.on_commit(advance_generation, robust=True)


def audit_event_saved(sender: Any, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    """post_save of AuditEvent (connected in PartnershipConfig.ready)."""
    if created and changes_figures(instance.action):
        advance_after_commit()


def _generation() -> tuple[int, str]:
    """(generation, the area setting row-level security reads), in one round trip.
    pg_sequence_last_value needs only USAGE, which the serving role has on every sequence."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(pg_sequence_last_value(%s::regclass), 0),"
            " coalesce(current_setting(%s, true), '')",
            [SEQUENCE, AREA_SETTING],
        )
        generation, areas = cursor.fetchone()
    return int(generation), str(areas)


# --- the cache -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardQuery:
    """What a dashboard shows: an area's referrals of a period, filtered, as of `today`."""

    area_id: int
    date_from: date
    date_to: date
    filters: DashboardFilters
    today: date

    def parts(self) -> tuple[Any, ...]:
        filters = self.filters
        return (
            self.area_id,
            self.date_from.isoformat(),
            self.date_to.isoformat(),
            self.today.isoformat(),
            filters.agency_type,
            filters.source,
            filters.age_band,
            filters.gender,
            filters.ethnicity,
            filters.sen,
            filters.involvement,
        )

    def figures(self) -> list[Figure]:
        """Every figure, computed now."""
        scope = dashboard_scope(
            area_id=self.area_id,
            date_from=self.date_from,
            date_to=self.date_to,
            filters=self.filters,
            today=self.today,
        )
        return dashboard_figures(scope)


def dashboard_query(
    *,
    area_id: int,
    date_from: date,
    date_to: date,
    filters: DashboardFilters | None = None,
    today: date | None = None,
) -> DashboardQuery:
    """The query, checked as `dashboard_scope` checks it (before any cache lookup)."""
    check_period(date_from, date_to)
    return DashboardQuery(
        area_id=area_id,
        date_from=date_from,
        date_to=date_to,
        filters=(filters or DashboardFilters()).clean(),
        today=today or timezone.localdate(),
    )


def cache_key(query: DashboardQuery, generation: int, areas: str, view: str = "") -> str:
    text = repr((generation, areas, *query.parts(), view))
    return f"{KEY_PREFIX}:{hashlib.sha256(text.encode()).hexdigest()}"


def cached_dashboard(
    query: DashboardQuery,
    *,
    view: str,
    build: Callable[[list[Figure]], T],
    scope: Scope | None = None,
) -> T:
    """`build(figures)` for the query, from the cache while no write has committed since.

    Two entries per key: the figures themselves, shared by every view, and what `view` (a
    page or the API, with or without suppression) builds from them, so a hit neither
    computes, suppresses nor serialises again. A caller holding the query's scope passes
    it, so a miss does not look it up again.
    """

    def compute() -> list[Figure]:
        return dashboard_figures(scope) if scope is not None else query.figures()

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return build(compute())
    generation, areas = _generation()  # before computing: see the module docstring
    view_key = cache_key(query, generation, areas, view)
    shown = cache.get(view_key)
    if shown is not None:
        return shown
    figures_key = cache_key(query, generation, areas)
    figures = cache.get(figures_key)
    if figures is None:
        figures = compute()
        cache.set(figures_key, figures, TTL_SECONDS)
    shown = build(figures)
    cache.set(view_key, shown, TTL_SECONDS)
    return shown
