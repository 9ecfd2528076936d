"""PostgreSQL settings for the dashboard's aggregate reads, and its figures computed in two
lanes (two connections) at once."""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

T = TypeVar("T")
R = TypeVar("R")


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


# --- two lanes ------------------------------------------------------------------------------
# An uncached dashboard is a dozen aggregate queries of 50-350 ms each, one after another on
# one connection: one core of the server busy, the other idle. PostgreSQL's own parallel
# workers did not help (each rebuilt the hashed sets, above), so the figures are shared out
# between the request's connection and a second one, opened by a thread for the length of
# the computation: on a two-core server an uncached dashboard takes about 60% as long.
# A batch that several figures share (`memo`) is computed once, by whichever lane asks
# first; the other lane puts a figure that needs it aside and comes back to it after its
# other work, waiting then if it must. Each lane reads in its own transaction, as the
# statements of one lane already each read their own snapshot. Only outside a transaction
# (a request, the worker): inside one, a second connection would not see its uncommitted
# rows, so one lane computes everything (as in the tests' rolled-back transactions).

_SHARED = "__lanes__"  # the memo key holding the lanes' shared state


class Deferred(Exception):
    """The other lane is computing a result this figure needs: put the figure aside."""


@dataclass
class _Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: dict[str, threading.Event] = field(default_factory=dict)


_lane = threading.local()


def shared_result(memo: dict[str, Any], key: str, compute: Callable[[], Any]) -> Any:
    """`memo[key]`, computed once: by this lane, or by the other, which it waits for (or, in
    a lane's first pass over its work, raises `Deferred` rather than waiting)."""
    if key in memo:
        return memo[key]
    shared: _Shared | None = memo.get(_SHARED)
    if shared is None:  # one lane
        memo[key] = compute()
        return memo[key]
    while True:
        with shared.lock:
            if key in memo:
                return memo[key]
            running = shared.running.get(key)
            if running is None:
                running = shared.running[key] = threading.Event()
                break
        if getattr(_lane, "may_defer", False):
            raise Deferred(key)
        running.wait()  # then the result is there, or the other lane failed: compute it here
    try:
        memo[key] = result = compute()
        return result
    finally:
        with shared.lock:
            del shared.running[key]
        running.set()


def lanes_available() -> int:
    """2 on PostgreSQL outside a transaction when `DASHBOARD_LANES` allows; else 1."""
    wanted = int(getattr(settings, "DASHBOARD_LANES", 2))
    db = connections[DEFAULT_DB_ALIAS]
    if wanted < 2 or db.vendor != "postgresql" or db.in_atomic_block:
        return 1
    return 2


def computed_in_lanes(
    memo: dict[str, Any], items: Sequence[T], compute: Callable[[T], R]
) -> list[R]:
    """`[compute(item) for item in items]` under `analytic_reads`, shared out between this
    connection and a second one when `lanes_available` (results in the items' order)."""
    if lanes_available() < 2 or len(items) < 2:
        with analytic_reads():
            return [compute(item) for item in items]
    results: dict[int, R] = {}
    queue = deque(enumerate(items))
    taking = threading.Lock()
    failures: list[BaseException] = []

    def lane() -> None:
        put_aside: list[tuple[int, T]] = []
        _lane.may_defer = True
        try:
            while True:
                with taking:
                    if not queue:
                        break
                    index, item = queue.popleft()
                try:
                    results[index] = compute(item)
                except Deferred:
                    put_aside.append((index, item))
        finally:
            _lane.may_defer = False
        for index, item in put_aside:
            results[index] = compute(item)

    def second_lane() -> None:
        try:
            with analytic_reads():
                lane()
        except BaseException as error:  # raised in the request's thread below
            failures.append(error)
            queue.clear()  # nothing more for either lane
        finally:
            connections.close_all()  # this thread's connection only

    memo[_SHARED] = _Shared()
    # The thread copies the request's context: the area row-level security reads is set on
    # the new connection when it opens (agencies.db_context).
    thread = threading.Thread(target=contextvars.copy_context().run, args=(second_lane,))
    thread.start()
    try:
        with analytic_reads():
            lane()
    finally:
        thread.join()
        del memo[_SHARED]
    if failures:
        raise failures[0]
    return [results[index] for index in range(len(items))]
