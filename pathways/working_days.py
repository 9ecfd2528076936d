"""Working-day arithmetic: weekends and bank holidays of the area's UK nation.

Bank holidays come from the `holidays` package's UK calendars (England and Wales,
Scotland, Northern Ireland), including one-off days such as coronations, rather
than dates typed into code.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=year).keys())


def is_working_day(day: date, region: str = "ENG") -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(region, day.year)


def add_working_days(start: date, days: int, region: str = "ENG") -> date:
    """The date `days` working days after `start`; `start` itself never counts."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current, region):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, region: str = "ENG") -> int:
    """Working days after `start` up to and including `end` (negative if end is earlier)."""
    if end < start:
        return -working_days_between(end, start, region)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, region):
            count += 1
    return count
