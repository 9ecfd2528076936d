"""The child's timeline: the kinds asked for, the dates, and the entries of every source merged.

The chronology is one timeline per child across every case of theirs the user may see
(`cases_visible_to`), merged from one query per source (`cases.chronology.sources`), so its
cost does not grow with the number of entries.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from django.utils import timezone

from agencies.actors import Actor
from cases.exceptions import InvalidChronologyFilter
from cases.models import Child
from cases.selectors import cases_visible_to

from .entries import ChronologyEntry, EntryKind, Scope
from .sources import registered_sources


def clean_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """The kinds asked for, or every kind; unknown ones are refused by name."""
    if not kinds:
        return frozenset(EntryKind.values)
    wanted = frozenset(kinds)
    unknown = sorted(wanted - set(EntryKind.values))
    if unknown:
        raise InvalidChronologyFilter(
            "Unknown kinds of entry.",
            fields={
                "kinds": [
                    f"Unknown: {', '.join(unknown)}. Choose from {', '.join(EntryKind.values)}."
                ]
            },
        )
    return wanted


def child_chronology(
    *,
    child: Child,
    user: Actor,
    kinds: Iterable[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[ChronologyEntry]:
    """The child's timeline across every case of theirs the user may see, oldest first.

    One query for the visible cases and one per source asked for, whatever the number of
    entries. Dates are inclusive and read in the local time zone.
    """
    wanted = clean_kinds(kinds)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidChronologyFilter(
            "The date range is back to front.", fields={"to": ["Must be on or after 'from'."]}
        )
    cases = list(
        cases_visible_to(user)
        .filter(child=child)
        .select_related("referral__referring_agency", "referral__recorded_by")
        .order_by("pk")
    )
    if not cases:
        return []
    scope = Scope(child, cases, [case.pk for case in cases], wanted, date_from, date_to)
    entries: list[ChronologyEntry] = []
    for kinds_of_source, source in registered_sources():
        if wanted & kinds_of_source:
            entries.extend(source(scope))
    entries = [
        entry
        for entry in entries
        if entry.kind in wanted and _in_range(entry.at, date_from, date_to)
    ]
    entries.sort(key=lambda entry: entry.sort_key)
    return [
        replace(entry, age=child.age_on(timezone.localtime(entry.at).date())) for entry in entries
    ]


def _in_range(at: datetime, date_from: date | None, date_to: date | None) -> bool:
    day = timezone.localtime(at).date()
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)
