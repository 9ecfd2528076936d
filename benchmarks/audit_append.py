"""Audited writes from many clients at once: does the audit trail serialise them?

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python -m benchmarks.audit_append \\
        [--clients 1,8,32] [--seconds 5]

Each client (a thread with its own connection) loops over short transactions: one UPDATE of
its own row in a scratch table (the change) and one `audit.services.record_event` (its
event), then COMMIT. No two clients touch the same row, so any waiting is the audit trail's.
For each client count it prints committed transactions per second and how many sessions were
waiting on a lock, on average, sampled from pg_stat_activity every 20 ms. When the sealer
exists (audit.sealing) it runs every 0.5 s throughout, as the worker would.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import threading
import time
from typing import Any

from benchmarks.harness import sample_lock_waiters, setup_django, throwaway_database


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--database-name", default="hsb_bench_audit")
    return parser.parse_args(argv)


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None


def run_clients(count: int, seconds: float, area: Any) -> dict[str, float]:
    from django.db import connection, connections, transaction

    from audit.services import record_event

    # None on a tree from before seals (to measure it the same way): no sealer to run.
    seal_pending_events = _optional("audit.sealing", "seal_pending_events")

    stop = threading.Event()
    start = threading.Barrier(count + 1)
    done: list[int] = []
    errors: list[BaseException] = []
    waiting: list[int] = []

    def client(n: int) -> None:
        committed = 0
        try:
            start.wait()
            while not stop.is_set():
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "UPDATE bench_audit_rows SET counter = counter + 1 WHERE id = %s",
                            [n],
                        )
                    record_event(actor=None, action="bench.write", target=area, changes={"n": n})
                committed += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.append(committed)
            connections.close_all()

    def sealer() -> None:
        try:
            while not stop.is_set():
                if seal_pending_events is not None:
                    seal_pending_events()
                stop.wait(0.5)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(1, count + 1)]
    helpers = [
        threading.Thread(target=sample_lock_waiters, args=(stop, waiting)),
        threading.Thread(target=sealer),
    ]
    for thread in threads + helpers:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads + helpers:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return {
        "per_second": sum(done) / elapsed,
        "waiting": statistics.fmean(waiting) if waiting else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django(benchmark="audit_append", database_name=args.database_name)
    counts = [int(part) for part in args.clients.split(",") if part.strip()]

    with throwaway_database(args.database_name) as server:
        from django.db import connection

        from agencies.models import LocalArea

        area = LocalArea.objects.create(name="Benchmark area (invented)")
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_audit_rows (id integer PRIMARY KEY, counter integer NOT NULL)"
            )
            cursor.execute(
                "INSERT INTO bench_audit_rows SELECT n, 0 FROM generate_series(1, %s) AS n",
                [max(counts)],
            )
        results = {count: run_clients(count, args.seconds, area) for count in counts}
        verify_trail = _optional("audit.verification", "verify_trail")
        if verify_trail is not None:
            _optional("audit.sealing", "seal_pending_events")()
            report = verify_trail(check_anchor=False)
            print(
                f"verify: {report.events} events, {report.seals} seals, "
                f"{len(report.problems)} problems, {report.pending} awaiting their seal"
            )

    print(f"PostgreSQL {server}; {args.seconds:.0f} s per client count.")
    single = results[counts[0]]["per_second"]
    for count, result in results.items():
        print(
            f"{count:>3} clients   {result['per_second']:7.0f} audited transactions/s   "
            f"{result['per_second'] / single:4.2f}x one client   "
            f"{result['waiting']:5.2f} sessions waiting on a lock (mean)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
