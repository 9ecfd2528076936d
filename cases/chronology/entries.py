"""What a chronology is made of: the kinds of entry, an entry, and what each source reads.

A source is one query for one or more kinds of entry over the scope asked for (the child,
their visible cases, the kinds, the dates); `cases.chronology.sources` keeps the registry of
them, and an app above cases adds its own (assessments does, from its `AppConfig.ready()`),
building entries with `entry` and the text helpers here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import Q

from agencies.models import User
from cases.models import Case, Child


class EntryKind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    STAGE_MOVE = "stage_move", "Stage move"
    ASSESSMENT = "assessment", "Assessment"
    LEAD = "lead", "Lead practitioner"
    TEAM = "team", "Team around the child"
    SHARING = "sharing", "Information sharing"
    VIEW = "view", "Views of the child and family"
    NOTE = "note", "Note"
    CLOSURE = "closure", "Closure"


# Entries at the same moment read in the order things happen: a referral opens a case,
# the case moves, then what is recorded about it; closure comes last.
KIND_RANK = {kind: rank for rank, kind in enumerate(EntryKind.values)}


@dataclass(frozen=True)
class ChronologyEntry:
    at: datetime
    kind: str
    title: str
    detail: str
    actor: str
    case_id: int
    # (kind rank, case, source row, part): a stable tiebreak for entries at the same moment.
    order: tuple[int, ...] = field(default=(), compare=False, repr=False)
    # The child's age when it happened (set once the entries are merged).
    age: int | None = None

    @property
    def kind_label(self) -> str:
        return EntryKind(self.kind).label

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.at, *self.order)


def person(user: User | None) -> str:
    return str(user) if user is not None else ""


def lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def date_window(field_name: str, date_from: date | None, date_to: date | None) -> Q:
    # `__date` compares in the current time zone, as the Python filter of the timeline does.
    window = Q()
    if date_from is not None:
        window &= Q(**{f"{field_name}__date__gte": date_from})
    if date_to is not None:
        window &= Q(**{f"{field_name}__date__lte": date_to})
    return window


def entry(
    kind: str, at: datetime, title: str, detail: str, actor: str, case_id: int, *order: int
) -> ChronologyEntry:
    return ChronologyEntry(
        at=at,
        kind=kind,
        title=title,
        detail=detail,
        actor=actor,
        case_id=case_id,
        order=(KIND_RANK[kind], case_id, *order),
    )


@dataclass(frozen=True)
class Scope:
    """What every source reads: the child, their visible cases, the kinds and dates asked."""

    child: Child
    cases: list[Case]
    case_ids: list[int]
    wanted: frozenset[str]
    date_from: date | None
    date_to: date | None

    def window(self, field_name: str) -> Q:
        return date_window(field_name, self.date_from, self.date_to)


Source = Callable[[Scope], list[ChronologyEntry]]
