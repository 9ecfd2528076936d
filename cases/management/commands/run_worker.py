"""The worker process: fires due workflow timers (stage deadlines) every few seconds.

Safe to run as several replicas: each timer is claimed with SKIP LOCKED, so replicas split
the due timers and none is fired twice (`cases.process.timers`). viewflow's `workflow_timers`
still works for a one-off sweep by hand.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connections

from audit.context import bound_request_id
from cases.process.timers import run_pass, timer_lag

logger = logging.getLogger("pathways.worker")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = (
        "Fire due workflow timers (flag overdue stages and escalate them) every --every "
        "seconds until SIGTERM or SIGINT; --once for a single pass. Safe to run as several "
        "replicas."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            default=None,
            help="Seconds between passes (default: the WORKER_INTERVAL_SECONDS setting).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Run one pass and exit (1 if it failed)."
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=100,
            help="Timers claimed per sweep within a pass (default 100).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every is None:
            every = float(settings.WORKER_INTERVAL_SECONDS)
        if every <= 0 or options["batch"] <= 0:
            raise CommandError("--every and --batch must be positive")
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Only sets a flag: the timer being fired finishes and commits, then the loop
            # ends; the wait between passes wakes at once.
            logger.info("worker: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
        try:
            if options["once"]:
                if not self.run_one_pass(batch=options["batch"], should_stop=stop.is_set):
                    raise CommandError("the pass could not run; see the log")
                return
            logger.info("worker: started, a pass every %g s", every)
            while not stop.is_set():
                self.run_one_pass(batch=options["batch"], should_stop=stop.is_set)
                stop.wait(every)
            logger.info("worker: stopped")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def run_one_pass(self, *, batch: int, should_stop: Callable[[], bool]) -> bool:
        """One pass; False if it could not run. Never raises: a long-running worker must outlive a
        database restart or a bug in one pass, and try again on the next."""
        # A connection broken by an outage or past CONN_MAX_AGE is dropped here, so the
        # pass reconnects instead of failing again on a dead socket.
        close_old_connections()
        # One id per pass on its log lines and on the audit events it writes, as a request's.
        with bound_request_id():
            return self._pass(batch=batch, should_stop=should_stop)

    def _pass(self, *, batch: int, should_stop: Callable[[], bool]) -> bool:
        try:
            sweep = run_pass(batch=batch, should_stop=should_stop)
        except (OperationalError, InterfaceError) as error:
            # Connection-level errors (refused, reset, closed): the message names the server,
            # never a row.
            logger.warning("worker: database unavailable, retrying next pass: %s", error)
            connections.close_all()
            return False
        except Exception:
            logger.exception("worker: the pass failed, retrying next pass")
            connections.close_all()
            return False
        if sweep.claimed:
            # Counts only: the log never carries a child's details. The lag after the pass
            # is what still waits (busy or failed timers).
            logger.info(
                "worker: fired %d timer(s); %d busy, %d failed, %d orphaned; lag %.0f s",
                sweep.fired,
                sweep.busy,
                sweep.failed,
                sweep.orphaned,
                _lag_or_nan(),
            )
        return True


def _lag_or_nan() -> float:
    try:
        return timer_lag()
    except (OperationalError, InterfaceError):
        return float("nan")
