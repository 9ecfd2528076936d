"""The timer worker (`cases.process.timers`, `manage.py run_worker`): each due stage deadline fires
exactly once however many workers run, a busy case waits for the next pass, and the worker
stops cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.db_context import NO_AREA, area_context
from audit.models import AuditEvent
from cases.models import Case
from cases.process.flow import PathwayFlow
from cases.process.timers import due_timers, fire_due_timers, run_pass, timer_lag
from cases.tests.factories import open_case
from cases.tests.process.threads import held_in_another_connection, run_at_once

REPO_ROOT = Path(__file__).resolve().parents[3]
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
)


def concurrent(test):
    """Row locks are per connection: the test runs workers (or holds locks) in other
    connections, which see only committed rows; only PostgreSQL has the locks."""
    return pytest.mark.postgres(needs_postgres(pytest.mark.django_db(transaction=True)(test)))


def _timer(case: Case) -> Task:
    return Task.objects.get(
        process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
    )


def _make_due(cases: list[Case], *, ago: timedelta = timedelta(minutes=1)) -> None:
    """Pretend each case's stage deadline passed `ago`: its scheduled timer becomes due."""
    moved = Task.objects.filter(
        process_id__in=[case.pk for case in cases],
        flow_task=PathwayFlow.work_stage__timeout,
        status=STATUS.SCHEDULED,
    ).update(scheduled=timezone.now() - ago)
    assert moved == len(cases)


def _add_finished_timers_like(timer: Task, count: int = 3000) -> None:
    """Years of fired deadlines: copies of `timer`, DONE and due in the past.

    On a table of a handful of rows every plan costs the same and the planner may pick
    viewflow's `scheduled` index; the partial index pays off (and is chosen) once finished
    timers outnumber waiting ones, as they do in a deployment.
    """
    columns = [f.column for f in Task._meta.concrete_fields if not f.primary_key]
    chosen = {
        "status": "'DONE'",
        "scheduled": "scheduled - interval '1 day' - g * interval '1 minute'",
    }
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    select = ", ".join(chosen.get(column, quote(column)) for column in columns)
    # Column names come from the model, values are parameters.
    sql = f"INSERT INTO viewflow_task ({names}) SELECT {select} FROM viewflow_task, generate_series(1, %s) AS g WHERE id = %s"  # noqa: E501, S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, timer.pk])


def _overdue_events(cases: list[Case]) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            action="case.stage_overdue", object_id__in=[str(case.pk) for case in cases]
        ).values_list("object_id", flat=True)
    )


@concurrent
@pytest.mark.parametrize("batch", [7, 100])
def test_two_workers_at_once_fire_each_of_30_due_timers_exactly_once(
    batch, default_version, front_door
):
    cases = [open_case(version=default_version, actor=front_door) for _ in range(30)]
    _make_due(cases)

    first, second = run_at_once(
        lambda: run_pass(batch=batch), lambda: run_pass(batch=batch), timeout=120
    )

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first.fired + second.fired == 30
    assert first.failed == second.failed == 0
    events = _overdue_events(cases)
    assert sorted(events) == sorted(str(case.pk) for case in cases)  # one per case
    assert Case.objects.filter(pk__in=[c.pk for c in cases], stage_overdue_since=None).count() == 0
    assert not Task.objects.filter(status=STATUS.ERROR).exists()
    assert timer_lag() == 0.0


@concurrent
def test_a_timer_claimed_by_another_worker_is_skipped_not_waited_for(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    _make_due([case])
    timer_pk = _timer(case).pk

    with _held_in_another_connection(Task.objects.filter(pk=timer_pk)):
        started = time.monotonic()
        skipped = run_pass()
        waited = time.monotonic() - started
    fired = run_pass()

    assert skipped.claimed == skipped.fired == 0
    assert waited < 5  # SKIP LOCKED: the other worker's claim is passed over, not waited on
    assert fired.fired == 1
    assert Task.objects.get(pk=timer_pk).status == STATUS.DONE


@concurrent
def test_a_busy_case_is_left_for_the_next_pass(default_version, front_door):
    # A user's transition holds the case's row lock while the timer comes due.
    case = open_case(version=default_version, actor=front_door)
    _make_due([case])

    with _held_in_another_connection(Case.objects.filter(pk=case.pk)):
        busy = run_pass()
        case.refresh_from_db()
        assert case.stage_overdue_since is None
        assert _timer(case).status == STATUS.SCHEDULED
    fired = run_pass()

    assert (busy.claimed, busy.busy, busy.fired) == (1, 1, 0)
    assert (fired.claimed, fired.fired) == (1, 1)
    case.refresh_from_db()
    assert case.stage_overdue_since is not None
    assert _overdue_events([case]) == [str(case.pk)]


def _held_in_another_connection(rows):
    """Hold `SELECT … FOR UPDATE` on the rows in another connection for the block."""

    def lock() -> None:
        assert list(rows.select_for_update())

    return held_in_another_connection(lock)


@pytest.mark.django_db
def test_timer_lag_is_zero_with_nothing_due_and_the_oldest_due_timers_age_otherwise(
    default_version, front_door
):
    older, newer, not_due = (open_case(version=default_version, actor=front_door) for _ in "abc")
    assert timer_lag() == 0.0  # every deadline is in the future

    now = timezone.now()
    Task.objects.filter(pk=_timer(older).pk).update(scheduled=now - timedelta(seconds=120))
    Task.objects.filter(pk=_timer(newer).pk).update(scheduled=now - timedelta(seconds=30))

    assert timer_lag(now) == 120.0
    assert 120.0 <= timer_lag() < 180.0
    assert fire_due_timers() == 2
    assert timer_lag() == 0.0
    assert _timer(not_due).status == STATUS.SCHEDULED


@pytest.mark.django_db
def test_a_timer_whose_node_is_gone_is_logged_and_skipped_and_the_rest_still_fire(
    default_version, front_door, caplog
):
    cases = [open_case(version=default_version, actor=front_door) for _ in range(3)]
    _make_due(cases)
    orphan = _timer(cases[0])
    Task.objects.filter(pk=orphan.pk).update(
        flow_task="cases/process.flow.PathwayFlow.retired_node"
    )

    # batch=1: every claim is its own sweep; the orphan is tried once in the pass, not forever.
    sweep = run_pass(batch=1)

    assert (sweep.claimed, sweep.fired, sweep.orphaned) == (3, 2, 1)
    assert f"timer task {orphan.pk} references a missing node" in caplog.text
    assert Task.objects.get(pk=orphan.pk).status == STATUS.SCHEDULED
    assert sorted(_overdue_events(cases)) == sorted(str(case.pk) for case in cases[1:])
    assert timer_lag() > 0  # the orphan keeps the lag up until someone cancels it


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_the_worker_fires_in_the_system_context_even_after_a_request_set_an_area(
    default_version, front_door
):
    # As the serving role (bound by row-level security), with a request's area context left
    # on the connection that matches no area: the case would be invisible to the timer.
    case = open_case(version=default_version, actor=front_door)
    _make_due([case])
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE hsb_app")
    try:
        with area_context(NO_AREA):
            fired = fire_due_timers()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    assert fired == 1
    case.refresh_from_db()
    assert case.stage_overdue_since is not None
    assert not Task.objects.filter(process_id=case.pk, status=STATUS.ERROR).exists()


def test_manage_py_workflow_timers_still_fires_through_viewflow(db, default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    _make_due([case])

    call_command("workflow_timers", stdout=open(os.devnull, "w"))  # noqa: SIM115

    case.refresh_from_db()
    assert case.stage_overdue_since is not None


@pytest.mark.django_db(transaction=True)  # the command's pass runs outside any transaction
def test_one_pass_of_run_worker_fires_due_timers_under_one_request_id(default_version, front_door):
    # The pass's log line and the audit events it writes share an id, as a request's do.
    cases = [open_case(version=default_version, actor=front_door) for _ in range(2)]
    _make_due(cases)

    call_command("run_worker", "--once")

    events = AuditEvent.objects.filter(action="case.stage_overdue")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in cases)
    (request_id,) = set(events.values_list("request_id", flat=True))
    assert request_id


# --- the process: signals and outages ---------------------------------------------------------


class _Worker:
    """`manage.py run_worker` in a subprocess, its log read line by line."""

    def __init__(self, *args: str, database_url: str):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter, manage.py
            [sys.executable, "manage.py", "run_worker", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines) < count:
            assert self.process.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} in:\n{''.join(self.lines)}"
            time.sleep(0.05)

    def stop(self, timeout: float = 10) -> tuple[int, float]:
        """SIGTERM; the exit status and how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=timeout)
        return status, time.monotonic() - started

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _test_database_url() -> str:
    from urllib.parse import quote

    s = connection.settings_dict
    return (
        f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'] or '')}"
        f"@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


@concurrent
def test_a_running_worker_fires_due_timers_and_exits_0_promptly_on_sigterm(
    default_version, front_door
):
    cases = [open_case(version=default_version, actor=front_door) for _ in range(3)]
    _make_due(cases)
    # A long interval: the worker is asleep between passes when the signal comes.
    worker = _Worker("--every", "60", database_url=_test_database_url())
    try:
        worker.wait_for("worker: fired 3 timer(s)")
        status, took = worker.stop()
    finally:
        worker.kill()

    assert status == 0, "".join(worker.lines)
    assert took < 5, f"took {took:.1f} s to stop"
    assert "worker: stopped" in "".join(worker.lines)
    assert sorted(_overdue_events(cases)) == sorted(str(case.pk) for case in cases)


def _unreachable_database_url() -> str:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgres://nobody:x@127.0.0.1:{port}/none"


def test_a_worker_without_its_database_logs_waits_and_retries_until_stopped():
    worker = _Worker("--every", "0.2", database_url=_unreachable_database_url())
    try:
        worker.wait_for("database unavailable, retrying next pass", count=3)
        status, _ = worker.stop()
    finally:
        worker.kill()

    assert status == 0, "".join(worker.lines)
    assert "Traceback" not in "".join(worker.lines)


def test_one_pass_without_the_database_exits_1():
    worker = _Worker("--once", database_url=_unreachable_database_url())
    try:
        status = worker.process.wait(timeout=60)
    finally:
        worker.kill()

    assert status == 1, "".join(worker.lines)
    assert "the pass could not run" in "".join(worker.lines)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_the_lag_and_the_claim_are_answered_from_the_due_timer_index(default_version, front_door):
    # pathways migration 0002: without it both walk every finished timer (48 ms at 200,000
    # rows, ./scripts/bench_timers). Sequential scans off: the table is tiny here.
    case = open_case(version=default_version, actor=front_door)
    _make_due([case])
    _add_finished_timers_like(Task.objects.get(process_id=case.pk, status=STATUS.SCHEDULED))
    with CaptureQueriesContext(connection) as captured:
        timer_lag()
    claim = due_timers().select_for_update(skip_locked=True, of=("self",))[:1]
    with transaction.atomic(), connection.cursor() as cursor:
        # With fresh statistics the planner chooses by cost, as in production.
        cursor.execute("ANALYZE viewflow_task")
        plans = []
        for sql, params in [
            (captured.captured_queries[0]["sql"], ()),
            claim.query.sql_with_params(),
        ]:
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    for plan in plans:
        assert "pathways_due_timer_idx" in plan, plan
