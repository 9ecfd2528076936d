"""PostgreSQL stopped and started again under API write load (tests/production/harness.py).

Four clients, each adding notes to its own child's case over the API (201 with the note's
id), run while the database is stopped (pg_ctl stop -m fast: open connections are cut) and
started again. While it is down every answer is a JSON 503 with Retry-After, never a 500 or
an HTML page; the app answers writes again within RECOVERY_LIMIT of the restart without being
touched; and every note the API acknowledged is in the database afterwards. Probes answer
plain HTTP with a pod's address as Host: /healthz stays up, /readyz names the database.
Invented children only.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from .harness import ProductionStack

pytestmark = pytest.mark.production

CLIENTS = 4
# Each client waits this long between its calls: the load stays bounded (the two sync
# workers are never swamped), yet a restart is seen within a fraction of a second.
PAUSE = 0.05
WARM_UP = 1.0  # seconds of writes before the stop
DOWN_FOR = 1.5  # seconds the database stays down, after pg_ctl stop returns
RECOVERY_LIMIT = 5.0  # seconds from the restart to the first acknowledged write
PROBE_HOST = "10.0.0.5:8000"  # as a Kubernetes probe sends it: the pod's address

# As hsb_owner, like an administrator's set-up: one area; a lead practitioner leading one
# child's case per client.
WORLD = """
import json
from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from cases.tests.factories import open_case
from cases.process import engine
from pathways.tests.factories import published_default_version

area = LocalAreaFactory(name="Restartshire")
front = AgencyFactory(
    area=area, name="Restartshire Front Door", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE
)
early_help = AgencyFactory(
    area=area, name="Restartshire Early Help", agency_type=AgencyType.EARLY_HELP
)
front_door = UserFactory(role=Role.FRONT_DOOR, agency=front, username="restart-frontdoor")
lead = UserFactory(
    role=Role.LEAD_PRACTITIONER, agency=early_help, username="restart-lead", password=PASSWORD
)
version = published_default_version(area=area, actor=front_door)
cases = []
for _ in range(CLIENTS):
    case = open_case(version=version, actor=front_door)
    case = engine.take_transition(
        case=case, transition="route_to_early_help", actor=front_door,
        data={"continuum_level": "problematic", "lead_practitioner": lead.pk},
    )
    cases.append(case.pk)
print(json.dumps({"cases": cases}))
"""

STORED_NOTES = """
import json
from cases.models import CaseNote
print(json.dumps({str(pk): text for pk, text in CaseNote.objects.values_list("pk", "text")}))
"""


@dataclass
class Answer:
    sent: float
    received: float
    status: int  # 0: no HTTP answer at all
    content_type: str = ""
    retry_after: str | None = None
    body: Any = None
    text: str = ""


@dataclass
class Load:
    """The clients' answers, and the notes acknowledged (id -> text)."""

    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def between(self, start: float, end: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.sent >= start and a.received <= end]

    def first_write_after(self, moment: float) -> Answer | None:
        with self.lock:
            written = [a for a in self.answers if a.status == 201 and a.sent >= moment]
        return min(written, key=lambda a: a.received, default=None)


def _write_notes(stack: ProductionStack, load: Load, token: str, case_id: int, n: int) -> None:
    client = stack.client()
    headers = {"Authorization": f"Token {token}"}
    sequence = 0
    while not load.stop.is_set():
        sequence += 1
        text = f"Restart test note {n}-{sequence}."
        sent = time.monotonic()
        try:
            response = client.post(
                f"/api/cases/{case_id}/notes/", json={"text": text}, headers=headers, timeout=10
            )
        except requests.RequestException as error:
            answer = Answer(sent, time.monotonic(), 0, text=repr(error))
        else:
            answer = Answer(
                sent,
                time.monotonic(),
                response.status_code,
                response.headers.get("Content-Type", ""),
                response.headers.get("Retry-After"),
                _json_or_none(response),
                response.text[:300],
            )
        with load.lock:
            load.answers.append(answer)
            if answer.status == 201:
                load.acknowledged[answer.body["id"]] = text
        time.sleep(PAUSE)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _describe(answers: list[Answer]) -> str:
    return "\n".join(
        f"{a.status} {a.content_type} retry-after={a.retry_after} {a.text[:120]!r}"
        for a in answers[:10]
    )


def test_a_database_restart_under_write_load_answers_503_recovers_and_loses_no_write(
    production_stack: ProductionStack,
) -> None:
    stack = production_stack
    password = secrets.token_urlsafe(18)
    made = stack.run_python(f"PASSWORD = {password!r}\nCLIENTS = {CLIENTS}\n" + WORLD)
    case_ids = json.loads(made.strip().splitlines()[-1])["cases"]
    tokens = []
    for _ in case_ids:
        issued = stack.client().post(
            "/api/auth/token/", json={"username": "restart-lead", "password": password}
        )
        assert issued.status_code == 200, issued.text
        tokens.append(issued.json()["token"])
    probe = stack.client(forwarded=False)
    probe_headers = {"Host": PROBE_HOST}

    load = Load()
    clients = [
        threading.Thread(target=_write_notes, args=(stack, load, token, case_id, n))
        for n, (token, case_id) in enumerate(zip(tokens, case_ids, strict=True))
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(WARM_UP)
        stopping = time.monotonic()
        stack.stop_database()
        down = time.monotonic()
        time.sleep(DOWN_FOR / 2)
        alive_while_down = probe.get("/healthz", headers=probe_headers)
        ready_while_down = probe.get("/readyz", headers=probe_headers)
        time.sleep(DOWN_FOR / 2)
        starting = time.monotonic()
        stack.start_database()
        started = time.monotonic()
        deadline = started + RECOVERY_LIMIT + 5
        while load.first_write_after(started) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(WARM_UP)  # writes go on after the recovery
    finally:
        load.stop.set()
        for client in clients:
            client.join(timeout=30)
    ready_after = probe.get("/readyz", headers=probe_headers)

    # Before the stop, the load was writing.
    assert any(a.status == 201 for a in load.between(0, stopping)), "no write before the stop"

    # While the database was down: JSON 503 with Retry-After, each and every answer.
    while_down = load.between(down, starting)
    assert len(while_down) >= CLIENTS, f"only {len(while_down)} answers while down"
    wrong = [
        a
        for a in while_down
        if not (
            a.status == 503
            and a.content_type == "application/json"
            and a.retry_after == "5"
            and isinstance(a.body, dict)
            and a.body.get("code") == "service_unavailable"
        )
    ]
    assert not wrong, f"{len(wrong)} of {len(while_down)} answers while down:\n{_describe(wrong)}"

    # Throughout, including calls cut by the stop: a write or a retryable 503, never a 500.
    others = [a for a in load.answers if a.status not in (201, 503)]
    assert not others, f"{len(others)} other answers:\n{_describe(others)}"

    # The app answered writes again by itself, within the limit.
    first = load.first_write_after(started)
    assert first is not None, "no write succeeded after the restart"
    recovery = first.received - started
    print(
        f"{len(load.acknowledged)} notes acknowledged, {len(while_down)} JSON 503s while down;"
        f" recovered {recovery:.2f}s after the database accepted connections again"
    )
    assert recovery < RECOVERY_LIMIT

    # Every acknowledged note is stored, with its text.
    stored = json.loads(stack.run_python(STORED_NOTES).strip().splitlines()[-1])
    missing = {pk: text for pk, text in load.acknowledged.items() if stored.get(str(pk)) != text}
    assert not missing, f"{len(missing)} acknowledged notes missing: {missing}"
    assert len(load.acknowledged) > CLIENTS

    # The probes, over plain HTTP with a pod's address as Host.
    assert alive_while_down.status_code == 200, alive_while_down.text
    assert ready_while_down.status_code == 503, ready_while_down.text
    assert ready_while_down.json()["failed"][0] == "database"
    assert ready_after.status_code == 200, ready_after.text
