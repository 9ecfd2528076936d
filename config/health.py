"""`/healthz` and `/readyz`, answered by the first middleware before anything else runs.

- `/healthz` (liveness): the process answers. No database access, so a database outage never
  makes an orchestrator restart healthy web processes.
- `/readyz` (readiness): the database answers a trivial query within `CHECK_TIMEOUT_MS`, no
  migration is unapplied, and the oldest due workflow timer has waited at most
  `READY_MAX_TIMER_LAG_SECONDS` (0 turns that check off). 503 with the failed checks
  otherwise.

Answering from the first middleware, rather than from a route, is the point: no other
middleware runs, so a probe sets no session or CSRF cookie, writes no audit event, needs no
area context, and touches the database only in `/readyz`'s own checks. It also skips the
two checks a probe inside the network cannot pass: Host validation (Kubernetes probes send
the pod's address as Host, which ALLOWED_HOSTS rightly refuses) and the HTTPS redirect (a
probe speaks plain HTTP to gunicorn). Neither protects anything here: the answers build no
URL from the Host and carry no cookie or record, only check names, "ok"/"failed" and the
timer lag in seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from cases.process.timers import timer_lag

from .unavailable import HEADERS, describe

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# Each readiness query's statement timeout: a probe that waits longer than its own timeout
# (Kubernetes' default is 1 s) learns nothing, and must not pile up behind a stuck database.
CHECK_TIMEOUT_MS = 900
OK, FAILED, SKIPPED = "ok", "failed", "skipped"

logger = logging.getLogger(__name__)

_migrations_known_applied = False


class HealthCheckMiddleware:
    """First in MIDDLEWARE: answers the two probe paths, passes every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == HEALTH_PATH:
            answer = healthz
        elif path == READY_PATH:
            answer = readyz
        else:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = answer()
        response["Cache-Control"] = "no-store"
        return response


def healthz() -> HttpResponse:
    return JsonResponse({"status": OK})


def readyz() -> HttpResponse:
    checks: dict[str, str] = {}
    body: dict[str, Any] = {"checks": checks}
    checks["database"] = _check("database", _database_answers)
    if checks["database"] != OK:
        checks["migrations"] = checks["timers"] = SKIPPED
    else:
        checks["migrations"] = _check("migrations", _migrations_applied)
        checks["timers"] = _check("timers", partial(_timers_on_time, body))
    failed = [name for name, result in checks.items() if result != OK]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, **body}, status=503, headers=HEADERS
        )
    return JsonResponse({"status": OK, **body})


def _check(name: str, check: Callable[[], bool]) -> str:
    """Run one check in its own short transaction with a statement timeout (SET LOCAL ends
    with it, so the persistent connection keeps no limit); a database error fails it."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = %s", [CHECK_TIMEOUT_MS])
            return OK if check() else FAILED
    except Error as error:
        # Django closes a connection left broken when the request finishes.
        logger.warning("readiness check %s failed: %s", name, describe(error))
        return FAILED


def _database_answers() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _migrations_applied() -> bool:
    """What `migrate --check` asks. Loading the migration graph costs a few queries and
    milliseconds, so once everything is applied this process stops asking: migrations are
    applied before a release's processes start, never taken back under them."""
    global _migrations_known_applied
    if not _migrations_known_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrations_known_applied = not plan
    return _migrations_known_applied


def _timers_on_time(body: dict[str, Any]) -> bool:
    """A growing lag means no worker fires timers: overdue stages go unflagged. The lag goes
    into the answer's body. viewflow's task table has no row-level security: the lag is the
    installation's, whatever area context the connection carries."""
    limit = settings.READY_MAX_TIMER_LAG_SECONDS
    if not limit:
        return True
    lag = timer_lag()
    body["timer_lag_seconds"] = round(lag, 1)
    return lag <= limit
