"""SQL expressions the figures share: local day numbers, working days and age at an event.

Working days are counted in SQL, not in Python per case: a date's *working-day index* is the
number of working days from a fixed Monday up to and including it, so the working days
after `start` up to and including `end` (`pathways.working_days.working_days_between`) are
`index(end) - index(start)`. Bank holidays come from the `holidays` package, the same source
the pathway engine uses.

Two ways to the same index: on PostgreSQL, `width_bucket` over the sorted working days of the
scope's range counts those up to the day in one step, reading the day once (the time-zone
conversion of each timestamp is most of the cost); elsewhere, and when no range is given,
weekday arithmetic on the day number minus the bank holidays up to it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Expression, Func, IntegerField
from django.db.models.functions import TruncDate

from pathways.working_days import _bank_holidays

EPOCH = date(1970, 1, 1)  # a Thursday: day number 0
_MONDAY_OFFSET = 3  # day number + 3 counts from Monday 29 December 1969


def day_number(day: date) -> int:
    return (day - EPOCH).days


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def working_day_numbers(first: date, last: date, holidays: tuple[int, ...]) -> tuple[int, ...]:
    """Day numbers of the working days from `first` to `last` (weekdays, not holidays)."""
    closed = set(holidays)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(
        day_number(day) for day in days if day.weekday() < 5 and day_number(day) not in closed
    )


def weekday_holidays(region: str, first: date, last: date) -> tuple[int, ...]:
    """Day numbers of the region's bank holidays on weekdays between the two dates."""
    days: set[date] = set()
    for year in range(first.year, last.year + 1):
        days.update(_bank_holidays(region, year))
    return tuple(sorted(day_number(d) for d in days if first <= d <= last and d.weekday() < 5))


class DayNumber(Func):
    """Days since 1 January 1970 of a date, or of a timestamp's local date."""

    output_field = IntegerField()

    def __init__(self, expression: Any, *, timestamp: bool = True) -> None:
        source = TruncDate(expression, tzinfo=local_zone()) if timestamp else expression
        super().__init__(source)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::date - DATE '1970-01-01')", list(params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(julianday({sql}) - 2440587.5 AS INTEGER)", list(params)


class WorkingDayIndex(Func):
    """Working days from Monday 29 December 1969 up to and including the given day number."""

    output_field = IntegerField()

    def __init__(
        self, day: Any, *, holidays: tuple[int, ...], working: tuple[int, ...] = ()
    ) -> None:
        super().__init__(day)
        self.holidays = holidays
        # The working days of the range the days lie in (PostgreSQL's one-step count).
        self.working = working

    def _index(self, compiler: Any, holidays_up_to: str) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        # n days from that Monday up to and including the day hold n - (n + 1) / 7 - n / 7
        # weekdays (integer division on both databases): a Sunday ends each whole week, a
        # Saturday each week but the last part-week.
        n = f"(({sql}) + {_MONDAY_OFFSET + 1})"
        weekdays = f"({n} - ({n} + 1) / 7 - {n} / 7)"
        holidays = holidays_up_to.replace("{day}", f"({sql})")
        uses = 3 + holidays_up_to.count("{day}")
        return f"({weekdays} - {holidays})", list(params) * uses

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]
        if not self.holidays:
            return self._index(compiler, "0")
        # Bank holidays up to and including the day: a searched CASE over the sorted list.
        steps = " ".join(
            f"WHEN {{day}} < {holiday} THEN {index}" for index, holiday in enumerate(self.holidays)
        )
        return self._index(compiler, f"CASE {steps} ELSE {len(self.holidays)} END")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        if self.working:
            sql, params = compiler.compile(self.source_expressions[0])
            array = ", ".join(str(day) for day in self.working)
            return f"width_bucket({sql}, ARRAY[{array}]::integer[])", params
        if not self.holidays:
            return self._index(compiler, "0")
        # width_bucket counts the sorted thresholds at or below the operand, in one step.
        array = ", ".join(str(holiday) for holiday in self.holidays)
        return self._index(compiler, f"width_bucket({{day}}, ARRAY[{array}]::integer[])")


def working_days(
    start: Any, end: Any, *, holidays: tuple[int, ...], working: tuple[int, ...] = ()
) -> Expression:
    """Working days after the start timestamp's local date up to and including the end's."""
    return WorkingDayIndex(DayNumber(end), holidays=holidays, working=working) - WorkingDayIndex(
        DayNumber(start), holidays=holidays, working=working
    )


def calendar_days(start: Any, end: Any) -> Expression:
    """Calendar days between two timestamps' local dates."""
    return DayNumber(end) - DayNumber(start)


class AgeAt(Func):
    """Completed years of age on a timestamp's local date (as `cases.models.age_on`).

    Whole-number arithmetic on YYYYMMDD: (20250630 - 20070630) / 10000 = 18, and a day
    before the birthday gives 17. One expression, cheap enough to group a year of cases by.
    """

    output_field = IntegerField()

    def __init__(self, moment: Any, date_of_birth: Any) -> None:
        super().__init__(TruncDate(moment, tzinfo=local_zone()), date_of_birth)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        day, day_params = compiler.compile(self.source_expressions[0])
        born, born_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"((to_char({day}, 'YYYYMMDD')::integer - to_char({born}, 'YYYYMMDD')::integer)"
            " / 10000)"
        )
        return sql, (*day_params, *born_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        day, day_params = compiler.compile(self.source_expressions[0])
        born, born_params = compiler.compile(self.source_expressions[1])
        # %% is the driver's escape for a literal % in strftime's format.
        sql = (
            f"((CAST(strftime('%%Y%%m%%d', {day}) AS INTEGER)"
            f" - CAST(strftime('%%Y%%m%%d', {born}) AS INTEGER)) / 10000)"
        )
        return sql, (*day_params, *born_params)


def age_at(moment: str, date_of_birth: str) -> Expression:
    return AgeAt(moment, date_of_birth)
