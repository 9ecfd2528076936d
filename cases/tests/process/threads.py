"""Run calls in separate threads, and so separate database connections, for the lock tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction


def run_at_once(*calls: Callable[[], object], timeout: float = 60) -> list[object]:
    """Run each call in its own thread and connection, released together; collect outcomes.

    An exception a call raises is its outcome. Waits up to `timeout` seconds for each thread.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@contextmanager
def held_in_another_connection(take: Callable[[], object]) -> Iterator[None]:
    """Call `take` in a transaction of another connection (a thread) and keep that transaction,
    with the locks it took, open for the block."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                take()
                taken.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(timeout=10), "the other connection did not get its lock"
        yield
    finally:
        release.set()
        holder.join(timeout=30)
