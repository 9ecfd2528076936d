"""PostgreSQL settings for the dashboard's aggregate reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def analytic_reads() -> Iterator[None]:
    """The dashboard's aggregate reads, tuned for PostgreSQL in one transaction: no JIT
    compilation (compiling each query cost about 50 ms, more than it saved, on 100,000
    cases); enough memory to hash the case-id sets the figures test membership of; and no
    parallel workers, which each rebuilt those hashed sets and made the dozen medium-sized
    queries slower, not faster (benchmarks/dashboard.py)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; "
            "SET LOCAL max_parallel_workers_per_gather = 0"
        )
        yield
