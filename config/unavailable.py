"""The database is unreachable: answer 503 with Retry-After, never a 500.

A PostgreSQL restart, failover or connection-limit refusal is an outage the client should
wait out and retry, not a crash. Only failures of the connection itself count: a lock the
app refused to wait for (55P03, `cases.process.flow.CaseRowLock` answers it as a 409 `CaseBusy`),
a statement timeout or a deadlock are the request's own trouble and keep their answers.

The connection left broken needs no handling here: Django marks it (`errors_occurred`) and
closes it when the request finishes, and `CONN_HEALTH_CHECKS` tests a persistent connection
before the next request uses it, so the next request reconnects.
"""

from __future__ import annotations

from django.db import connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 5
HEADERS = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
API_BODY = {
    "code": "service_unavailable",
    "detail": "The service is briefly unavailable; please try again in a moment.",
}
# PostgreSQL's SQLSTATEs for a connection that failed or was cut: class 08 (connection
# exception), the server shutting down or crashed (57P01, 57P02), starting up (57P03), and no
# connection slot left (53300).
CONNECTION_CLASS = "08"
CONNECTION_LOST = frozenset({"57P01", "57P02", "57P03", "53300"})
# How far along __cause__/__context__ to look for the database error under another exception.
CHAIN_LIMIT = 8


def _driver_errors() -> tuple[type[BaseException], ...]:
    """The PostgreSQL driver's own error classes, which carry the SQLSTATE: Django's
    wrappers hold them as `__cause__`, and anything raised outside Django's wrapping comes
    as one of them directly."""
    classes: list[type[BaseException]] = []
    for alias in connections:
        wrapper = connections[alias]  # a wrapper object only: nothing connects here
        if wrapper.vendor == "postgresql":
            driver = wrapper.Database  # type: ignore[attr-defined]  # each backend's DB-API module
            classes += [driver.OperationalError, driver.InterfaceError]
    return tuple(classes)


def _sqlstate(error: BaseException) -> str | None:
    # psycopg 3 names it `sqlstate`, psycopg2 `pgcode`; errors raised by the client library
    # itself (refused, reset, closed) have none.
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def _connection_failed(error: BaseException) -> bool:
    code = _sqlstate(error)
    return code is None or code.startswith(CONNECTION_CLASS) or code in CONNECTION_LOST


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or the error it was raised from) is a PostgreSQL connection failure.

    Django's wrapper (django.db.OperationalError) carries the driver's error, which holds the
    SQLSTATE, as __cause__. SQLite's errors never count: they have no SQLSTATE and are not
    outages.
    """
    driver_errors = _driver_errors()
    if not driver_errors:
        return False
    for _ in range(CHAIN_LIMIT):
        if exc is None:
            return False
        if isinstance(exc, driver_errors):
            return _connection_failed(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return False


def unavailable_response(*, api: bool) -> HttpResponse:
    """JSON under /api/, else a static page rendered without the request: no context
    processor runs, so nothing (the user menu, messages) asks the database again."""
    if api:
        return JsonResponse(API_BODY, status=503, headers=HEADERS)
    return HttpResponse(render_to_string("503.html"), status=503, headers=HEADERS)


def describe(exc: BaseException) -> str:
    """The error's class and SQLSTATE, for the log; never its message, which may quote a row
    (config/logging.py withholds messages for the same reason)."""
    driver_error = exc.__cause__ or exc
    return f"{type(driver_error).__name__}, SQLSTATE {_sqlstate(driver_error) or 'none'}"
