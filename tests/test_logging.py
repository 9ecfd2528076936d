"""Log lines: JSON with a request id, and no child's name or date of birth in any of them.

The output is captured through the project's own logging configuration
(`config.logging.logging_config`, as LOGGING and gunicorn use it) with its handler writing to
a buffer, so what is asserted is what a log shipper would receive. Invented children only.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from audit.context import bound_request_id, current_request_context, request_id_from
from cases.tests.factories import referral_payload
from config.logging import MESSAGE_WITHHELD, QUERY_REMOVED, logging_config
from tests.test_production_settings import run_manage

# An invented child, with a name no fixture or pathway text contains.
FIRST, LAST = "Zephyrine", "Quillfeather"
BORN = datetime.date(2014, 3, 17)
IDENTIFIERS = (FIRST, LAST, BORN.isoformat(), BORN.strftime("%d/%m/%Y"))
SEARCH = f"search={FIRST}+{LAST}&born={BORN.isoformat()}"

JSON_FIELDS = {"timestamp", "level", "logger", "message", "request_id"}
OPTIONAL_FIELDS = {"status_code", "exc_info", "stack_info"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The project's logging with LOG_FORMAT=json, its one handler writing to a buffer."""
    buffer = io.StringIO()
    config = logging_config(log_format="json", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    root = logging.getLogger()
    pytest_handlers = [h for h in root.handlers if type(h).__module__.startswith("_pytest")]
    logging.config.dictConfig(config)
    # dictConfig replaced the root's handlers; pytest's (caplog) go back in front, so they
    # see each record as it was logged, before the project's filters.
    root.handlers[:0] = pytest_handlers
    try:
        yield buffer
    finally:
        logging.config.dictConfig(settings.LOGGING)
        root.handlers[:0] = pytest_handlers


def lines_of(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def assert_no_identifiers(text: str) -> None:
    lowered = text.lower()
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in lowered, f"{identifier!r} reached the log"


# --- request ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["req-42", "edge.proxy_7", "A" * 64])
def test_a_safe_inbound_request_id_is_kept(header: str) -> None:
    assert request_id_from(header) == header


@pytest.mark.parametrize(
    "header",
    [
        "",
        "A" * 65,
        "abc\nFAKE log line",
        'x" level="CRITICAL',
        f"{FIRST} {LAST}",
        "caf\u00e9",
    ],
)
def test_an_unsafe_inbound_request_id_is_replaced_by_a_new_one(header: str) -> None:
    request_id = request_id_from(header)

    assert request_id != header
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)


@pytest.mark.django_db
def test_the_response_carries_the_id_the_request_was_logged_under(client, json_log) -> None:
    response = client.get("/api/no-such-endpoint/", HTTP_X_REQUEST_ID="line\nbreak")

    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    (line,) = [line for line in lines_of(json_log) if line["logger"] == "django.request"]
    assert line["request_id"] == request_id
    assert line["status_code"] == 404


@pytest.mark.django_db
def test_a_refusal_by_an_early_middleware_is_logged_under_the_request_id(
    json_log, settings
) -> None:
    # CommonMiddleware refuses the Host before the session, auth or audit middleware run,
    # yet its line carries the id the response goes out with.
    settings.ALLOWED_HOSTS = ["hsb.example.org"]

    response = Client(HTTP_HOST="attacker.example").get(f"/accounts/login/?next={LAST}")

    assert response.status_code == 400
    (line,) = [
        line for line in lines_of(json_log) if line["logger"] == "django.security.DisallowedHost"
    ]
    assert line["request_id"] == response["X-Request-ID"] != ""
    assert_no_identifiers(json_log.getvalue())


def test_work_outside_a_request_can_bind_its_own_id(json_log) -> None:
    with bound_request_id() as request_id:
        logging.getLogger("pathways.worker").info("fired %d timers", 3)
        assert current_request_context().request_id == request_id
    logging.getLogger("pathways.worker").info("idle")

    first, second = lines_of(json_log)
    assert first["request_id"] == request_id and first["message"] == "fired 3 timers"
    assert second["request_id"] == ""


# --- the formats ----------------------------------------------------------------------------


def test_a_json_line_has_the_fixed_fields_and_no_extras(json_log) -> None:
    logging.getLogger("cases").warning(
        "slow %s", "intake", extra={"child_name": f"{FIRST} {LAST}", "status_code": 503}
    )

    (line,) = lines_of(json_log)
    assert set(line) == JSON_FIELDS | {"status_code"}
    assert line["level"] == "WARNING" and line["logger"] == "cases"
    assert line["message"] == "slow intake"
    assert datetime.datetime.fromisoformat(line["timestamp"]).tzinfo is not None
    assert_no_identifiers(json_log.getvalue())


def test_the_text_format_carries_the_request_id_too() -> None:
    buffer = io.StringIO()
    config = logging_config(log_format="text", level="INFO")
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    try:
        with bound_request_id("job-7"):
            logging.getLogger("audit").info("sealed %s?q=%s", "/x", LAST)
    finally:
        logging.config.dictConfig(settings.LOGGING)

    assert "[job-7] sealed /x" + QUERY_REMOVED in buffer.getvalue()
    assert LAST not in buffer.getvalue()


def test_an_unknown_log_format_is_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        logging_config(log_format="yaml")


def test_gunicorn_lines_lose_their_query_strings_and_keep_the_request_id(json_log) -> None:
    # The shapes gunicorn logs: its "Error handling request" line names the raw URL, and an
    # access line's args are its atoms (the request id being the response header).
    try:
        raise ValueError(f"{FIRST} {LAST}")
    except ValueError:
        logging.getLogger("gunicorn.error").exception(
            "Error handling request %s", f"/api/cases/?{SEARCH}"
        )
    logging.getLogger("gunicorn.access").info(
        '"%(r)s" %(s)s', {"r": f"GET /api/cases/?{SEARCH} HTTP/1.1", "s": "200",
                          "{x-request-id}o": "proxy-9"}
    )  # fmt: skip

    error, access = lines_of(json_log)
    assert error["message"] == f"Error handling request /api/cases/{QUERY_REMOVED}"
    assert error["exc_info"].endswith(f"ValueError: {MESSAGE_WITHHELD}")
    assert access["message"] == f'"GET /api/cases/{QUERY_REMOVED} HTTP/1.1" 200'
    assert access["request_id"] == "proxy-9"
    assert_no_identifiers(json_log.getvalue())


# --- a journey: nothing about the child reaches the log --------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.observability_urls")
def test_a_referral_journey_logs_no_child_identifiers(
    default_version, make_user, json_log, caplog
) -> None:
    caplog.set_level(logging.INFO)
    dsl = make_user(Role.DSL)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(dsl)
    anonymous = APIClient(raise_request_exception=False)

    created = client.post(
        reverse("api:cases:referral-list"),
        referral_payload(
            first_name=FIRST,
            last_name=LAST,
            date_of_birth=BORN.isoformat(),
            gender="girl",
            description=f"Invented referral about {FIRST}, seen in the playground.",
        ),
        format="json",
    )
    assert created.status_code == 201, created.json()
    case_id = created.json()["children"][0]["case_id"]
    responses = [
        created,
        # A search and a look-up carrying the child's name in the query string.
        client.get(f"/api/cases/{case_id + 10_000}/?{SEARCH}"),
        anonymous.get(f"/api/cases/?{SEARCH}"),
        client.get(f"/api/cases/no-such-page/?{SEARCH}"),
        # A body naming the child that fails validation.
        client.post(
            reverse("api:cases:referral-duplicates"),
            {"first_name": FIRST, "last_name": LAST, "date_of_birth": "17/03/2014"},
            format="json",
        ),
        # A crash whose exception quotes the child, as a database error quotes its row.
        client.post(f"/test-only/crash/?{SEARCH}", {"name": f"{FIRST} {LAST}"}, format="json"),
    ]
    assert [r.status_code for r in responses] == [201, 404, 401, 404, 400, 500]

    output = json_log.getvalue()
    lines = lines_of(json_log)
    request_lines = [line for line in lines if line["logger"] == "django.request"]
    assert len(request_lines) == 5
    for line in lines:
        assert JSON_FIELDS <= set(line) <= JSON_FIELDS | OPTIONAL_FIELDS
    # Each request's line carries the id its response was sent with.
    sent_ids = {r["X-Request-ID"] for r in responses[1:]}
    assert {line["request_id"] for line in request_lines} == sent_ids
    crash = next(line for line in request_lines if line["status_code"] == 500)
    assert crash["message"] == "Internal Server Error: /test-only/crash/"
    assert "Traceback (most recent call last)" in crash["exc_info"]
    assert crash["exc_info"].endswith(f"ValueError: {MESSAGE_WITHHELD}")
    assert_no_identifiers(output)
    # Not vacuous: the records handed to logging did carry the child (the request's repr holds
    # its query, the exception its message); the configured handler is what left them out.
    raw = " ".join(
        f"{record.getMessage()} {getattr(record, 'request', '')!r} {record.exc_info!r}"
        for record in caplog.records
    )
    assert FIRST in raw and LAST in raw


def test_production_logs_json_by_default_and_text_on_request() -> None:
    show = (
        "from django.conf import settings; "
        "print(settings.LOG_FORMAT, settings.LOGGING['handlers']['console']['formatter'])"
    )

    assert run_manage("shell", "-v0", "-c", show).stdout.split() == ["json", "json"]
    assert run_manage("shell", "-v0", "-c", show, LOG_FORMAT="text").stdout.split() == [
        "text",
        "text",
    ]
    refused = run_manage("check", LOG_FORMAT="yaml")
    assert refused.returncode != 0 and "LOG_FORMAT" in refused.stderr
