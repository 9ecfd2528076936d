"""Error reports through sentry-sdk carry nothing about a child.

A real Sentry client sends its envelopes over HTTP to a receiver on loopback (the DSN's
host), and the test reads what arrived. Invented children only.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory

from agencies.roles import Role
from config.logging import MESSAGE_WITHHELD
from config.observability import init_sentry, scrub_event
from tests.test_production_settings import run_manage

FIRST, LAST = "Thessaly", "Wraxworthy"
BORN = "2012-11-05"
IDENTIFIERS = (FIRST, LAST, BORN)
REQUEST_ID = "sentry-test-7"


class Receiver(ThreadingHTTPServer):
    """Keeps the body of every envelope POSTed to it, decompressed."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EnvelopeHandler)
        self.envelopes: list[bytes] = []
        self.arrived = threading.Condition()

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server_address[1]}/1"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.envelopes) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
            return list(self.envelopes)


class _EnvelopeHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        else:
            assert not encoding, f"unexpected Content-Encoding {encoding!r}"
        with self.server.arrived:
            self.server.envelopes.append(body)
            self.server.arrived.notify_all()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _stop_sentry() -> None:
    # Back to the SDK's non-recording client: no later test sends anywhere.
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def sentry(receiver: Receiver) -> Iterator[Receiver]:
    init_sentry(dsn=receiver.dsn, environment="test", traces_sample_rate=0.0)
    try:
        yield receiver
    finally:
        _stop_sentry()


def events_in(envelope: bytes) -> list[dict[str, Any]]:
    """The event items of an envelope (header line, then item header and payload lines)."""
    lines = envelope.split(b"\n")
    events = []
    for header, payload in zip(lines[1::2], lines[2::2], strict=False):
        if json.loads(header).get("type") == "event":
            events.append(json.loads(payload))
    return events


def crash(session_cookie: str) -> int:
    """A crash carrying the child in the query, the body, a header and a cookie, served by
    Django's WSGI handler as gunicorn calls it (where Sentry's WSGI middleware reads the URL,
    query string and headers; the test client would skip that)."""
    request = RequestFactory().post(
        f"/test-only/crash/?search={FIRST}+{LAST}&born={BORN}",
        json.dumps({"name": f"{FIRST} {LAST}", "date_of_birth": BORN}),
        content_type="application/json",
        HTTP_COOKIE=f"{session_cookie}; recent_search={FIRST}-{LAST}",
        HTTP_X_REQUEST_ID=REQUEST_ID,
        HTTP_REFERER=f"https://hsb.example.org/work/children/?q={FIRST}",
        HTTP_USER_AGENT="hsb-test",
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    # As django.test.Client does: a request must not close the test's connection (and with
    # it the transaction the test runs in).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = WSGIHandler()(request.environ, start_response)
        b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(statuses[0].split()[0])


def logged_in_cookie(make_user: Any) -> str:
    client = Client()
    client.force_login(make_user(Role.DSL))
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


@pytest.mark.django_db
@pytest.mark.urls("tests.observability_urls")
def test_a_crash_is_reported_without_the_child(sentry: Receiver, make_user) -> None:
    assert crash(logged_in_cookie(make_user)) == 500
    sentry_sdk.flush(timeout=5)

    envelopes = sentry.wait_for(1)
    events = [event for envelope in envelopes for event in events_in(envelope)]
    assert events, "no event reached the receiver"
    raw = b"\n".join(envelopes).decode()
    for identifier in IDENTIFIERS:
        assert identifier not in raw, f"{identifier!r} left in an error report"
    assert "sessionid" not in raw and "recent_search" not in raw
    (event,) = [e for e in events if "exception" in e]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert exception["value"] == MESSAGE_WITHHELD
    frames = exception["stacktrace"]["frames"]
    assert frames[-1]["function"] == "crash"
    assert not any("vars" in frame for frame in frames)
    assert event["tags"]["request_id"] == REQUEST_ID
    assert event["transaction"] == "/test-only/crash/"
    assert event["environment"] == "test"
    assert event["request"]["url"].endswith("/test-only/crash/")
    assert set(event["request"]["headers"]) <= {
        "Accept", "Content-Length", "Content-Type", "Host", "User-Agent", "X-Request-Id",
    }  # fmt: skip
    assert "user" not in event and "extra" not in event


@pytest.mark.django_db
@pytest.mark.urls("tests.observability_urls")
def test_without_the_scrubber_the_same_crash_would_carry_the_child(
    receiver: Receiver, make_user
) -> None:
    # What the test above guards against: the SDK's own defaults (no personal data asked for)
    # still send the exception's message, the query string and the Referer.
    sentry_sdk.init(dsn=receiver.dsn)
    try:
        assert crash(logged_in_cookie(make_user)) == 500
        sentry_sdk.flush(timeout=5)
    finally:
        _stop_sentry()

    raw = b"\n".join(receiver.wait_for(1)).decode()
    assert FIRST in raw and LAST in raw


def test_the_scrubber_keeps_only_allowlisted_fields() -> None:
    event: Any = {
        "event_id": "e1",
        "level": "error",
        "message": f"about {FIRST}",
        "logentry": {"message": "Internal Server Error: %s", "params": [f"/x?q={FIRST}"]},
        "extra": {"request": f"<WSGIRequest: GET '/x?q={FIRST}'>"},
        "user": {"id": 3, "username": "dsl"},
        "contexts": {"runtime": {"name": "CPython"}, "state": {"child": FIRST}},
        "request": {
            "url": f"http://h/x?q={FIRST}",
            "query_string": f"q={FIRST}",
            "data": {"name": FIRST},
            "cookies": {"sessionid": "s"},
            "env": {"REMOTE_ADDR": "192.0.2.1"},
            "headers": {"Referer": f"/children/?q={FIRST}", "User-Agent": "ua"},
        },
        "breadcrumbs": {
            "values": [
                {"category": "django.request", "message": f"Not Found: /x?q={FIRST}"},
                {"category": "query", "message": "SELECT 1", "data": {"db.params": [FIRST]}},
            ]
        },
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"Failing row contains ({FIRST}, {BORN})",
                    "stacktrace": {
                        "frames": [{"function": "save", "lineno": 3, "vars": {"name": FIRST}}]
                    },
                }
            ]
        },
    }

    scrubbed: Any = scrub_event(event, None)

    assert not any(identifier in json.dumps(scrubbed) for identifier in IDENTIFIERS)
    assert scrubbed["request"] == {"url": "http://h/x", "headers": {"User-Agent": "ua"}}
    assert scrubbed["logentry"] == {"message": "Internal Server Error: %s"}
    assert scrubbed["contexts"] == {"runtime": {"name": "CPython"}}
    assert scrubbed["exception"]["values"][0]["stacktrace"]["frames"] == [
        {"function": "save", "lineno": 3}
    ]
    assert [crumb.get("message") for crumb in scrubbed["breadcrumbs"]["values"]] == [
        "Not Found: /x?[query removed]",
        "SELECT 1",
    ]


def test_settings_start_the_client_only_when_a_dsn_is_set() -> None:
    show = (
        "import sentry_sdk; c = sentry_sdk.get_client(); "
        "print(c.is_active(), c.options.get('environment'), "
        "getattr(c.options.get('before_send'), '__qualname__', None))"
    )

    configured = run_manage(
        "shell",
        "-v0",
        "-c",
        show,
        SENTRY_DSN="http://public@127.0.0.1:9/1",
        SENTRY_ENVIRONMENT="staging",
    )
    unset = run_manage("shell", "-v0", "-c", show)

    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.split() == ["True", "staging", "scrub_event"]
    assert unset.stdout.split()[0] == "False"
