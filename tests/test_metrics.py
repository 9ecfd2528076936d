"""/metrics: off by default, never public, counts and durations only.

The gauges are read at scrape time from the database, as the serving role under the
request's no-area context would see it, so the system-context read is exercised for real.
Invented children only.
"""

from __future__ import annotations

import datetime
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from agencies.roles import Role
from audit.models import AuditEvent
from audit.sealing import seal_pending_events
from audit.services import record_event
from cases.models import Case
from cases.tests.factories import referral_payload
from tests.test_production_settings import run_manage

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-tests-0123456789abcdef"
FIRST, LAST = "Orlaith", "Brackenridge"
BORN = "2013-06-21"

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""
    return settings


def scrape(client, token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get("/metrics", **headers)


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def gauge(body: str, name: str) -> float:
    return samples(body)[(name, frozenset())]


@contextmanager
def as_serving_role() -> Iterator[None]:
    """Run the block as the serving role, which row-level security binds (the suite itself
    connects as the cluster's superuser, which it does not)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {django_settings.DATABASE_SERVING_ROLE}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refer(client) -> int:
    payload = referral_payload(first_name=FIRST, last_name=LAST, date_of_birth=BORN, gender="boy")
    response = client.post(reverse("api:cases:referral-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    return int(response.json()["children"][0]["case_id"])


# --- who may scrape -------------------------------------------------------------------------


def test_metrics_are_404_when_disabled(client, settings) -> None:
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = TOKEN

    assert scrape(client).status_code == 404


def test_a_scrape_without_the_token_is_401_and_with_a_wrong_one_403(client, metrics_on) -> None:
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405
    missing = scrape(client, token=None)
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, token=TOKEN[:-1] + "x").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401


def test_with_no_token_configured_every_scrape_is_refused(client, metrics_on) -> None:
    metrics_on.METRICS_TOKEN = ""

    assert scrape(client, token="").status_code == 401
    assert scrape(client, token="anything").status_code == 403


# --- what a scrape holds --------------------------------------------------------------------


def test_a_scrape_has_latency_by_route_and_the_workflow_gauges(
    default_version, make_user, metrics_on
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the system-context read matters under PostgreSQL's row-level security")
    dsl = make_user(Role.DSL)
    api = APIClient()
    api.force_authenticate(dsl)
    case_id = refer(api)
    api.get(f"/api/cases/{case_id + 10_000}/?q={FIRST}")
    api.generic("BREW", "/api/no-such-thing/")
    # Every stage deadline is now an hour overdue and nothing has fired it.
    overdue_by = datetime.timedelta(hours=1)
    timers = Task.objects.filter(flow_task_type="TIMER", status=STATUS.SCHEDULED)
    assert timers.update(scheduled=timezone.now() - overdue_by) >= 1

    # As a scraper in the network sends it to gunicorn: plain HTTP, its own Host name, which
    # production's HTTPS redirect and ALLOWED_HOSTS would refuse on any other path.
    metrics_on.ALLOWED_HOSTS = ["hsb.example.org"]
    metrics_on.SECURE_SSL_REDIRECT = True
    scraper = APIClient(HTTP_HOST="web:8000")
    assert scraper.get("/api/").status_code == 400
    with as_serving_role():
        response = scrape(scraper)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    found = samples(body)
    observed = [
        dict(labels)
        for (name, labels) in found
        if name == "hsb_http_request_duration_seconds_count"
    ]
    assert {"method": "POST", "route": "/api/cases/referrals/", "status": "2xx"} in observed
    assert {"method": "GET", "route": "/api/cases/<int:pk>/", "status": "4xx"} in observed
    assert {"method": "OTHER", "route": "<unmatched>", "status": "4xx"} in observed
    assert not any("BREW" in labels.values() for labels in observed)
    assert f"/api/cases/{case_id + 10_000}" not in body
    # Read in the system context: the serving role under the scrape's no-area context
    # would count no cases and see no timers.
    assert gauge(body, "hsb_open_cases") == Case.objects.filter(closed_at=None).count() >= 1
    assert 3600 <= gauge(body, "hsb_timer_lag_seconds") < 3600 + 120
    # Nothing sealed yet (the test's transaction is still open): all of it is backlog.
    assert gauge(body, "hsb_audit_unsealed_events") == AuditEvent.objects.count() >= 2
    assert gauge(body, "hsb_audit_sealed_events") == 0
    assert gauge(body, "hsb_audit_last_seal_age_seconds") == -1
    assert gauge(body, "hsb_workflow_gauges_up") == 1
    for identifier in (FIRST, LAST, BORN):
        assert identifier not in body


def test_a_scrape_the_database_refuses_still_reports_latency(client, metrics_on) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs a PostgreSQL role without rights")
    client.get("/api/before-the-outage/")
    with connection.cursor() as cursor:
        # A role with no rights on any table: every gauge query fails, as in an outage. Undone
        # with the test's transaction.
        cursor.execute("CREATE ROLE hsb_metrics_test_nobody")
        cursor.execute("SET ROLE hsb_metrics_test_nobody")

    response = scrape(client)

    assert response.status_code == 200
    body = response.content.decode()
    assert gauge(body, "hsb_workflow_gauges_up") == 0
    assert "hsb_http_request_duration_seconds_count" in body
    assert "hsb_open_cases" not in body


@pytest.mark.django_db(transaction=True)
def test_the_audit_gauges_follow_the_seal_chain(make_user, metrics_on) -> None:
    # Committed writes: on PostgreSQL a seal takes only events of finished transactions.
    actor = make_user(Role.DSL)
    for action in ("test.first", "test.second"):
        record_event(actor=actor, action=action, target=actor)
    seal = seal_pending_events()
    assert seal is not None and seal.total_count == AuditEvent.objects.count()
    record_event(actor=actor, action="test.after_the_seal", target=actor)

    body = scrape(Client()).content.decode()

    assert gauge(body, "hsb_audit_sealed_events") == seal.total_count
    assert gauge(body, "hsb_audit_seal_sequence") == seal.seq
    assert gauge(body, "hsb_audit_unsealed_events") == 1
    assert 0 <= gauge(body, "hsb_audit_last_seal_age_seconds") < 60


def test_latency_is_recorded_only_when_metrics_are_on(client, settings) -> None:
    labels = {"method": "GET", "route": "<unmatched>", "status": "4xx"}

    def count() -> float:
        return REGISTRY.get_sample_value("hsb_http_request_duration_seconds_count", labels) or 0

    settings.METRICS_ENABLED = False
    before = count()
    client.get("/api/not-counted/")
    assert count() == before

    settings.METRICS_ENABLED = True
    Client().get("/api/counted/")
    assert count() == before + 1


# --- several gunicorn workers -----------------------------------------------------------------


def test_samples_from_several_worker_processes_are_merged(client, metrics_on, tmp_path) -> None:
    # Two processes in prometheus_client's multiprocess mode, as two gunicorn workers would be.
    observe = (
        "import django; django.setup(); from config.metrics import REQUEST_LATENCY; "
        "REQUEST_LATENCY.labels(method='GET', route='/probe/', status='2xx').observe(0.2)"
    )
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    for _ in range(2):
        subprocess.run([sys.executable, "-c", observe], cwd=ROOT, env=env, check=True)  # noqa: S603
    metrics_on.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)

    body = scrape(client).content.decode()

    labels = frozenset({"method": "GET", "route": "/probe/", "status": "2xx"}.items())
    assert samples(body)[("hsb_http_request_duration_seconds_count", labels)] == 2
    assert "hsb_open_cases" in body


def test_gunicorn_empties_the_multiprocess_directory_before_it_starts(
    tmp_path, monkeypatch
) -> None:
    (tmp_path / "histogram_123.db").write_bytes(b"stale")
    (tmp_path / "keep.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    hooks["on_starting"](server=None)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["keep.txt"]


def test_under_gunicorn_the_workers_share_a_directory_even_when_none_is_set(
    monkeypatch,
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    hooks = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ  # reading the file makes nothing

    hooks["on_starting"](server=None)

    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert directory.is_dir() and not any(directory.iterdir())
    directory.rmdir()


# --- production settings --------------------------------------------------------------------


def test_production_refuses_metrics_without_a_long_token() -> None:
    refused = run_manage("check", METRICS_ENABLED="1", METRICS_TOKEN="short")
    assert refused.returncode != 0
    assert "METRICS_TOKEN" in refused.stderr
    assert run_manage("check", METRICS_ENABLED="1", METRICS_TOKEN=TOKEN).returncode == 0
