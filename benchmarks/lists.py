"""Case lists at scale: every list, every access path, two page sizes, timed as full requests.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python -m benchmarks.lists \\
        [--cases 100000] [--runs 10] [--explain]

Creates a throwaway database (`hsb_bench_lists`, dropped afterwards), writes `--cases` invented
cases over 20 areas with set-based SQL (`benchmarks.population`: leads, teams, grants,
stages, overdue and closed cases), VACUUMs and ANALYZEs, then requests each case list through
Django's test client (the whole request: middleware, session or token, the selector, the
serializer or template, the read's audit event) as the serving role `hsb_app` with the
user's area set, so row-level security applies as in production, with the connection's own
`jit` setting (the app asks for `jit = off`, config/settings/base.py).

For each access path (a user seeing one area's cases: as its lead, on its teams, through
grants, as its front door; its team manager and HSB coordinator too) and each list (the case
list API, my cases through the API and the page, the task inbox API, my tasks page, the
landing page's "next up"), at page sizes 25 and 100: the median of `--runs` requests, the
statements sent, the rows shown, and PASS/FAIL against 50 ms and 10 statements. The floor
is a trivial authenticated API request (the API root) through the same client, and every
median is also printed as a ratio to it. One line repeats the lead's case list with
`jit = on`, for contrast. `--explain` prints the plan of each list's slowest statement.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.harness import setup_django, throwaway_database

TARGET_MS = 50.0
TARGET_QUERIES = 10
PAGE_SIZES = (25, 100)
# (label, url, what the list is); the page size goes in `page_size`.
LISTS = (
    ("case list API", "/api/cases/", {}),
    ("my cases API", "/api/cases/", {"scope": "mine"}),
    ("task inbox API", "/api/cases/tasks/", {}),
    ("my cases page", "/work/cases/", {}),
    ("my tasks page", "/work/tasks/", {}),
)
LANDING = ("landing page", "/work/", {})
FLOOR = "/api/"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--explain", action="store_true", help="Print each list's slowest plan.")
    parser.add_argument(
        "--paths",
        default="lead,team,grants,area,manager,coordinator",
        help="Access paths to time (comma-separated).",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PATH:URL",
        help="Profile one request (cProfile, 20 runs) instead of the table, e.g. "
        "coordinator:/work/cases/?page_size=100; repeatable.",
    )
    parser.add_argument(
        "--database-name",
        default="hsb_bench_lists",
        help="Throwaway database (created, then dropped).",
    )
    return parser.parse_args(argv)


class Statements:
    """Counts the statements a request sends and keeps the slowest (for its plan)."""

    def __init__(self) -> None:
        self.count = 0
        self.slowest: tuple[float, str, Any] = (0.0, "", None)

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            if took > self.slowest[0]:
                self.slowest = (took, sql, params)


SERVING_ROLE = "hsb_app"


@contextmanager
def serving_role() -> Iterator[bool]:
    """The connection as production's: the serving role, which row-level security binds
    (each request's middleware sets the area). False when the server has no such role."""
    from django.db import connection

    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [SERVING_ROLE])
        exists = cursor.fetchone() is not None
        if exists:
            cursor.execute(f"SET ROLE {SERVING_ROLE}")
    try:
        yield exists
    finally:
        with connection.connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def time_list(client: Any, url: str, params: dict[str, Any], runs: int) -> dict[str, Any]:
    from django.db import connection

    for _ in range(2):  # warm: the first request of a client loads its session and caches
        response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
    timings = []
    cpu = []
    statements = Statements()
    for _ in range(runs):
        statements = Statements()
        with connection.execute_wrapper(statements):
            started = time.perf_counter()
            cpu_started = time.process_time()
            response = client.get(url, params)
            cpu.append(time.process_time() - cpu_started)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, params, response.status_code)
    return {
        "ms": statistics.median(timings) * 1000,
        # This process's CPU (the Django side, not PostgreSQL's): steadier than the wall
        # clock on a shared machine.
        "cpu": statistics.median(cpu) * 1000,
        "queries": statements.count,
        "rows": _rows(response),
        "slowest": statements.slowest,
    }


def _rows(response: Any) -> int:
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            return len(body.get("results", []))
        return len(body)
    # Each row of the case table links its child's case page.
    return response.content.decode().count('<td><a href="/work/cases/')


def explain(user: Any, slowest: tuple[float, str, Any]) -> list[str]:
    from django.db import connection

    from agencies.db_context import area_context

    _, sql, params = slowest
    if not sql:
        return []
    with area_context(None, agency_id=user.agency_id), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def commit_baseline(runs: int) -> float:
    """The median of a bare one-row INSERT and COMMIT (ms): what the read's audit event costs
    at least, since every list commits one (durable settings: the WAL is flushed)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        # A logged table (a temporary one writes no WAL, so its commit would flush nothing).
        cursor.execute("CREATE TABLE bench_commit (id serial, at timestamptz)")
    raw.autocommit = False
    timings = []
    try:
        with raw.cursor() as cursor:
            for _ in range(runs):
                started = time.perf_counter()
                cursor.execute("INSERT INTO bench_commit (at) VALUES (now())")
                raw.commit()
                timings.append(time.perf_counter() - started)
    finally:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("DROP TABLE bench_commit")
    return statistics.median(timings) * 1000


def profile(client: Any, url: str, runs: int = 20) -> None:
    """Where one request's time goes: cProfile over `runs` requests, by own and by total time."""
    import cProfile
    import pstats

    path, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    time_list(client, path, params, 1)  # warm
    from django.db import connection

    sent: list[tuple[float, str]] = []

    def log(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, *rest)
        finally:
            sent.append(((time.perf_counter() - started) * 1000, sql))

    with connection.execute_wrapper(log):
        client.get(path, params)
    for took, sql in sent:
        print(f"  {took:6.2f} ms  {sql[:400]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(path, params)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    stats.print_callees(
        r"reads.py:\d+\(list\)|views.py:\d+\(_audited_case_list\)|views.py:\d+\(landing\)|pagination.py:\d+\(\w+\)|selectors.py"
    )


def visible_counts(paths: dict[str, Any]) -> dict[str, int]:
    from agencies.db_context import area_context
    from cases.selectors import cases_visible_to

    counts = {}
    for key, user in paths.items():
        with area_context(None, agency_id=user.agency_id):
            counts[key] = cases_visible_to(user).count()
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cases < 20 or args.runs < 1:
        sys.exit("--cases must be at least 20 and --runs positive.")
    setup_django(benchmark="lists", database_name=args.database_name)
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per login otherwise
    from django.db import connection

    from benchmarks.population import populate

    wanted = [path.strip() for path in args.paths.split(",") if path.strip()]
    results: list[dict[str, Any]] = []
    with throwaway_database(args.database_name) as server:
        started = time.perf_counter()
        world = populate(args.cases)
        print(
            f"Wrote {args.cases} cases over 20 areas in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{n} {table}" for table, n in world["counts"].items()),
            flush=True,
        )
        paths = {key: world["paths"][key] for key in wanted}
        clients = {key: _client(user) for key, user in paths.items()}
        commit_ms = commit_baseline(args.runs * 5)
        with serving_role() as rls:
            with connection.cursor() as cursor:
                cursor.execute("SHOW jit")
                jit = cursor.fetchone()[0]
            seen = visible_counts(paths)
            print(
                f"PostgreSQL {server}; "
                + ("serving role hsb_app, row-level security on" if rls else "as the owner")
                + f"; jit = {jit}; {args.runs} timed requests per figure.",
                flush=True,
            )
            print(
                "Cases each path's user may see: " + ", ".join(f"{k} {n}" for k, n in seen.items())
            )
            if args.profile:
                for target in args.profile:
                    key, _, url = target.partition(":")
                    print(f"--- profile: {key} {url}", flush=True)
                    profile(clients[key], url)
                return 0
            floor = time_list(clients[wanted[0]], FLOOR, {}, args.runs * 3)
            print(
                f"floor (GET {FLOOR}, same client): {floor['ms']:.1f} ms "
                f"({floor['cpu']:.1f} ms CPU), {floor['queries']} statements"
            )
            print(
                f"bare INSERT + COMMIT (the least a read's audit event costs): {commit_ms:.1f} ms"
            )
            print()
            header = ("path", "list", "size", "rows", "ms", "x floor", "cpu ms", "stmts")
            print("{:<12} {:<16} {:>4} {:>4} {:>7} {:>7} {:>6} {:>5}  verdict".format(*header))
            for key in wanted:
                for label, url, params in (*LISTS, LANDING):
                    sizes = (None,) if url == LANDING[1] else PAGE_SIZES
                    for size in sizes:
                        query = {**params, **({"page_size": size} if size else {})}
                        figure = time_list(clients[key], url, query, args.runs)
                        ok = figure["ms"] <= TARGET_MS and figure["queries"] <= TARGET_QUERIES
                        results.append(
                            {"path": key, "list": label, "size": size, "ok": ok, **figure}
                        )
                        print(
                            f"{key:<12} {label:<16} {size or '-':>4} {figure['rows']:>4} "
                            f"{figure['ms']:>7.1f} {figure['ms'] / floor['ms']:>7.1f} "
                            f"{figure['cpu']:>6.1f} {figure['queries']:>5}  "
                            f"{'PASS' if ok else 'FAIL'}",
                            flush=True,
                        )
                        if args.explain and size in (PAGE_SIZES[0], None):
                            for line in explain(paths[key], figure["slowest"]):
                                print("      " + line)
            # Contrast: the same list with JIT compiling, as PostgreSQL's default would.
            contrast = wanted[0]
            with connection.cursor() as cursor:
                cursor.execute("SET jit = on")
            try:
                on = time_list(clients[contrast], "/api/cases/", {"page_size": 25}, args.runs)
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET jit")
            print(
                f"contrast: {contrast} case list API, 25 a page, jit = on: {on['ms']:.1f} ms, "
                f"{on['queries']} statements"
            )
    failed = [r for r in results if not r["ok"]]
    worst = max(results, key=lambda r: r["ms"])
    most = max(results, key=lambda r: r["queries"])
    print(
        f"slowest: {worst['path']} {worst['list']} {worst['size'] or '-'}: {worst['ms']:.1f} ms; "
        f"most statements: {most['path']} {most['list']}: {most['queries']}"
    )
    verdict = "FAIL" if failed else "PASS"
    print(
        f"{verdict}: {len(results) - len(failed)} of {len(results)} lists within "
        f"{TARGET_MS:.0f} ms and {TARGET_QUERIES} statements"
    )
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
