"""The production path end to end: gunicorn with deploy/gunicorn.conf.py under
config.settings.production, static files from the production storage, PostgreSQL with the two
roles, behind a simulated TLS proxy (tests/production/harness.py).

A DSL and a lead practitioner log in through the form; the lead opens a child's case; a
hashed static asset is served with long caching; an API token lists cases; the timer worker
flags a passed deadline; the audit trail seals and verifies. Invented children only.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

import pytest

from .harness import ProductionStack

pytestmark = pytest.mark.production

CHILD_FIRST, CHILD_LAST = "Poppy", "Smokewood"
# Built up in run_python (as hsb_owner, like an administrator's set-up): one area with a
# school, the front door and early help; the child's case routed to early help and led by the
# lead practitioner, its stage deadline already passed so that the worker has a timer to fire.
WORLD = """
import datetime, json
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from cases.referrals.services import record_referral
from cases.process import engine
from cases.process.flow import PathwayFlow
from pathways.tests.factories import published_default_version

area = LocalAreaFactory(name="Smokeshire")
school = AgencyFactory(area=area, name="Smoke Primary", agency_type=AgencyType.SCHOOL)
front = AgencyFactory(
    area=area, name="Smokeshire Front Door", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
)
early_help = AgencyFactory(
    area=area, name="Smokeshire Early Help", agency_type=AgencyType.EARLY_HELP
)
dsl = UserFactory(role=Role.DSL, agency=school, username="smoke-dsl", password=PASSWORD)
front_door = UserFactory(role=Role.FRONT_DOOR, agency=front, username="smoke-frontdoor")
lead = UserFactory(
    role=Role.LEAD_PRACTITIONER, agency=early_help, username="smoke-lead", password=PASSWORD
)
published_default_version(area=area, actor=front_door)
referral = record_referral(
    actor=dsl,
    received_at=timezone.now() - datetime.timedelta(hours=3),
    source="2A",
    description="Invented referral for the production smoke test.",
    parents_informed=True,
    behaviours=[{"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}],
    children=[{
        "involvement": "displaying_hsb",
        "first_name": CHILD_FIRST,
        "last_name": CHILD_LAST,
        "date_of_birth": datetime.date(2013, 2, 3),
        "gender": "girl",
        "confirm_new": True,
    }],
)
case = referral.cases.get()
case = engine.take_transition(
    case=case, transition="route_to_early_help", actor=front_door,
    data={"continuum_level": "problematic", "lead_practitioner": lead.pk},
)
due = Task.objects.filter(
    process_id=case.pk, flow_task=PathwayFlow.work_stage__timeout, status=STATUS.SCHEDULED
).update(scheduled=timezone.now() - datetime.timedelta(minutes=1))
assert due == 1, due
print(json.dumps({"case": case.pk}))
"""


@pytest.fixture(scope="module")
def world(production_stack: ProductionStack) -> dict[str, Any]:
    password = secrets.token_urlsafe(18)
    code = (
        f"PASSWORD = {password!r}\nCHILD_FIRST = {CHILD_FIRST!r}\nCHILD_LAST = {CHILD_LAST!r}\n"
        + WORLD
    )
    made = json.loads(production_stack.run_python(code).strip().splitlines()[-1])
    return {"password": password, "case": made["case"]}


def test_plain_http_is_redirected_to_https(production_stack: ProductionStack) -> None:
    response = production_stack.client(forwarded=False).get("/accounts/login/?next=/work/")

    assert response.status_code == 301
    assert response.headers["Location"] == (
        production_stack.url.replace("http://", "https://") + "/accounts/login/?next=/work/"
    )


def test_a_dsl_logs_in_through_the_form_and_does_not_see_the_case_file(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    client = production_stack.client()

    landing = client.login("smoke-dsl", world["password"])
    page = client.get(landing.headers["Location"])

    assert page.status_code == 200
    assert "sessionid" in client.cookies
    # DSLs see their referrals and where each child went, never the case file.
    assert client.get(f"/work/cases/{world['case']}/").status_code == 404


def test_the_lead_practitioner_opens_the_childs_case(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    client = production_stack.client()
    client.login("smoke-lead", world["password"])

    page = client.get(f"/work/cases/{world['case']}/")

    assert page.status_code == 200
    assert CHILD_LAST in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_static_asset_is_served_by_its_hashed_name_compressed_and_cached_for_long(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    client = production_stack.client()
    client.login("smoke-lead", world["password"])
    page = client.get(f"/work/cases/{world['case']}/")
    # Our stylesheet, as the page names it: hashed by the manifest storage.
    match = re.search(r'href="(/static/hsb/site\.[0-9a-f]{12}\.css)"', page.text)
    assert match, "the page does not link the hashed site.css"

    asset = client.get(match.group(1), headers={"Accept-Encoding": "gzip"})

    assert asset.status_code == 200
    assert asset.headers["Content-Type"].startswith("text/css")
    assert asset.headers["Content-Encoding"] == "gzip"
    assert "immutable" in asset.headers["Cache-Control"]
    max_age = re.search(r"max-age=(\d+)", asset.headers["Cache-Control"])
    assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600


def test_an_api_token_lists_the_lead_practitioners_cases(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    client = production_stack.client()
    issued = client.post(
        "/api/auth/token/", json={"username": "smoke-lead", "password": world["password"]}
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()["token"]

    listed = production_stack.client().get(
        "/api/cases/", headers={"Authorization": f"Token {token}"}
    )

    assert listed.status_code == 200, listed.text
    assert str(world["case"]) in {str(row["id"]) for row in _rows(listed.json())}


def test_an_unauthenticated_api_call_is_a_json_401(production_stack: ProductionStack) -> None:
    response = production_stack.client().get("/api/cases/")

    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["WWW-Authenticate"].startswith("Token")
    assert "detail" in response.json()


def test_the_timer_worker_flags_the_passed_deadline(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    # One pass, as the compose worker runs it: the serving role, production settings.
    production_stack.manage("run_worker", "--once")

    flagged = production_stack.run_python(
        "from audit.models import AuditEvent\n"
        "print(AuditEvent.objects.filter(\n"
        f"    action='case.stage_overdue', object_id='{world['case']}').count())\n"
    )
    assert flagged.strip() == "1"


def test_the_audit_trail_seals_and_verifies(
    production_stack: ProductionStack, world: dict[str, Any]
) -> None:
    # As the sealer service does, then the check an auditor runs (anchor included).
    production_stack.manage("seal_audit_trail", "--export-anchor")

    verified = production_stack.manage("verify_audit_trail", check=False)

    assert verified.returncode == 0, verified.stderr
    assert "audit trail intact" in verified.stdout
    events = re.search(r"intact: (\d+) events", verified.stdout)
    assert events and int(events.group(1)) > 0


def test_the_access_log_leaves_out_query_strings(production_stack: ProductionStack) -> None:
    # A path of its own, so the test finds its line whatever the log's format.
    path = f"/work/smoke-{secrets.token_hex(8)}/"
    production_stack.client().get(f"{path}?q={CHILD_LAST}Searched")

    log = _wait_for_log_line(production_stack, path)

    assert f"{CHILD_LAST}Searched" not in log


def test_no_request_failed_on_the_server(production_stack: ProductionStack) -> None:
    # Last in the module: every request above has been logged by now.
    log = production_stack.read_gunicorn_log()

    assert "Traceback" not in log
    # A 5xx in an access line, plain or inside a JSON string (escaped quote).
    assert not re.search(r'HTTP/1\.1\\?" 5\d\d ', log)


def _rows(payload: Any) -> list[dict[str, Any]]:
    return list(payload["results"] if isinstance(payload, dict) else payload)


def _wait_for_log_line(stack: ProductionStack, needle: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = stack.read_gunicorn_log()
        if needle in log or time.monotonic() > deadline:
            assert needle in log, f"not in gunicorn's log: {needle}\n{log[-2000:]}"
            return log
        time.sleep(0.1)
