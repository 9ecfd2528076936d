"""Pages of long lists without counting every row: a page, a "next" flag, a bounded count.

Django's `Paginator` counts the whole list before showing a page; for a user who may see
5,000 of 100,000 cases that count is most of the request. `bounded_page` instead reads one
row more than the page (is there a next page?) and counts only when there is, and then only
up to `COUNT_LIMIT` rows past the page's start: a list longer than that says "more than N".

The page's rows are read in one statement: the ids of the page (the list's own condition and
order, `LIMIT size + 1 OFFSET start`) in a subquery, and the rows with their related rows for
those ids only, so the joins are made for one page rather than for the whole list.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

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


# --- lists compiled once per shape ----------------------------------------------------------
# A case list's condition (the visibility rule's parts as subqueries) takes the ORM longer to
# build and compile than PostgreSQL takes to run: 4-7 ms of a 20 ms request, twice (the page
# and its count). Its SQL depends on the list's shape (which list, the user's role) and never
# on the values (the user, their agency, the time), so a `Shape` is compiled once per process
# with stand-ins where the values go, and run with the values. The same `build` makes both,
# so the rules cannot drift apart; off PostgreSQL (the demo's SQLite adapts parameters when
# compiling) it is built each time.


@dataclass(frozen=True)
class Shape:
    """A list as `build(values)`, with the `key` naming its shape: every value the SQL's text
    depends on (a role, a flag) goes in the key, every other one in `values` (ints or aware
    dates or datetimes, each a parameter or not in the SQL at all: checked when compiled)."""

    key: tuple[Any, ...]
    build: Callable[[list[Any]], QuerySet[Any, Any]]
    values: list[Any]
    db: str = "default"

    def queryset(self) -> QuerySet[Any, Any]:
        return self.build(self.values)


_COMPILED: dict[
    tuple[Any, ...], tuple[Any, str, tuple[Any, ...], tuple[tuple[int, ...], ...], bool]
] = {}
_COMPILED_MAX = 512


def _stand_ins(values: list[Any]) -> list[Any]:
    """A value no row holds in place of each value, distinct from every other parameter and
    recognisable in SQL text."""
    marks: list[Any] = []
    for number, value in enumerate(values):
        if isinstance(value, datetime.datetime):
            marks.append(
                datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
                + datetime.timedelta(minutes=number + 1)
            )
        elif isinstance(value, datetime.date):
            marks.append(datetime.date(1, 1, 1) + datetime.timedelta(days=number + 1))
        elif isinstance(value, int) and not isinstance(value, bool):
            marks.append(-2_000_000_000 - number)  # no row has a negative id
        else:
            raise TypeError(f"a list's value must be an int, date or datetime, not {value!r}")
    return marks


def _compiled(
    shape: Shape, part: tuple[Any, ...], make: Callable[[QuerySet[Any, Any]], QuerySet[Any, Any]]
) -> tuple[Any, str, list[Any], bool]:
    """(queryset, sql, parameters, extra columns?) of `make(shape's queryset)`, compiled once
    per shape."""

    def produce(marks: list[Any]) -> tuple[Any, str, list[Any], bool]:
        queryset = make(shape.build(marks))
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        # Columns selected for the order alone, past the model's (read when making rows).
        return queryset, sql, list(params), bool(getattr(compiler, "has_extra_select", False))

    return _compiled_as(shape, part, produce)


def _compiled_as(
    shape: Shape,
    part: tuple[Any, ...],
    produce: Callable[[list[Any]], tuple[Any, str, list[Any], bool]],
) -> tuple[Any, str, list[Any], bool]:
    """`produce(stand-ins)`'s (queryset, sql, parameters, extra columns?), made once per
    shape and part, with the shape's values put in the stand-ins' places."""
    key = (*shape.key, *part)
    compiled = _COMPILED.get(key)
    if compiled is None:
        marks = _stand_ins(shape.values)
        queryset, sql, params, extra = produce(marks)
        places = tuple(
            tuple(
                at for at, param in enumerate(params) if type(param) is type(mark) and param == mark
            )
            for mark in marks
        )
        # A value the SQL does not use (a role's rule that never reads the agency) has no
        # place; one written into the SQL's text would be frozen there: refused.
        if any(
            str(mark) in sql
            or str(mark.date() if isinstance(mark, datetime.datetime) else mark) in sql
            for mark in marks
        ):
            raise AssertionError(f"a value of {key} is written into its SQL, not a parameter")
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[key] = (queryset, sql, tuple(params), places, extra)
    queryset, sql, kept, places, extra = compiled
    filled = list(kept)
    for value, at in zip(shape.values, places, strict=True):
        for place in at:
            filled[place] = value
    return queryset, sql, filled, extra


def _rows_as_compiled(
    queryset: QuerySet[Any, Any], sql: str, params: list[Any], extra: bool
) -> list[Model]:
    """The queryset's rows (its model objects and related rows) from its SQL compiled before."""
    query = queryset.query.chain()
    compiler = query.get_compiler(using=queryset.db)

    def as_sql(*args: Any, **kwargs: Any) -> tuple[str, list[Any]]:
        compiler.setup_query()  # the columns the rows are made from; the SQL is as compiled
        compiler.has_extra_select = extra
        return sql, params

    compiler.as_sql = as_sql
    query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
    rows = queryset.all()
    rows.query = query
    return list(rows)


def _rows_shaped_as(queryset: QuerySet[Any, Any], ids: Any) -> QuerySet[Any, Any]:
    """The rows whose keys `ids` selects, with the list's own shape (related rows, columns,
    prefetches, order): the joins made for those rows only."""
    page = queryset.model._default_manager.filter(pk__in=ids)
    page.query.select_related = queryset.query.select_related
    page.query.deferred_loading = queryset.query.deferred_loading
    page = page.prefetch_related(*getattr(queryset, "_prefetch_related_lookups", ()))
    return page.order_by(*queryset.query.order_by)


def _page_of(queryset: QuerySet[Any, Any], start: int, stop: int) -> QuerySet[Any, Any]:
    return _rows_shaped_as(queryset, queryset.values("pk")[start:stop])


def _bounded(counted: int, limit: int) -> tuple[int, bool]:
    """(rows, exact) of a count taken to `limit` + 1: the bound when it went past."""
    return (counted, True) if counted <= limit else (limit, False)


def _counted(queryset: QuerySet[Any, Any], limit: int) -> QuerySet[Any, Any]:
    return queryset.order_by().values("pk")[: limit + 1]


def rows_of_page(queryset: QuerySet[Any, Any] | Shape, start: int, stop: int) -> list[Model]:
    """Rows `start` to `stop` of the ordered queryset (or list shape), joined only for those
    rows."""
    if isinstance(queryset, Shape):
        if connections[queryset.db].vendor != "postgresql":
            return rows_of_page(queryset.queryset(), start, stop)
        page, sql, params, extra = _compiled(
            queryset, ("rows", start, stop), lambda cases: _page_of(cases, start, stop)
        )
        return _rows_as_compiled(page, sql, params, extra)
    return list(_page_of(queryset, start, stop))


def bounded_count(
    queryset: QuerySet[Any, Any] | Shape, limit: int | None = None
) -> tuple[int, bool]:
    """(rows, exact): the rows of the queryset (or list shape) up to `limit` (COUNT_LIMIT);
    not exact when there are more."""
    limit = COUNT_LIMIT if limit is None else limit
    if isinstance(queryset, Shape):
        if connections[queryset.db].vendor != "postgresql":
            return bounded_count(queryset.queryset(), limit)
        counted_rows, sql, params, _ = _compiled(
            queryset, ("count", limit), lambda cases: _counted(cases, limit)
        )
        with connections[counted_rows.db].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608
            counted = int(cursor.fetchone()[0])
    else:
        counted = _counted(queryset, limit).count()
    return _bounded(counted, limit)


def bounded_counts(
    *querysets: QuerySet[Any, Any] | Shape, limit: int | None = None
) -> list[tuple[int, bool]]:
    """`bounded_count` of each queryset (or list shape), in one statement (a figure per list,
    as a landing page shows): one round trip however many lists. All on one database."""
    limit = COUNT_LIMIT if limit is None else limit
    if not querysets:
        return []
    parts: list[str] = []
    params: list[Any] = []
    db = "default"
    for queryset in querysets:
        if isinstance(queryset, Shape) and connections[queryset.db].vendor == "postgresql":
            _, sql, part_params, _ = _compiled(
                queryset, ("count", limit), lambda cases: _counted(cases, limit)
            )
            db = queryset.db
        else:
            counted = _counted(
                queryset.queryset() if isinstance(queryset, Shape) else queryset, limit
            )
            sql, query_params = counted.query.sql_with_params()
            part_params = list(query_params)
            db = counted.db
        # The ORM's own SQL and parameters for each list, counted side by side.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608
        params.extend(part_params)
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return [_bounded(int(n), limit) for n in row]


# A list shape's page and its count in one statement: the list's first rows, up to the count's
# bound, numbered in the list's order and kept once (a MATERIALIZED CTE); the page's rows
# joined for the ids numbered within the page, and the count read from the same ids. The
# list's condition (the visibility rule) is then evaluated once, not once for the page and
# again for its count; and a list the planner reads in index order still stops at the bound.
_LISTED = "listed_page"  # the CTE's name
_COUNTED = "_listed_count"  # the count's column on each row


def _listed_page(shape: Shape, start: int, stop: int, count_to: int) -> tuple[list[Model], int]:
    """Rows `start` to `stop` of the shape's list and the list's rows counted up to
    `count_to` + 1 (from its first row), in one statement."""

    def produce(marks: list[Any]) -> tuple[Any, str, list[Any], bool]:
        ordered = shape.build(marks)
        order: list[Any] = list(ordered.query.order_by)
        numbered = (
            ordered.select_related(None)
            .annotate(_position=Window(RowNumber(), order_by=order))
            .values("pk", "_position")
            .order_by(*order)[: count_to + 1]
        )
        listed_sql, listed_params = numbered.query.sql_with_params()
        # Whole numbers this code computed (never text from a request): part of the SQL,
        # and of the key the statement is kept under.
        in_page = RawSQL(  # noqa: S611
            f"SELECT pk FROM {_LISTED} WHERE _position > {int(start)} "  # noqa: S608
            f"AND _position <= {int(stop)}",
            (),
        )
        counted = RawSQL(f"SELECT COUNT(*) FROM {_LISTED}", ())  # noqa: S608, S611
        page = _rows_shaped_as(ordered, in_page).annotate(**{_COUNTED: counted})
        compiler = page.query.get_compiler(using=page.db)
        page_sql, page_params = compiler.as_sql()
        sql = f"WITH {_LISTED} (pk, _position) AS MATERIALIZED ({listed_sql}) {page_sql}"
        extra = bool(getattr(compiler, "has_extra_select", False))
        return page, sql, [*listed_params, *page_params], extra

    page, sql, params, extra = _compiled_as(shape, ("listed", start, stop, count_to), produce)
    rows = _rows_as_compiled(page, sql, params, extra)
    return rows, (getattr(rows[0], _COUNTED) if rows else 0)


def rows_and_count(
    queryset: QuerySet[Any, Any] | Shape, start: int, stop: int, limit: int
) -> tuple[list[Model], tuple[int, bool]]:
    """Rows `start` to `stop` of the list and its `bounded_count` to `limit`: in one
    statement for a shape on PostgreSQL (a landing's first tasks and how many there are)."""
    if isinstance(queryset, Shape) and connections[queryset.db].vendor == "postgresql":
        rows, counted = _listed_page(queryset, start, stop, limit)
        if rows:
            return rows, _bounded(counted, limit)
        return rows, bounded_count(queryset, limit)  # none in range: counted on its own
    return rows_of_page(queryset, start, stop), bounded_count(queryset, limit)


def bounded_page(
    queryset: QuerySet[Any, Any] | Shape, *, number: int, size: int, count_limit: int | None = None
) -> BoundedPage:
    """Page `number` (from 1) of `size` rows of an ordered queryset (a stable order: end it
    with the primary key). A number past the end gives an empty page."""
    count_limit = COUNT_LIMIT if count_limit is None else count_limit
    start = (number - 1) * size
    if isinstance(queryset, Shape) and connections[queryset.db].vendor == "postgresql":
        rows, counted = _listed_page(queryset, start, start + size + 1, start + count_limit)
        if rows or number == 1:
            count, exact = _bounded(counted, start + count_limit)
            return BoundedPage(
                rows=rows[:size],
                number=number,
                size=size,
                has_next=len(rows) > size,
                count=count,
                count_exact=exact,
            )
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
