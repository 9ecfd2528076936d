"""The case detail's reads (GET /api/cases/<id>/), compiled once and re-run with the case's id.

Per request the ORM built the user's visibility rule (`cases.selectors.cases_visible_to`: a
UNION of the role's access paths and the grants in force), compiled it, built model objects
and DRF built the detail serializer's fields: about 10 of the request's 14 ms of CPU, for
a statement whose text only the user's id, role, agency and active flag decide. Here its SQL
is compiled once per those (as the engine's locked read is: `cases.process.engine`), prepared
on the server once per connection (`task_rows.prepared_on`) and run with the case's id and the
clock; the route's the same, once per process. The answer is built from the rows as
`CaseDetailSerializer` would build it (the serializer stays the schema's and the write
endpoints' answer; `tests` compare both).

The grants' expiry is the one value of the clock in the rule: it is found among the compiled
statement's parameters and replaced by now on every run, so an expired grant stops working at
once; a rule holding any other date or time is not cached (compiled per request instead).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from agencies.actors import Actor
from agencies.models import User
from cases.ages import adult_transition
from cases.models import Case, StageMove
from cases.process import task_rows
from cases.selectors import cases_visible_to, holds_cases
from pathways.compiled import compiled_version

_CASE_PK_MARK = -7_000_000_000_000_000_003  # no row has it; found once among the params

# What the detail shows of the case (CaseDetailSerializer) and of its relations, in one row.
_CASE_VALUES = (
    "pk",
    "child_id",
    "child__reference",
    "child__first_name",
    "child__last_name",
    "child__date_of_birth",  # for the transition to adult services, not shown
    "involvement",
    "current_stage_id",
    "stage_entered_at",
    "stage_due_on",
    "stage_overdue_since",
    "lead_practitioner__username",
    "lead_practitioner__first_name",
    "lead_practitioner__last_name",
    "confirmed_continuum_level",
    "closed_at",
    "lock_version",
    "significant_harm_suspected",
    "referral_received_at",
    "closure_reason",
    "csc_referred_at",
    "csc_episode_ended_at",
    "csc_episode_end_reason",
    "pathway_version_id",
    "pathway_version__number",
    "pathway_version__pathway__key",
)
_MOVE_VALUES = (
    "kind",
    "reason",
    "data",
    "moved_at",
    "due_on",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
)
_MOVE_IDS = ("transition_id", "from_stage_id", "to_stage_id")
_MOVE_KEYS = ("transition__key", "from_stage__key", "to_stage__key")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    case_at: int  # the case id's place among the params
    now_at: tuple[int, ...]  # the clock's places (the grants' expiry)
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]

    def run(self, case_pk: int, now: datetime.datetime | None = None) -> list[list[Any]]:
        params = list(self.params)
        params[self.case_at] = case_pk
        for index in self.now_at:
            params[index] = now
        db = connections[DEFAULT_DB_ALIAS]
        with db.cursor() as cursor, task_rows.prepared_on(db, self.sql) as send:
            cursor.execute(send, params)
            rows = [list(row) for row in cursor.fetchall()]
        for values in rows:  # as the ORM's own iterator does (the JSON of a move's data)
            for index, converters, expression in self.converters:
                for convert in converters:
                    values[index] = convert(values[index], expression, db)
        return rows


def _compile(
    rows: QuerySet[Any, Any], now: tuple[datetime.datetime, datetime.datetime] | None
) -> _Compiled | None:
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    assert params.count(_CASE_PK_MARK) == 1  # the mark is the case id's place alone
    clock = [
        index
        for index, value in enumerate(params)
        if isinstance(value, datetime.date | datetime.time | datetime.timedelta)
    ]
    now_at = tuple(
        index
        for index in clock
        if now is not None
        and isinstance(params[index], datetime.datetime)
        and now[0] <= params[index] <= now[1]
    )
    if len(now_at) != len(clock):
        return None  # a date or time that is not the clock read now: not safe to keep
    columns = [column for column, _, _ in compiler.select]
    return _Compiled(
        sql=sql,
        params=tuple(params),
        case_at=params.index(_CASE_PK_MARK),
        now_at=now_at,
        converters=tuple(
            (index, tuple(converters), expression)
            for index, (converters, expression) in compiler.get_converters(columns).items()
        ),
    )


_CASE_READS: dict[tuple[Any, ...], _Compiled] = {}
_CASE_READS_MAX = 4096
_ROUTE_READS: dict[bool, _Compiled] = {}


def _case_read(user: User) -> Callable[[int], list[list[Any]]]:
    # `cases_visible_to(user)` is a function of these alone and of the clock (the grants'
    # expiry, a parameter): its subqueries are read when the statement runs.
    key = (user.pk, user.role, user.agency_id, user.is_active)
    compiled = _CASE_READS.get(key)
    if compiled is None:
        before = timezone.now()
        visible = cases_visible_to(user).select_related(None).order_by()
        rows = visible.filter(pk=_CASE_PK_MARK).values_list(*_CASE_VALUES)
        # Off PostgreSQL (the demo's SQLite) the ORM sends a moment as text, which the
        # search for the clock below would not see: compiled per request there.
        kept = connections[rows.db].vendor == "postgresql"
        compiled = _compile(rows, (before, timezone.now())) if kept else None
        if compiled is None:
            # A rule holding a date or time of its own: this request's statement, as the
            # ORM runs it, never kept.
            return lambda pk: [
                list(row) for row in visible.filter(pk=pk).values_list(*_CASE_VALUES)
            ]
        if len(_CASE_READS) >= _CASE_READS_MAX:
            _CASE_READS.clear()
        _CASE_READS[key] = compiled
    read = compiled
    return lambda pk: read.run(pk, timezone.now())


def _route_read(named: bool) -> _Compiled:
    read = _ROUTE_READS.get(named)
    if read is None:
        moves = StageMove.objects.filter(case_id=_CASE_PK_MARK).order_by("moved_at", "pk")
        compiled = _compile(
            moves.values_list(*_MOVE_VALUES, *(_MOVE_KEYS if named else _MOVE_IDS)), None
        )
        assert compiled is not None  # no clock in it
        read = _ROUTE_READS[named] = compiled
    return read


# DRF's own fields for the values that need formatting: the same text as the serializer's.
_DATETIME = serializers.DateTimeField()


def _moment(value: datetime.datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _day(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _person(username: str | None, first_name: str | None, last_name: str | None) -> str | None:
    # User.__str__ (get_full_name() or username) of a row read by name.
    if username is None:
        return None
    return f"{first_name} {last_name}".strip() or username


def _route(case_pk: int, version: Any) -> list[dict[str, Any]]:
    rows = _route_read(False).run(case_pk)
    transitions = {transition.pk: transition.key for transition in version.transitions.values()}
    stages = version.stages
    named: list[list[Any]] = []
    for row in rows:
        transition_id, from_id, to_id = row[8:11]
        if (
            to_id not in stages
            or (from_id is not None and from_id not in stages)
            or (transition_id is not None and transition_id not in transitions)
        ):
            # Moves made on an earlier version, before the case was moved to this one: their
            # stages and transitions are read with them (one query more).
            named = _route_read(True).run(case_pk)
            break
        named.append(
            [
                *row[:8],
                None if transition_id is None else transitions[transition_id],
                None if from_id is None else stages[from_id].key,
                stages[to_id].key,
            ]
        )
    return [
        {
            "kind": kind,
            "transition": transition,
            "from_stage": from_stage,
            "to_stage": to_stage,
            "actor": _person(username, first_name, last_name),
            "reason": reason,
            "data": data,
            "moved_at": _moment(moved_at),
            "due_on": _day(due_on),
        }
        for (
            kind,
            reason,
            data,
            moved_at,
            due_on,
            username,
            first_name,
            last_name,
            transition,
            from_stage,
            to_stage,
        ) in named
    ]


def case_detail(user: Actor, pk: int) -> dict[str, Any] | None:
    """The case as GET /api/cases/<id>/ shows it (CaseDetailSerializer's JSON), if the user
    may read it (`cases_visible_to`: their role's rule or a grant in force); else None."""
    if not holds_cases(user):
        return None
    rows = _case_read(user)(pk)
    if not rows:
        return None
    (
        case_pk,
        child_id,
        child_reference,
        child_first_name,
        child_last_name,
        child_date_of_birth,
        involvement,
        current_stage_id,
        stage_entered_at,
        stage_due_on,
        stage_overdue_since,
        lead_username,
        lead_first_name,
        lead_last_name,
        confirmed_continuum_level,
        closed_at,
        lock_version,
        significant_harm_suspected,
        referral_received_at,
        closure_reason,
        csc_referred_at,
        csc_episode_ended_at,
        csc_episode_end_reason,
        pathway_version_id,
        pathway_version_number,
        pathway_key,
    ) = rows[0]
    version = compiled_version(pathway_version_id)
    stage = version.stages[current_stage_id]
    return {
        "id": case_pk,
        "child": {
            "id": child_id,
            "reference": child_reference,
            "name": f"{child_first_name} {child_last_name}",
        },
        "involvement": involvement,
        "stage": {"key": stage.key, "name": stage.name},
        "stage_entered_at": _moment(stage_entered_at),
        "stage_due_on": _day(stage_due_on),
        "overdue": stage_overdue_since is not None,
        "lead_practitioner": _person(lead_username, lead_first_name, lead_last_name),
        "confirmed_continuum_level": confirmed_continuum_level,
        "closed_at": _moment(closed_at),
        "lock_version": lock_version,
        "significant_harm_suspected": significant_harm_suspected,
        "referral_received_at": _moment(referral_received_at),
        "closure_reason": closure_reason,
        "csc_episode": None
        if csc_referred_at is None
        else {
            "referred_at": _moment(csc_referred_at),
            "ended_at": _moment(csc_episode_ended_at),
            "end_reason": csc_episode_end_reason,
        },
        "transition_to_adult_services": adult_transition(
            date_of_birth=child_date_of_birth,
            involvement=involvement,
            closed=closed_at is not None,
            today=timezone.localdate(),
        )
        is not None,
        "pathway_version": {
            "id": pathway_version_id,
            "pathway": pathway_key,
            "number": pathway_version_number,
        },
        "route": _route(case_pk, version),
    }


class CaseRef:
    """The case a detail read names in its audit event (`audit.services.record_event` reads
    its `_meta` and `pk`), without building the model."""

    _meta = Case._meta

    def __init__(self, pk: int):
        self.pk = pk
