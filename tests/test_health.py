"""`/healthz` and `/readyz` (config/health.py): answered before any other middleware.

What the database being unreachable does to them is in tests/test_database_unavailable.py.
"""

from datetime import timedelta

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from audit.models import AuditEvent
from cases.process.timers import TIMER
from cases.tests.factories import open_case
from config import health

pytestmark = pytest.mark.django_db

PROBE_ADDRESS = "10.1.2.3:8000"  # a pod's address, as Kubernetes sends it for Host


@pytest.fixture
def fresh_process(monkeypatch):
    """As in a process that has not yet seen every migration applied."""
    monkeypatch.setattr(health, "_migrations_known_applied", False)


@pytest.fixture
def behind_the_proxy(settings):
    """Production's request checks: only the public name is a valid Host, HTTP redirects."""
    settings.ALLOWED_HOSTS = ["hsb.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _timer_due_since(case, moment):
    moved = Task.objects.filter(
        process_id=case.pk, flow_task_type=TIMER, status=STATUS.SCHEDULED
    ).update(scheduled=moment)
    assert moved == 1


def test_healthz_answers_ok_without_a_database_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_answers_ok_with_each_check_when_all_pass(client, fresh_process):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "timers": "ok"},
        "timer_lag_seconds": 0.0,
    }


def test_probes_pass_the_host_check_and_the_https_redirect_that_pages_get(client, behind_the_proxy):
    # The same request to a page is refused (Host) and, with a good Host, redirected to HTTPS:
    # so the settings are in force, and the probes are answered before them.
    assert client.get("/accounts/login/", HTTP_HOST=PROBE_ADDRESS).status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="hsb.example.org").status_code == 301

    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST=PROBE_ADDRESS)
        assert response.status_code == 200, path


def test_a_probe_sets_no_cookie_and_writes_no_audit_event(client, lead_practitioner):
    client.force_login(lead_practitioner)
    client.cookies.pop("csrftoken", None)
    events = AuditEvent.objects.count()

    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies, path
        assert "X-Request-ID" not in response, "the audit context middleware ran"

    assert AuditEvent.objects.count() == events


def test_probes_answer_only_get_and_head(client):
    assert client.head("/readyz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_readyz_is_unavailable_while_a_migration_is_unapplied(client, fresh_process):
    latest = MigrationRecorder.Migration.objects.filter(app="cases").latest("name")
    latest.delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["migrations"]
    assert body["checks"] == {"database": "ok", "migrations": "failed", "timers": "ok"}


def test_once_every_migration_was_seen_applied_the_process_stops_asking(client, fresh_process):
    assert client.get("/readyz").status_code == 200
    MigrationRecorder.Migration.objects.filter(app="cases").delete()

    assert client.get("/readyz").status_code == 200


def test_readyz_is_unavailable_when_a_due_timer_has_waited_past_the_limit(
    client, settings, default_version, front_door
):
    settings.READY_MAX_TIMER_LAG_SECONDS = 600
    _timer_due_since(open_case(version=default_version, actor=front_door), timezone.now())
    late = open_case(version=default_version, actor=front_door)
    _timer_due_since(late, timezone.now() - timedelta(hours=2))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["failed"] == ["timers"]
    assert 7200 <= body["timer_lag_seconds"] < 7260


def test_a_timer_due_for_less_than_the_limit_keeps_readyz_ok(
    client, settings, default_version, front_door
):
    settings.READY_MAX_TIMER_LAG_SECONDS = 600
    case = open_case(version=default_version, actor=front_door)
    _timer_due_since(case, timezone.now() - timedelta(minutes=5))

    response = client.get("/readyz")

    assert response.status_code == 200
    assert 300 <= response.json()["timer_lag_seconds"] < 360


def test_a_limit_of_zero_leaves_timers_out_of_readiness(
    client, settings, default_version, front_door
):
    settings.READY_MAX_TIMER_LAG_SECONDS = 0
    case = open_case(version=default_version, actor=front_door)
    _timer_due_since(case, timezone.now() - timedelta(days=3))

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["timers"] == "ok"
    assert "timer_lag_seconds" not in response.json()
