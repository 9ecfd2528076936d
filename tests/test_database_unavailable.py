"""The database unreachable: 503 with Retry-After, never a 500 (config/unavailable.py).

No mocks: the default connection is pointed at a loopback port where nothing listens (the
server down), or its backend is ended with pg_terminate_backend (a restart under an open
connection), and real PostgreSQL errors are classified. Transactional tests: the test's own
connection is closed and reopened.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socket import socket

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from knox.models import AuthToken

from cases.tests.process.threads import held_in_another_connection
from config.exceptions import api_exception_handler
from config.unavailable import database_unavailable

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server"),
]

UNAVAILABLE_PAGE_TEXT = "Service unavailable, please try again in a moment"
API_BODY = {
    "code": "service_unavailable",
    "detail": "The service is briefly unavailable; please try again in a moment.",
}


@contextmanager
def database_down() -> Iterator[None]:
    """The default connection dialled at a loopback port that is bound but not listening:
    every connection attempt is refused at once, as with the server stopped. Holding the
    port keeps any other process from listening there meanwhile."""
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    with socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", placeholder.getsockname()[1]
        try:
            yield
        finally:
            connection.close()
            settings_dict["HOST"], settings_dict["PORT"] = saved


def cut_connection() -> None:
    """End this thread's database session from another session (as a restart does), and wait
    until the server has let it go. Django's connection object still holds the dead socket."""
    connection.ensure_connection()
    pid = connection.connection.get_backend_pid()
    failure: list[BaseException] = []

    def terminate() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                for _ in range(500):
                    cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                    if cursor.fetchone() is None:
                        return
                failure.append(AssertionError(f"backend {pid} still running"))
        except BaseException as error:  # reported in the test's thread
            failure.append(error)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=terminate)
    thread.start()
    thread.join(timeout=30)
    assert not failure, failure


def through_wsgi(path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One GET as gunicorn makes it: Django's WSGI handler, with the request signals that
    check and replace persistent connections (the test client switches those off)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        **headers,
    }
    answered: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
        answered["status"], answered["headers"] = int(status.split()[0]), dict(response_headers)

    result = WSGIHandler()(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # request_finished, as the server sends it
    return answered["status"], answered["headers"], body  # type: ignore[return-value]


@pytest.fixture
def client() -> Client:
    # Answer as the server would, rather than re-raise the exception Django logged.
    return Client(raise_request_exception=False)


@pytest.fixture
def token(lead_practitioner) -> str:
    return AuthToken.objects.create(lead_practitioner)[1]


def assert_api_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == API_BODY
    assert response["Retry-After"] == "5"


def assert_page_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert UNAVAILABLE_PAGE_TEXT in response.content.decode()
    assert response["Retry-After"] == "5"


# --- the server down ------------------------------------------------------------------------


def test_an_api_call_with_a_token_answers_json_503_while_the_database_is_down(client, token):
    with database_down():
        response = client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}")

    assert_api_unavailable(response)


def test_an_anonymous_api_call_answers_json_503_while_the_database_is_down(client):
    with database_down():
        response = client.post("/api/auth/token/", {"username": "x", "password": "y"})

    assert_api_unavailable(response)


def test_a_signed_in_page_answers_the_static_503_page_and_saves_no_session(
    client, lead_practitioner
):
    client.force_login(lead_practitioner)

    with database_down():
        response = client.get("/work/")

    assert_page_unavailable(response)
    assert not response.cookies


def test_the_login_page_answers_the_static_503_page_while_the_database_is_down(client):
    with database_down():
        response = client.get("/accounts/login/")

    assert_page_unavailable(response)


def test_healthz_stays_ok_and_readyz_names_the_database_while_it_is_down(client):
    with database_down():
        alive = client.get("/healthz")
        ready = client.get("/readyz")

    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready["Retry-After"] == "5"
    assert ready.json() == {
        "status": "unavailable",
        "failed": ["database", "migrations", "timers"],
        "checks": {"database": "failed", "migrations": "skipped", "timers": "skipped"},
    }


def test_the_app_answers_again_once_the_database_is_back(client, token):
    with database_down():
        assert client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 503

    assert client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.get("/readyz").status_code == 200


# --- a restart under an open connection -----------------------------------------------------


def test_a_connection_cut_under_an_api_call_answers_503_and_the_next_call_reconnects(client, token):
    assert client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    cut_connection()

    # The test client skips the check at the start of a request: the call meets the dead
    # connection, as one does when the server goes away while it runs.
    assert_api_unavailable(client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}"))

    status, _, _ = through_wsgi("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}")
    assert status == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/readyz"])
def test_after_a_restart_the_first_request_of_any_kind_reconnects(path):
    through_wsgi("/readyz")  # a persistent connection, open
    cut_connection()

    status, _, _ = through_wsgi(path)

    assert status == 200


# --- which errors count ---------------------------------------------------------------------


def test_a_refused_connection_counts_as_the_database_unavailable():
    with database_down(), pytest.raises(OperationalError) as refused:
        connection.ensure_connection()

    assert database_unavailable(refused.value)


def test_a_session_ended_by_the_server_counts_as_the_database_unavailable():
    cut_connection()

    with pytest.raises(OperationalError) as ended, connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert database_unavailable(ended.value)
    connection.close()


def test_a_lock_or_statement_timeout_is_not_the_database_unavailable():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 10")
        with pytest.raises(OperationalError) as timed_out, transaction.atomic():
            cursor.execute("SELECT pg_sleep(1)")
    assert not database_unavailable(timed_out.value)

    def advisory_lock() -> None:
        with connection.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(4242)")

    with (
        held_in_another_connection(advisory_lock),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL lock_timeout = 10")
        with pytest.raises(OperationalError) as locked, transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(4242)")
    assert not database_unavailable(locked.value)


def test_the_api_exception_handler_answers_a_lost_connection_with_503():
    with database_down(), pytest.raises(OperationalError) as refused:
        connection.ensure_connection()

    response = api_exception_handler(refused.value, {})

    assert response is not None
    assert response.status_code == 503
    assert response.data == API_BODY
    assert response["Retry-After"] == "5"
