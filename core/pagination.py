"""Pages of long lists without counting every row: a page, a "next" flag, a bounded count.

Django's `Paginator` counts the whole list before showing a page; for a user who may see
5,000 of 100,000 cases that count is most of the request. `bounded_page` instead reads one
row more than the page (is there a next page?) and counts only when there is, and then only
up to `COUNT_LIMIT` rows past the page's start: a list longer than that says "more than N".

The page's rows are read in one statement: the ids of the page (the list's own condition and
order, `LIMIT size + 1 OFFSET start`) in a subquery, and the rows with their related rows for
those ids only, so the joins are made for one page rather than for the whole list.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Rows counted past a page's start before a list says "more than".
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class BoundedPage:
    rows: list[Any]
    number: int
    size: int
    has_next: bool
    # Exact when `count_exact`; otherwise the list has more than `count` rows.
    count: int
    count_exact: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)


def positive_int(value: Any, *, default: int, maximum: int | None = None) -> int:
    """A page number or size from a query string: a whole number from 1, else the default
    (as DRF reads `page_size`); sizes above the maximum are the maximum."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    if number < 1:
        return default
    return min(number, maximum) if maximum else number


def rows_of_page(queryset: QuerySet[Any, Any], start: int, stop: int) -> list[Model]:
    """Rows `start` to `stop` of the ordered queryset, joined only for those rows."""
    ids = queryset.values("pk")[start:stop]
    page = queryset.model._default_manager.filter(pk__in=ids)
    # The list's own shape (related rows, columns, prefetches, order) on the page's rows only.
    page.query.select_related = queryset.query.select_related
    page.query.deferred_loading = queryset.query.deferred_loading
    page = page.prefetch_related(*getattr(queryset, "_prefetch_related_lookups", ()))
    return list(page.order_by(*queryset.query.order_by))


def bounded_count(queryset: QuerySet[Any, Any], limit: int | None = None) -> tuple[int, bool]:
    """(rows, exact): the rows of the queryset up to `limit` (COUNT_LIMIT); not exact when
    there are more."""
    limit = COUNT_LIMIT if limit is None else limit
    counted = queryset.order_by().values("pk")[: limit + 1].count()
    return (counted, True) if counted <= limit else (limit, False)


def bounded_counts(
    *querysets: QuerySet[Any, Any], limit: int | None = None
) -> list[tuple[int, bool]]:
    """`bounded_count` of each queryset, in one statement (a figure per list, as a landing page
    shows): one round trip however many lists. All on one database."""
    limit = COUNT_LIMIT if limit is None else limit
    if not querysets:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets:
        sql, part_params = queryset.order_by().values("pk")[: limit + 1].query.sql_with_params()
        # The ORM's own SQL and parameters for each list, counted side by side.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608
        params.extend(part_params)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return [(int(n), True) if n <= limit else (limit, False) for n in row]


def bounded_page(
    queryset: QuerySet[Any, Any], *, number: int, size: int, count_limit: int | None = None
) -> BoundedPage:
    """Page `number` (from 1) of `size` rows of an ordered queryset (a stable order: end it
    with the primary key). A number past the end gives an empty page."""
    count_limit = COUNT_LIMIT if count_limit is None else count_limit
    start = (number - 1) * size
    rows = rows_of_page(queryset, start, start + size + 1)
    has_next = len(rows) > size
    rows = rows[:size]
    if has_next:
        count, exact = bounded_count(queryset, start + count_limit)
    elif rows or number == 1:
        count, exact = start + len(rows), True  # the last page: no count needed
    else:
        count, exact = bounded_count(queryset, start)  # past the end
    return BoundedPage(
        rows=rows, number=number, size=size, has_next=has_next, count=count, count_exact=exact
    )
