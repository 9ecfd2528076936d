"""Every row the case process writes by hand: viewflow's tasks, links and process, and the case.

viewflow's activation path costs about 20 queries per task (4 of them permission checks the
services already made), and the ORM one statement per row. Opening a case or moving it
writes its rows here in one statement of data-modifying CTEs (`open_case_rows`,
`move_case_rows`), which keeps a transition to three statements (the locked read, this,
the audit event) on PostgreSQL (`benchmarks/transitions.py`). Columns and values come from
model instances through each field's own `get_db_prep_save`, as Django's INSERT takes them,
so a new column with a default needs no change here.

The price is that viewflow's rows must look exactly as its own would, for the timer worker,
which fires deadlines through viewflow's activation, and for viewflow's task queries. So
they are written here and nowhere else, and `cases/tests/process/test_task_rows.py`, pinned
to the installed viewflow version, fails when viewflow changes the shape of its rows:
re-check this module then.

The rows, per stage entry: a NEW `work_stage` task with the stage key in its data; while the
stage has a deadline, a SCHEDULED `work_stage__timeout` timer at the breach moment, linked to
the work task (timer -> work task); and a link from the new work task back to the one it
follows (for a new case, viewflow's DONE `start` task). Leaving a stage makes its work task
DONE and cancels its armed timer. All carry the "start" token, as viewflow's own start path
gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from cases.models import Case, StageMove

from .flow import PathwayFlow, statement_lost

# viewflow's token names the branch a task is on; the flow has no splits, so it is always "start".
BRANCH = "start"


# --- one statement, many rows -----------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(field: Field[Any, Any]) -> str:
    assert field.column is not None  # a concrete field has one
    return field.column


@cache
def _table(model: type[Model]) -> str:
    table = model._meta.db_table
    assert table is not None
    return _quote(table)


@cache
def _insert_fields(model: type[Model]) -> tuple[tuple[str, Field[Any, Any], bool], ...]:
    """(quoted column, field, whether a NULL may be left out) for an INSERT into the model's
    own table: every column but a serial key. A nullable column with no database default is
    NULL when left out. Worked out once per model."""
    meta = model._meta
    return tuple(
        (_quote(_column(field)), field, field.null and field.db_default is NOT_PROVIDED)
        for field in meta.local_concrete_fields
        if field is not meta.auto_field
    )


@cache
def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


@cache
def _quoted_column(model: type[Model], name: str) -> str:
    return _quote(_column(_field(model, name)))


@cache
def _timeout_node_reference() -> Any:
    """The deadline timer's `flow_task`, as viewflow stores it."""
    return _field(Task, "flow_task").get_prep_value(PathwayFlow.work_stage__timeout)


@cache
def _returning(model: type[Model]) -> str:
    key = model._meta.pk
    return f" RETURNING {_quote(_column(key))}" if key is not None else ""


# --- prepared on the server ---------------------------------------------------------------------

# Parsing and planning these statements costs PostgreSQL more than running them (the move's:
# about 0.9 of 1.3 ms of server time; the locked read's 0.45 of 0.55 ms), so each is prepared
# once per connection (PREPARE, in the same round trip as its first EXECUTE) and executed by
# name after. Prepared statements live as long as the session and survive a rollback; the
# map below mirrors them, keyed by the statement's text (its parameters stay parameters).
# Should it ever disagree with the session (a DEALLOCATE or DISCARD from elsewhere), the
# statement fails, the map is dropped and the next use starts from DEALLOCATE ALL; the
# locked read, a move's first statement, is then retried at once (flow.CaseRowLock.holding).
# Needs a session per connection (direct, as Django connects; not a transaction pooler).
_PREPARED_MAX = 64  # statement shapes per connection; more run unprepared
_PLACEHOLDER = re.compile(r"%%|%s")


@dataclass
class _Prepared:
    raw: Any  # the DB-API connection they were prepared on
    names: dict[str, str] = dataclass_field(default_factory=dict)
    reset: bool = False  # start the next use with DEALLOCATE ALL


def _numbered(sql: str) -> str:
    """Django's `%s` placeholders as PostgreSQL's `$1`, `$2`, … (`%%` stays for the driver)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda m: "%%" if m.group() == "%%" else f"${next(numbers)}", sql)


@contextmanager
def prepared_on(db: BaseDatabaseWrapper, sql: str) -> Iterator[str]:
    """What to send for `sql` (with the same parameters): EXECUTE of its prepared statement,
    after PREPARE the first time on this connection. Unprepared off PostgreSQL."""
    if db.vendor != "postgresql" or db.connection is None:
        yield sql
        return
    state: _Prepared | None = getattr(db, "_case_process_prepared", None)
    if state is None or state.raw is not db.connection:
        state = _Prepared(raw=db.connection)
        db._case_process_prepared = state  # type: ignore[attr-defined]
    name = state.names.get(sql)
    prefix = ""
    if name is None:
        if len(state.names) >= _PREPARED_MAX:
            yield sql
            return
        name = state.names[sql] = f"case_process_{len(state.names) + 1}"
        prefix = f"PREPARE {name} AS {_numbered(sql)}; "
    if state.reset:
        prefix, state.reset = "DEALLOCATE ALL; " + prefix, False
    arguments = f" ({', '.join(['%s'] * sql.count('%s'))})" if "%s" in sql else ""
    try:
        yield f"{prefix}EXECUTE {name}{arguments}"
    except DatabaseError as error:
        if statement_lost(error):
            state.names.clear()
            state.reset = True
        raise


class _Statement:
    """Data-modifying CTEs, run as one statement: `WITH a AS (…), b AS (…) <final>`.

    PostgreSQL runs every data-modifying CTE once and to completion, whether or not the final
    query reads it; each sees the snapshot from before the statement, not its siblings' rows
    (so a row-level-security check cannot see a case inserted by a sibling: a new case's
    first move is inserted after this statement).
    """

    def __init__(self) -> None:
        self.db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy
        self.ctes: list[str] = []
        self.params: list[Any] = []
        self.parts: list[tuple[str, str, list[Any]]] = []

    def add(self, name: str, sql: str, params: Sequence[Any] = ()) -> None:
        self.ctes.append(f"{name} AS ({sql})")
        self.params.extend(params)
        self.parts.append((name, sql, list(params)))

    def value(self, field: Field[Any, Any], row: Model) -> Any:
        """The row's value for the field as Django's own INSERT or UPDATE would send it."""
        return field.get_db_prep_save(getattr(row, field.attname), self.db)

    def insert(
        self,
        name: str,
        row: Model,
        *,
        model: type[Model] | None = None,
        sql: dict[str, str] | None = None,
    ) -> None:
        """INSERT `row` into `model`'s table (its own class's by default), RETURNING its key;
        `sql` gives a column an SQL expression instead of the row's value (an id from an
        earlier CTE, or a literal integer)."""
        model = model or type(row)
        columns, values, params = [], [], []
        for column, field, omit_null in _insert_fields(model):
            expression = (sql or {}).get(field.column or "")
            if expression is None:
                if isinstance(getattr(row, field.attname), DatabaseDefault):
                    continue  # left to the column's database default (an event's xid)
                value = self.value(field, row)
                if value is None and omit_null:
                    continue  # the column's NULL: a shorter statement to parse and plan
                expression = "%s"
                params.append(value)
            columns.append(column)
            values.append(expression)
        self.add(
            name,
            # Names from the models' _meta, every value a parameter.
            f"INSERT INTO {_table(model)} ({', '.join(columns)})"  # noqa: S608
            f" VALUES ({', '.join(values)}){_returning(model)}",
            params,
        )

    def link(self, name: str, pairs: Sequence[tuple[str, str]], params: Sequence[Any] = ()) -> None:
        """Rows of `Task.previous`, (a task, the task it follows), as SQL expressions (with
        `params` for their placeholders, in order)."""
        selects = " UNION ALL ".join(f"SELECT {task}, {follows}" for task, follows in pairs)
        table = _table(Task.previous.through)
        self.add(name, f"INSERT INTO {table} (from_task_id, to_task_id) {selects}", params)

    def run(self, final: str) -> tuple[Any, ...]:
        if self.db.vendor != "postgresql":
            return self._run_in_turn(final)
        sql = f"WITH {', '.join(self.ctes)} {final}"
        with self.db.cursor() as cursor, prepared_on(self.db, sql) as send:
            cursor.execute(send, self.params)
            row = cursor.fetchone()
        return tuple(row) if row else ()

    def _run_in_turn(self, final: str) -> tuple[Any, ...]:
        """The same statements one at a time, in order, each earlier INSERT's returned id
        written into the later ones: for the embedded demo's SQLite, which has no
        data-modifying CTEs. Same rows; only PostgreSQL gets the single round trip."""
        ids: dict[str, str] = {}

        def resolved(sql: str) -> str:
            for name, value in ids.items():
                sql = sql.replace(f"(SELECT id FROM {name})", value)  # noqa: S608 - a CTE name, an int
            return sql

        with self.db.cursor() as cursor:
            for name, sql, params in self.parts:
                cursor.execute(resolved(sql), params)
                if " RETURNING " in sql:
                    row = cursor.fetchone()
                    # An id the database just returned: an integer, safe to write as SQL.
                    ids[name] = "NULL" if row is None or row[0] is None else str(int(row[0]))
            cursor.execute(resolved(final))
            row = cursor.fetchone()
        return tuple(row) if row else ()


# --- the rows ----------------------------------------------------------------------------------

WORK = "(SELECT id FROM work)"
TIMER = "(SELECT id FROM timer)"


def _work_task(stage_key: str) -> Task:
    return Task(
        flow_task=PathwayFlow.work_stage,
        flow_task_type=PathwayFlow.work_stage.task_type,
        status=STATUS.NEW,
        token=Token(BRANCH),
        data={"stage": stage_key},
    )


def _deadline_timer(breach_at: datetime) -> Task:
    timeout_node = PathwayFlow.work_stage__timeout
    return Task(
        flow_task=timeout_node,
        flow_task_type=timeout_node.task_type,
        status=STATUS.SCHEDULED,
        token=Token(BRANCH),
        scheduled=breach_at,
    )


def _open_stage(
    statement: _Statement,
    *,
    case_id: int | None,
    stage_key: str,
    breach_at: datetime | None,
    process_sql: str | None = None,
) -> list[tuple[str, str]]:
    """CTEs `work` (the stage's NEW work task) and, with a deadline, `timer`, of case
    `case_id` (or `process_sql`, an SQL expression); returns the link of the timer to the
    work task it guards."""
    sql = {} if process_sql is None else {"process_id": process_sql}
    work = _work_task(stage_key)
    work.process_id = case_id
    statement.insert("work", work, sql=sql)
    if breach_at is None:
        return []
    timer = _deadline_timer(breach_at)
    timer.process_id = case_id
    statement.insert("timer", timer, sql=sql)
    return [(TIMER, WORK)]


def open_case_rows(*, case: Case, stage_key: str, breach_at: datetime | None) -> None:
    """Write a new case as viewflow's start path would, in one statement: the process and case
    rows, the DONE `start` task, the first stage's work task and its deadline timer, linked.

    `case` is unsaved and filled (`flow.initialise_case`); it gets its id and current task.
    """
    now = timezone.now()
    statement = _Statement()
    statement.insert("process", case, model=Process)
    process_id = "(SELECT id FROM process)"
    start = Task(
        flow_task=PathwayFlow.start,
        flow_task_type=PathwayFlow.start.task_type,
        status=STATUS.DONE,
        token=Token(BRANCH),
        started=now,
        finished=now,
    )
    statement.insert("start_task", start, sql={"process_id": process_id})
    links = _open_stage(
        statement, case_id=None, stage_key=stage_key, breach_at=breach_at, process_sql=process_id
    )
    statement.link("links", [(WORK, "(SELECT id FROM start_task)"), *links])
    statement.insert(
        "new_case", case, model=Case, sql={"process_ptr_id": process_id, "current_task_id": WORK}
    )
    case_id, task_id = statement.run(f"SELECT {process_id}, {WORK}")
    case.pk = case_id
    case.current_task_id = task_id
    case._state.adding = False
    case._state.db = connection.alias


def move_case_rows(
    *,
    case: Case,
    columns: Sequence[str],
    leaving_task_id: int | None,
    opening_stage_key: str | None,
    breach_at: datetime | None,
    process_status: str | None,
    move: StageMove,
    now: datetime,
    event: Model | None = None,
    designation: Model | None = None,
    designation_event: Model | None = None,
) -> int | None:
    """Write a move in one statement: finish the stage's work task and cancel its armed
    timer; open the next stage's task and timer (`opening_stage_key`; None into a closed
    stage), the task following the one left; update the case's `columns` from `case`, its
    current task the new one and its lock version one up; set the process row's status
    (`process_status`, when closing or reopening); insert the `move` and its audit `event`
    (signed, from audit.services.new_event); with a lead practitioner named in the same step,
    their `designation` and its `designation_event` (the case's lead is then among
    `columns`). Returns the new work task's id.
    """
    statement = _Statement()
    statement.add(
        "left_stage",
        f"UPDATE {_table(Task)}"  # noqa: S608 - names from _meta, values as parameters
        " SET status = CASE WHEN id = %s THEN %s ELSE %s END, finished = %s"
        " WHERE id = %s OR (process_id = %s AND flow_task = %s AND status = %s)",
        [
            leaving_task_id,
            STATUS.DONE,
            STATUS.CANCELED,
            now,
            leaving_task_id,
            case.pk,
            _timeout_node_reference(),
            STATUS.SCHEDULED,
        ],
    )
    current_task = "NULL"
    if opening_stage_key is not None:
        links = _open_stage(
            statement, case_id=case.pk, stage_key=opening_stage_key, breach_at=breach_at
        )
        follows = []
        if leaving_task_id is not None:  # a reopened case has no task to follow on from
            links.append((WORK, "%s"))
            follows.append(leaving_task_id)
        if links:
            statement.link("links", links, follows)
        current_task = WORK
    assignments, params = [], []
    for name in columns:
        field = _field(Case, name)
        assignments.append(f"{_quoted_column(Case, name)} = %s")
        params.append(statement.value(field, case))
    statement.add(
        "moved_case",
        f"UPDATE {_table(Case)} SET {', '.join(assignments)},"  # noqa: S608 - as above
        f" current_task_id = {current_task}, lock_version = lock_version + 1"
        " WHERE process_ptr_id = %s",
        [*params, case.pk],
    )
    if process_status is not None:
        statement.add(
            "process_row",
            f"UPDATE {_table(Process)} SET status = %s, finished = %s WHERE id = %s",  # noqa: S608
            [process_status, now if process_status == PROCESS.DONE else None, case.pk],
        )
    statement.insert("stage_move", move)
    if event is not None:
        statement.insert("audit_event", event)
    if designation is not None:
        # The case had no lead, so no active designation: the unique index of one active
        # lead per case holds whatever order the statement's parts run in.
        statement.insert("lead_designation", designation)
    final = f"SELECT {current_task}"
    if designation_event is not None:
        statement.insert("lead_event", designation_event)
        # Read in this order, so the move's event is written (and numbered) before the
        # designation's, as one INSERT after another would (see `in_order`).
        reads = ["audit_event", "lead_event"] if event is not None else ["lead_event"]
        final += "".join(f", {cte_id(name)}" for name in reads)
    task_id = statement.run(final)[0]
    return task_id  # type: ignore[no-any-return]


# --- a migrated case ---------------------------------------------------------------------------


def rearm_deadline(
    *,
    case_id: int,
    work_task_id: int | None,
    stage_key: str,
    breach_at: datetime | None,
    now: datetime,
) -> None:
    """Cancel the stage's armed timer and arm one for a new deadline (a migrated case).

    The work task stays open and takes the new stage's key.
    """
    timeout_node = PathwayFlow.work_stage__timeout
    Task.objects.filter(process_id=case_id, flow_task=timeout_node, status=STATUS.SCHEDULED).update(
        status=STATUS.CANCELED, finished=now
    )
    if work_task_id is None:
        return
    work_task = Task.objects.get(pk=work_task_id)
    work_task.data = {**(work_task.data or {}), "stage": stage_key}
    work_task.save(update_fields=["data"])
    if breach_at is None:
        return
    timer = _deadline_timer(breach_at)
    timer.process_id = case_id
    timer.save(force_insert=True)
    timer.previous.add(work_task)


# --- the lead practitioner ---------------------------------------------------------------------


def designate_lead_rows(*, case: Case, designation: Model, event: Model) -> None:
    """Write a lead's designation in one statement: the designation row, the case's lead and
    its lock version one up, and the audit `event` (signed, from audit.services.new_event).

    A handover ends the active designation first, in a statement of its own: the unique
    index of one active lead per case is checked row by row, and sibling CTEs run in no
    promised order.
    """
    statement = _Statement()
    statement.insert("designation", designation)
    statement.add(
        "lead_case",
        f"UPDATE {_table(Case)} SET {_quoted_column(Case, 'lead_practitioner')} = %s,"  # noqa: S608
        " lock_version = lock_version + 1 WHERE process_ptr_id = %s",
        [case.lead_practitioner_id, case.pk],
    )
    statement.insert("audit_event", event)
    statement.run("SELECT (SELECT id FROM designation)")


# --- referral intake ---------------------------------------------------------------------------

_M = TypeVar("_M", bound=Model)
_RETURNING_ID = ' RETURNING "id"'


def stamped(row: _M) -> _M:
    """`row` with its auto_now / auto_now_add dates set, as `Model.save()` sets them (an
    INSERT written here does not go through save())."""
    for field in row._meta.local_concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            field.pre_save(row, True)
    return row


def cte_id(name: str) -> str:
    """The id an INSERT CTE named `name` returned, as an SQL expression for later CTEs (and
    for `_run_in_turn`, which writes the id in its place off PostgreSQL)."""
    return f"(SELECT id FROM {name})"  # noqa: S608 - a CTE name of ours


def add_new_case_rows(
    statement: _Statement,
    *,
    name: str,
    case: Case,
    stage_key: str,
    breach_at: datetime | None,
    sql: dict[str, str] | None = None,
) -> tuple[str, str]:
    """`open_case_rows`' rows of one new case as CTEs of `statement`, named after `name`
    (several cases can share a statement); `sql` gives the case's columns SQL expressions (a
    child or referral inserted by a sibling CTE). Returns the SQL expressions of the case's
    id and of its first work task's id.

    The case's first move and audit event are not among them: a row-level-security check of
    a row naming the case cannot see a case inserted in the same statement.
    """
    now = timezone.now()
    process_id = cte_id(f"{name}_process")
    statement.insert(f"{name}_process", case, model=Process)
    start = Task(
        flow_task=PathwayFlow.start,
        flow_task_type=PathwayFlow.start.task_type,
        status=STATUS.DONE,
        token=Token(BRANCH),
        started=now,
        finished=now,
    )
    statement.insert(f"{name}_start", start, sql={"process_id": process_id})
    work_id = cte_id(f"{name}_work")
    statement.insert(f"{name}_work", _work_task(stage_key), sql={"process_id": process_id})
    pairs = [(work_id, cte_id(f"{name}_start"))]
    if breach_at is not None:
        statement.insert(
            f"{name}_timer", _deadline_timer(breach_at), sql={"process_id": process_id}
        )
        pairs.append((cte_id(f"{name}_timer"), work_id))
    statement.link(f"{name}_links", pairs)
    statement.insert(
        f"{name}_case",
        case,
        model=Case,
        sql={"process_ptr_id": process_id, "current_task_id": work_id, **(sql or {})},
    )
    return process_id, work_id


def in_order(statement: _Statement) -> str:
    """A final query reading the id of every INSERT CTE of `statement`, in the order they
    were added: PostgreSQL runs a data-modifying CTE when the query first reads it (and
    the unread ones after the query, in no promised order), so the rows are written, and
    numbered, in that order, as one INSERT after another would write them."""
    names = [name for name, sql, _ in statement.parts if sql.endswith(_RETURNING_ID)]
    return "SELECT " + ", ".join(cte_id(name) for name in names)


def intake_statement() -> _Statement:
    """A statement of data-modifying CTEs for referral intake (`add`, `insert`, `run`)."""
    return _Statement()
