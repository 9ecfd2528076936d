"""How long the timer worker takes to fire due stage deadlines on PostgreSQL, and whether its
two queries stay on an index when the task table is large.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python -m benchmarks.timers \\
        [--timers 100] [--rounds 3] [--history 200000]

Creates a throwaway database (`hsb_bench_timers`, dropped afterwards), opens
`timers * (rounds + 1)` cases on the published default pathway, and adds `history` finished
timer rows (what years of stage deadlines leave behind) so the planner sees a large table.
Each round makes `timers` deadlines due and times one `run_pass` firing them all, as the
serving role in the system context, each timer in its own committed transaction; a last round
splits the same number between two workers in threads. Prints the plans of `timer_lag`'s
query and of the claim.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from typing import Any

from benchmarks.harness import setup_django, throwaway_database
from benchmarks.transitions import SERVING_ROLE, create_people_and_pathway, serving_role_exists


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=100, help="Due timers per pass.")
    parser.add_argument("--rounds", type=int, default=3, help="Timed single-worker passes.")
    parser.add_argument("--history", type=int, default=200_000, help="Finished timer rows.")
    parser.add_argument("--database-name", default="hsb_bench_timers")
    return parser.parse_args(argv)


def open_cases(count: int, setup: dict[str, Any]) -> list[Any]:
    from django.utils import timezone

    from agencies.roles import Role
    from cases.models import Child
    from cases.process.engine import open_case

    born = timezone.localdate() - timedelta(days=13 * 365)
    children = Child.objects.bulk_create(
        Child(
            reference=f"BENCH-T{n:06d}",
            first_name="Invented",
            last_name=f"Child {n}",
            date_of_birth=born,
            gender="boy",
            area_id=setup["version"].pathway.area_id,
        )
        for n in range(count)
    )
    return [
        open_case(
            child=child,
            involvement="displaying_hsb",
            version_id=setup["version"].pk,
            referral=None,
            referral_received_at=timezone.now(),
            actor=setup[Role.FRONT_DOOR],
            facts={},
        )
        for child in children
    ]


def add_history(rows: int, case_pks: list[int]) -> None:
    """Finished timer rows, one every eight minutes back from now (three years for 200,000),
    spread over the cases: what earlier stages' deadlines leave behind."""
    from django.db import connection
    from viewflow.workflow.fields import get_task_ref

    from cases.process.flow import PathwayFlow

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, scheduled,
                                       finished, token, external_task_id, process_id, data,
                                       owner_permission, owner_permission_obj_pk)
            SELECT %s, 'TIMER', CASE WHEN n %% 3 = 0 THEN 'DONE' ELSE 'CANCELED' END,
                   now() - make_interval(mins => n * 8), now() - make_interval(mins => n * 8),
                   now() - make_interval(mins => n * 8), 'start', '',
                   (%s::int[])[1 + n %% cardinality(%s::int[])], '{}', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [get_task_ref(PathwayFlow.work_stage__timeout), case_pks, case_pks, rows],
        )
        cursor.execute("ANALYZE viewflow_task")


def make_due(cases: list[Any]) -> None:
    from django.utils import timezone
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from cases.process.flow import PathwayFlow

    moved = Task.objects.filter(
        process_id__in=[case.pk for case in cases],
        flow_task=PathwayFlow.work_stage__timeout,
        status=STATUS.SCHEDULED,
    ).update(scheduled=timezone.now() - timedelta(minutes=5))
    assert moved == len(cases), (moved, len(cases))


def explain(sql: str, params: Any = ()) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def plans() -> tuple[str, str]:
    """The plans of `timer_lag`'s query, as it ran, and of the worker's claim."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from cases.process.timers import due_timers, timer_lag

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        timer_lag()
    (lag_query,) = captured.captured_queries
    claim = due_timers().select_for_update(skip_locked=True, of=("self",))[:1]
    with transaction.atomic():  # FOR UPDATE needs one; EXPLAIN ANALYZE takes the lock
        claim_plan = explain(*claim.query.sql_with_params())
    return explain(lag_query["sql"]), claim_plan


def as_serving_role():
    from django.db import connection

    @contextmanager
    def scope():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {SERVING_ROLE}")
        try:
            yield
        finally:
            with connection.connection.cursor() as cursor:
                cursor.execute("RESET ROLE")

    return scope()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.timers < 1 or args.rounds < 1:
        sys.exit("--timers and --rounds must be positive.")
    setup_django(benchmark="timers", database_name=args.database_name)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from cases.process.timers import run_pass, timer_lag

    with throwaway_database(args.database_name) as server:
        setup = create_people_and_pathway()
        started = time.perf_counter()
        cases = open_cases(args.timers * (args.rounds + 1), setup)
        print(f"Opened {len(cases)} cases in {time.perf_counter() - started:.1f} s.", flush=True)
        if args.history:
            add_history(args.history, [case.pk for case in cases])
        rls = serving_role_exists()
        per_timer: list[float] = []
        queries: list[float] = []
        with as_serving_role() if rls else nullcontext():
            for round_ in range(args.rounds):
                batch = cases[round_ * args.timers : (round_ + 1) * args.timers]
                make_due(batch)
                connection.queries_log.clear()  # a bounded deque: keep the capture whole
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    sweep = run_pass()
                took = time.perf_counter() - started
                queries.append(len(captured.captured_queries) / len(batch))
                sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
                assert sweep.fired == len(batch), sweep
                per_timer.append(took * 1000 / len(batch))
                print(
                    f"  round {round_ + 1}: {sweep.fired} timers in {took * 1000:.0f} ms "
                    f"({per_timer[-1]:.2f} ms per timer, {sql_ms / len(batch):.2f} ms in SQL)",
                    flush=True,
                )
            last = cases[args.rounds * args.timers :]
            make_due(last)
            lag_plan, claim_plan = plans()
            results: list[Any] = [None, None]

            def work(index: int) -> None:
                try:
                    if rls:
                        with as_serving_role():
                            results[index] = run_pass()
                    else:
                        results[index] = run_pass()
                finally:
                    connection.close()

            threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            two_workers = time.perf_counter() - started
            fired = [r.fired for r in results]
            assert sum(fired) == len(last), fired
            assert timer_lag() == 0.0
            assert not Task.objects.filter(status=STATUS.ERROR).exists()
        total = Task.objects.count()

    print(f"PostgreSQL {server}; viewflow_task holds {total} rows; serving role: {rls}.")
    print(
        f"One worker pass: median {statistics.median(per_timer):.2f} ms per timer over "
        f"{args.rounds} passes of {args.timers} (each timer its own committed transaction), "
        f"{statistics.median(queries):.1f} queries per timer."
    )
    print(
        f"Two workers at once: {len(last)} timers in {two_workers * 1000:.0f} ms, "
        f"split {fired[0]} + {fired[1]}, none twice."
    )
    print("timer_lag's query:\n" + lag_plan)
    print("The claim:\n" + claim_plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
