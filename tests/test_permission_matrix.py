"""The permission matrix: every role, every endpoint (API and pages), own or other record.

Each cell is one request, made in a savepoint that is rolled back, so a write in one cell
never changes what the next cell finds. Two checks:

1. every cell is allowed or refused as the access rules say (each endpoint's `Rule` below,
   `SEES_CASE`, `WORKS_CASE` …, restates them, independently of the code that enforces them);
2. the table rendered from what was observed equals the committed `docs/permissions.md`.
   After a deliberate change, regenerate it: `python manage.py permission_matrix --write`
   (or `PERMISSION_MATRIX_WRITE=1 pytest tests/test_permission_matrix.py`).

"Own" is a record of the role's own work; "other" is a record of another team in the same
area (see `OWN_AND_OTHER`). Invented children only.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from agencies.roles import (
    CAN_DECIDE_REPEAT_REFERRALS,
    CAN_DESIGNATE_LEAD,
    CAN_LOG_REFERRAL,
    CAN_READ_REFERRALS,
    CAN_REVIEW_ASSESSMENT,
    CASEWORK,
    SHARING_RECIPIENTS,
    Role,
)
from assessments.tests.factories import SECTIONS_DONE
from cases.models import Case, RepeatReferralDecision
from cases.referrals.services import record_referral
from partnership.services import record_process_feedback
from pathways.continuum import BROOK_COLOUR
from pathways.models import PathwayVersion

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
WRITE = os.environ.get("PERMISSION_MATRIX_WRITE") == "1"

DSL, FD, LP, TM = Role.DSL, Role.FRONT_DOOR, Role.LEAD_PRACTITIONER, Role.TEAM_MEMBER
MGR, CO, AN, ADM, AUD = (
    Role.TEAM_MANAGER,
    Role.HSB_COORDINATOR,
    Role.ANALYST,
    Role.SYSTEM_ADMINISTRATOR,
    Role.AUDITOR,
)
ROLES = [DSL, FD, LP, TM, MGR, CO, AN, ADM, AUD]  # the order of the table's columns
SHORT = {
    DSL: "DSL",
    FD: "Front door",
    LP: "Lead",
    TM: "Team member",
    MGR: "Manager",
    CO: "Coordinator",
    AN: "Analyst",
    ADM: "Admin",
    AUD: "Auditor",
}


# --- the rules, restated ---------------------------------------------------------------------
# Each takes (role, own) and says whether the cell is allowed. "Other" is another team's
# early-help case in the same area: only the front door (area-wide) reaches it.

Rule = Callable[[str, bool], bool]


def anyone(role: str, own: bool) -> bool:
    return True


def roles(*allowed: str, other: tuple[str, ...] = ()) -> Rule:
    return lambda role, own: role in allowed if own else role in other


SEES_CASE = roles(*CASEWORK, other=(FD,))
WORKS_CASE = roles(FD, LP, MGR, CO, other=(FD,))  # lead, or an area-wide role whose rule shows it
DESIGNATES = roles(*CAN_DESIGNATE_LEAD, other=(FD,))
MOVES_OWN_CASE = roles(MGR, CO)  # the panel stage: coordinator or manager, by the pathway
STEWARD = roles(LP, MGR)  # the lead and the team's manager: access log, grants
ASSESSOR = roles(LP)
REVIEWER = roles(*CAN_REVIEW_ASSESSMENT)
TASKS = roles(CO)  # the own case is at the panel, the coordinator's stage
MY_CASES = roles(*CASEWORK, other=(FD,))
SEES_REFERRAL = roles(*CAN_READ_REFERRALS, other=(FD,))
REFERS = roles(*CAN_LOG_REFERRAL, other=tuple(CAN_LOG_REFERRAL))
RECIPIENT = roles(*SHARING_RECIPIENTS)
BREAKS_GLASS = roles(other=(LP, TM, MGR, CO))  # own is already visible; other, if not already
MANAGER_BOTH = roles(MGR, other=(MGR,))
# Pathways are walled by area (pathways.permissions): users with an agency read their own
# area's; the set-up administrator (no agency) reads and edits every area's.
READS_PATHWAYS = roles(DSL, *CASEWORK, ADM, other=(ADM,))
EDITS_PATHWAYS = roles(CO, ADM, other=(ADM,))
NOT_ANALYST_ADMIN_AUDITOR = roles(DSL, *CASEWORK, other=(DSL, *CASEWORK))
CASEWORK_BOTH = roles(*CASEWORK, other=tuple(CASEWORK))
# The cases a role's own rule gives them (`cases.selectors.role_case_ids`), read access by a
# grant aside: a repeat referral's decision is work on the case, not a read of it.
IN_ROLE_SCOPE = roles(*CASEWORK, other=(FD,))
# Who decides a repeat referral (`decide_repeat_referral`): the front door (every case of the
# area) and a team manager (their team's cases: the own case only).
DECIDES_REPEAT_REFERRAL = roles(*CAN_DECIDE_REPEAT_REFERRALS, other=(FD,))


# --- endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    group: str
    method: str
    path: str
    rule: Rule
    data: Callable[[dict[str, Any]], Any] | None = None
    api: bool = False
    # "status": allowed when 2xx/3xx; "listed": allowed when the record's id is shown;
    # "reached": allowed unless refused (401/403/404/405); or a check of the database.
    probe: str = "status"
    listed: str = ""
    check: Callable[[dict[str, Any]], bool] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def api(method: str, path: str, rule: Rule, data: Any = None, **kw: Any) -> Endpoint:
    return Endpoint("API", method, f"/api{path}", rule, data=data, api=True, **kw)


def page(method: str, path: str, rule: Rule, data: Any = None, **kw: Any) -> Endpoint:
    return Endpoint("Pages", method, path, rule, data=data, **kw)


def _transition(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "transition": v["transition"],
        "reason": "Invented: agreed at the matrix meeting.",
        # A step-up records the continuum level that justifies it (issue 16, item 10).
        "data": {"continuum_level": "abusive"},
        "expected_version": v["case_version"],
    }


def _transition_form(v: dict[str, Any]) -> dict[str, Any]:
    key = v["transition"]
    return {
        "transition_key": key,
        f"{key}-transition": key,
        f"{key}-expected_version": v["case_version"],
        f"{key}-reason": "Invented: agreed at the matrix meeting.",
        f"{key}-continuum_level": "abusive",
    }


SHARING = {
    "decision": "share",
    "information": "Invented: the safety plan for school.",
    "purpose": "So the school can keep the children safe.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}
SUBMIT = {
    "confirmed_continuum_level": "abusive",
    "risk_level": "medium",
    "needs": "Invented needs.",
    "intervention_focus": "Invented focus.",
}


def _referral_payload(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "2A",
        "description": "Invented referral for the permission matrix.",
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [
            {
                "involvement": "displaying_hsb",
                "first_name": "Quinn",
                "last_name": "Matrixfield",
                "date_of_birth": "2013-05-04",
                "gender": "boy",
                "confirm_new": True,
            }
        ],
        "parents_informed": True,
    }


DECIDE_NO_CHANGE = {
    "outcome": "no_change",
    "reason": "Invented: the new incident adds nothing to the pattern.",
}
FEEDBACK: dict[str, Any] = {
    "given_by": "child",
    "aspect": "overall",
    "feedback": "Invented feedback on the process.",
}

DUPLICATE_QUERY = {"first_name": "Ava", "last_name": "Ownfield", "date_of_birth": "2013-02-03"}

ENDPOINTS: list[Endpoint] = [
    # --- API: cases
    api("GET", "/cases/", SEES_CASE, probe="listed", listed="case"),
    api("GET", "/cases/tasks/", TASKS, probe="listed", listed="case"),
    api("GET", "/cases/{case}/", SEES_CASE),
    api("GET", "/cases/{case}/transitions/", SEES_CASE),
    api("POST", "/cases/{case}/transitions/", MOVES_OWN_CASE, _transition),
    api(
        "POST",
        "/cases/{case}/lead-practitioner/",
        DESIGNATES,
        lambda v: {"practitioner": v["lead_candidate"], "reason": "Invented handover."},
    ),
    # --- API: the case record
    api("GET", "/cases/{case}/team/", SEES_CASE),
    api(
        "POST",
        "/cases/{case}/team/",
        WORKS_CASE,
        lambda v: {"agency": v["agency"], "role_on_case": "Invented consultant"},
    ),
    api(
        "POST",
        "/cases/{case}/team/{member}/remove/",
        WORKS_CASE,
        {"reason": "Invented: left the team."},
    ),
    api("GET", "/cases/{case}/views/", SEES_CASE),
    api("POST", "/cases/{case}/views/", WORKS_CASE, {"holder": "child", "view": "Invented."}),
    api("GET", "/cases/{case}/sharing-decisions/", SEES_CASE),
    api(
        "POST",
        "/cases/{case}/sharing-decisions/",
        WORKS_CASE,
        lambda v: {**SHARING, "recipient_agency": v["agency"]},
    ),
    api("GET", "/cases/{case}/notes/", SEES_CASE),
    api("POST", "/cases/{case}/notes/", WORKS_CASE, {"text": "Invented note."}),
    api("GET", "/cases/{case}/chronology/", SEES_CASE),
    api("GET", "/cases/{case}/chronology.csv", SEES_CASE),
    api("GET", "/cases/{case}/chronology.pdf", SEES_CASE),
    # --- API: access
    api("GET", "/cases/{case}/access-log/", STEWARD),
    api("GET", "/cases/{case}/access-grants/", STEWARD),
    api(
        "POST",
        "/cases/{case}/access-grants/",
        STEWARD,
        lambda v: {"user": v["grant_candidate"], "kind": "consultant", "reason": "Invented."},
    ),
    api("POST", "/cases/{case}/access-grants/{grant}/revoke/", STEWARD, {"reason": ""}),
    api("GET", "/cases/shared-with-me/", RECIPIENT, probe="listed", listed="decision"),
    api("GET", "/cases/shared-with-me/{decision}/", RECIPIENT),
    api(
        "POST",
        "/cases/break-glass/",
        BREAKS_GLASS,
        lambda v: {"case": v["case"], "reason": "Invented: the child is missing tonight."},
    ),
    api("GET", "/cases/break-glass-reviews/", REVIEWER, probe="listed", listed="review"),
    api("GET", "/cases/break-glass-reviews/{review}/", REVIEWER),
    api(
        "POST",
        "/cases/break-glass-reviews/{review}/",
        REVIEWER,
        {"outcome": "justified", "notes": ""},
    ),
    # --- API: referrals
    api("GET", "/cases/referrals/", SEES_REFERRAL, probe="listed", listed="referral"),
    api("POST", "/cases/referrals/", REFERS, _referral_payload),
    api("GET", "/cases/referrals/{referral}/", SEES_REFERRAL),
    api("POST", "/cases/referrals/duplicates/", REFERS, DUPLICATE_QUERY),
    # --- API: repeat referrals (a referral that joined an open case) and a case's pattern
    api(
        "GET",
        "/cases/referrals/decisions/",
        IN_ROLE_SCOPE,
        probe="listed",
        listed="repeat_decision",
    ),
    api(
        "GET",
        "/cases/referrals/decisions/?status=all",
        IN_ROLE_SCOPE,
        probe="listed",
        listed="repeat_decision",
    ),
    api(
        "POST",
        "/cases/referrals/decisions/{repeat_decision}/decide/",
        DECIDES_REPEAT_REFERRAL,
        DECIDE_NO_CHANGE,
    ),
    api("GET", "/cases/{case}/referrals/", SEES_CASE),
    # --- API: assessments
    api("GET", "/assessments/", SEES_CASE, probe="listed", listed="assessment_requested"),
    api(
        "POST",
        "/assessments/",
        WORKS_CASE,
        lambda v: {
            "case": v["case"],
            "assessment_type": "specialist_assessment",
            "type_justification": "Invented justification.",
        },
    ),
    api("GET", "/assessments/tools/", anyone),
    api("GET", "/assessments/tools/?case={case}", SEES_CASE),
    api("GET", "/assessments/{assessment_requested}/", SEES_CASE),
    api(
        "POST",
        "/assessments/{assessment_requested}/start/",
        ASSESSOR,
        {"tool": "brook_traffic_light", "justification": "Invented justification."},
    ),
    api("POST", "/assessments/{assessment_started}/sections/", ASSESSOR, SECTIONS_DONE),
    api(
        "POST",
        "/assessments/{assessment_started}/contributions/",
        ASSESSOR,
        lambda v: {"agency": v["agency"], "summary": "Invented contribution."},
    ),
    api(
        "POST",
        "/assessments/{assessment_started}/submit/",
        ASSESSOR,
        lambda v: {**SUBMIT, "recommended_route": v["route"]},
    ),
    api("POST", "/assessments/{assessment_submitted}/authorise/", REVIEWER, {}),
    api(
        "POST",
        "/assessments/{assessment_submitted}/return/",
        REVIEWER,
        {"comments": "Invented comments."},
    ),
    # --- API: feedback on the process (partnership statement 3.8)
    api("GET", "/partnership/process-feedback/", SEES_CASE, probe="listed", listed="feedback"),
    api("GET", "/partnership/process-feedback/?case={case}", SEES_CASE),
    api(
        "POST",
        "/partnership/process-feedback/",
        WORKS_CASE,
        lambda v: {**FEEDBACK, "case": v["case"]},
    ),
    # --- API: pathways (configuration; read within the area)
    api("GET", "/pathways/", anyone),
    api("GET", "/pathways/{pathway}/", READS_PATHWAYS),
    api("GET", "/pathways/{pathway}/versions/", READS_PATHWAYS),
    api("POST", "/pathways/validate/", anyone, lambda v: {"yaml": v["yaml"]}),
    api("GET", "/pathways/versions/{version}/", READS_PATHWAYS),
    api("GET", "/pathways/versions/{version}/export/", READS_PATHWAYS),
    api("GET", "/pathways/versions/{draft}/diff/?against={version}", READS_PATHWAYS),
    api(
        "PUT",
        "/pathways/versions/{draft}/",
        EDITS_PATHWAYS,
        lambda v: {"yaml": v["yaml"]},
    ),
    api("POST", "/pathways/versions/{draft}/publish/", EDITS_PATHWAYS, {}),
    api(
        "POST",
        "/pathways/versions/import/",
        EDITS_PATHWAYS,
        lambda v: {"area": v["area"], "yaml": v["yaml"].replace("key: default", "key: alt")},
    ),
    # --- Pages: my work
    page("GET", "/work/", anyone),
    page("GET", "/work/tasks/", TASKS, probe="listed", listed="case"),
    page("GET", "/work/cases/", MY_CASES, probe="listed", listed="case"),
    page("GET", "/work/cases/{case}/", SEES_CASE),
    page("POST", "/work/cases/{case}/transition/", MOVES_OWN_CASE, _transition_form),
    page(
        "POST",
        "/work/cases/{case}/lead/",
        DESIGNATES,
        lambda v: {"practitioner": v["lead_candidate"], "reason": "Invented handover."},
    ),
    page(
        "POST",
        "/work/cases/{case}/team/",
        WORKS_CASE,
        lambda v: {"team-agency": v["agency"], "team-role_on_case": "Invented consultant"},
    ),
    page(
        "POST",
        "/work/cases/{case}/team/{member}/remove/",
        WORKS_CASE,
        lambda v: {f"remove-{v['member']}-reason": "Invented: left the team."},
    ),
    page(
        "POST",
        "/work/cases/{case}/views/",
        WORKS_CASE,
        {"view-holder": "child", "view-view": "Invented."},
    ),
    page(
        "POST",
        "/work/cases/{case}/sharing-decisions/",
        WORKS_CASE,
        lambda v: {
            **{f"sharing-{key}": value for key, value in SHARING.items()},
            "sharing-recipient_agency": v["agency"],
        },
    ),
    page("POST", "/work/cases/{case}/notes/", WORKS_CASE, {"note-text": "Invented note."}),
    page("GET", "/work/cases/{case}/chronology/", SEES_CASE),
    page("GET", "/work/cases/{case}/chronology.csv", SEES_CASE),
    page("GET", "/work/cases/{case}/chronology.pdf", SEES_CASE),
    page("GET", "/work/cases/{case}/access-log/", STEWARD),
    page("GET", "/work/cases/{case}/process-feedback/", SEES_CASE),
    page("POST", "/work/cases/{case}/process-feedback/", WORKS_CASE, FEEDBACK),
    page(
        "POST",
        "/work/cases/{case}/access-grants/",
        STEWARD,
        lambda v: {
            "grant-user": v["grant_candidate"],
            "grant-kind": "consultant",
            "grant-reason": "Invented.",
        },
    ),
    page(
        "POST",
        "/work/cases/{case}/access-grants/{grant}/revoke/",
        STEWARD,
        lambda v: {f"revoke-{v['grant']}-reason": ""},
    ),
    # --- Pages: access
    page("GET", "/work/access/shared-with-me/", RECIPIENT, probe="listed", listed="decision"),
    page("GET", "/work/access/shared-with-me/{decision}/", RECIPIENT),
    page("GET", "/work/access/break-glass/", CASEWORK_BOTH),
    page(
        "POST",
        "/work/access/break-glass/",
        BREAKS_GLASS,
        lambda v: {"case": v["case"], "reason": "Invented: the child is missing tonight."},
    ),
    page("GET", "/work/access/break-glass/reviews/", REVIEWER, probe="listed", listed="review"),
    page("GET", "/work/access/break-glass/reviews/{review}/", REVIEWER),
    page(
        "POST",
        "/work/access/break-glass/reviews/{review}/",
        REVIEWER,
        {"outcome": "justified", "notes": ""},
    ),
    # --- Pages: referrals
    page("GET", "/work/referrals/new/", REFERS),
    page("POST", "/work/referrals/new/", REFERS, {}, probe="reached"),
    page("GET", "/work/referrals/{referral}/", SEES_REFERRAL),
    page(
        "GET",
        "/work/referrals/decisions/",
        IN_ROLE_SCOPE,
        probe="listed",
        listed="repeat_decision",
    ),
    page("GET", "/work/referrals/decisions/{repeat_decision}/", IN_ROLE_SCOPE),
    page(
        "POST",
        "/work/referrals/decisions/{repeat_decision}/",
        DECIDES_REPEAT_REFERRAL,
        lambda v: {**DECIDE_NO_CHANGE, "expected_version": v["case_version"]},
    ),
    # --- Pages: assessments
    page("GET", "/work/assessments/request/{case}/", WORKS_CASE),
    page(
        "POST",
        "/work/assessments/request/{case}/",
        WORKS_CASE,
        {
            "request-assessment_type": "specialist_assessment",
            "request-type_justification": "Invented justification.",
        },
    ),
    page("GET", "/work/assessments/{assessment_requested}/", SEES_CASE),
    page(
        "POST",
        "/work/assessments/{assessment_requested}/start/",
        ASSESSOR,
        {"start-tool": "brook_traffic_light", "start-justification": "Invented justification."},
    ),
    page(
        "POST",
        "/work/assessments/{assessment_started}/sections/",
        ASSESSOR,
        {f"sections-{key}": text for key, text in SECTIONS_DONE.items()},
    ),
    page(
        "POST",
        "/work/assessments/{assessment_started}/contributions/",
        ASSESSOR,
        lambda v: {"contribution-agency": v["agency"], "contribution-summary": "Invented."},
    ),
    page(
        "POST",
        "/work/assessments/{assessment_started}/submit/",
        ASSESSOR,
        lambda v: {
            **{f"submit-{key}": value for key, value in SUBMIT.items()},
            "submit-recommended_route": v["route"],
        },
    ),
    page(
        "POST",
        "/work/assessments/{assessment_submitted}/authorise/",
        REVIEWER,
        lambda v: {"authorise-recommended_route": v["route"]},
    ),
    page(
        "POST",
        "/work/assessments/{assessment_submitted}/return/",
        REVIEWER,
        {"return-comments": "Invented comments."},
    ),
    # --- Pages: pathways
    page("GET", "/pathways_app/", anyone),
    page("GET", "/pathways_app/versions/{version}/", READS_PATHWAYS),
    page("GET", "/pathways_app/versions/{version}/export/", READS_PATHWAYS),
    page("GET", "/pathways_app/versions/{draft}/diff/?against={version}", READS_PATHWAYS),
    page(
        "POST",
        "/pathways_app/versions/{draft}/publish/",
        EDITS_PATHWAYS,
        {},
        probe="check",
        check=lambda v: PathwayVersion.objects.get(pk=v["draft"]).is_published,
    ),
]


# --- the records: tests/conftest.py (`invented_world`) and `matrix_world` below ------------------

OWN_AND_OTHER = """\
- **own**: the case of Ava (a child displaying HSB, invented), referred by the DSL's school,
  at the multi-agency HSB panel (specialist tier); its lead practitioner is the lead (early
  help team, the manager's team); the team member is on its team around the child; an
  information-sharing decision shares with each practitioner; its assessments were asked of
  the lead; a break-glass review of an early-help colleague; a consultant's access grant;
  a later referral about Ava from the DSL's school, which joined her open case and awaits the
  front door's decision; feedback on the process from Ava.
- **other**: Ben's case, referred by another school, at early help, led by a practitioner of
  another agency (the youth service), not overdue; its records, a decision shared with
  someone else, a review of a youth-service practitioner, a later referral awaiting its
  decision, feedback on the process from Ben; pathways of another area.
"""


def _repeat_referral(actor: Any, case_id: int) -> int:
    """A later referral about the case's child, through intake: it joins the open case and
    awaits the front door's decision (issue 16); the decision's id."""
    case = Case.objects.get(pk=case_id)
    referral = record_referral(
        actor=actor,
        received_at=timezone.now() - datetime.timedelta(hours=2),
        source="2A",
        description="Invented later incident at school.",
        parents_informed=True,
        behaviours=[
            {
                "continuum_level": "problematic",
                "traffic_light": BROOK_COLOUR["problematic"],
                "setting": "school",
            }
        ],
        children=[{"involvement": "displaying_hsb", "child_id": case.child_id}],
    )
    return RepeatReferralDecision.objects.get(referral=referral).pk


@pytest.fixture
def matrix_world(invented_world: Any) -> Any:
    """The invented world (tests/conftest.py) and, on each case, a repeat referral awaiting its
    decision and a child's feedback on the process, made through the services."""
    world = invented_world
    dsl, front_door = world.users[DSL], world.users[FD]
    own_case, other_case = world.own[DSL]["case"], world.other[DSL]["case"]
    # The other case's referrer is the other school's DSL: the front door records its repeat.
    own = {"repeat_decision": _repeat_referral(dsl, own_case)}
    other = {"repeat_decision": _repeat_referral(front_door, other_case)}
    for extra, case_id in ((own, own_case), (other, other_case)):
        extra["feedback"] = record_process_feedback(case=case_id, actor=front_door, **FEEDBACK).pk
        # Joining the case moved its version on: the cells' writes name the version it has now.
        extra["case_version"] = Case.objects.get(pk=case_id).lock_version
    for role in ROLES:
        world.own[role].update(own)
        world.other[role].update(other)
    return world


# --- running the cells -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    status: int
    allowed: bool
    shown: str  # what the table says


def _listed(response: Any, endpoint: Endpoint, values: dict[str, Any]) -> bool:
    target = values[endpoint.listed]
    if endpoint.api:
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        return any(row.get("id") == target for row in rows)
    marks = {
        "case": f"/work/cases/{target}/",
        "decision": f'data-decision="{target}"',
        "review": f'data-review="{target}"',
        "repeat_decision": f'data-decision="{target}"',
    }
    return marks[endpoint.listed] in response.content.decode()


def _request(client: Client, endpoint: Endpoint, values: dict[str, Any]) -> Any:
    url = endpoint.path.format(**values)
    data = endpoint.data(values) if callable(endpoint.data) else endpoint.data
    if endpoint.method == "GET":
        return client.get(url)
    if endpoint.api:
        return client.generic(
            endpoint.method, url, json.dumps(data or {}), content_type="application/json"
        )
    return client.post(url, data or {})


def run_cell(client: Client, endpoint: Endpoint, values: dict[str, Any]) -> Cell:
    with transaction.atomic():
        response = _request(client, endpoint, values)
        status = response.status_code
        if endpoint.probe == "listed":
            allowed = status == 200 and _listed(response, endpoint, values)
            shown = ("listed" if allowed else "not listed") if status == 200 else str(status)
        elif endpoint.probe == "reached":
            allowed = status not in (401, 403, 404, 405)
            shown = str(status)
        elif endpoint.probe == "check":
            assert endpoint.check is not None
            allowed = endpoint.check(values)
            shown = f"{status} {'done' if allowed else 'refused'}"
        else:
            allowed = 200 <= status < 400
            shown = str(status)
        transaction.set_rollback(True)
    return Cell(status, allowed, shown)


def run_matrix(world: Any) -> dict[tuple[str, str], tuple[Cell, Cell]]:
    clients = {}
    for role in ROLES:
        client = Client()
        client.force_login(world.users[role])
        clients[role] = client
    results: dict[tuple[str, str], tuple[Cell, Cell]] = {}
    for endpoint in ENDPOINTS:
        for role in ROLES:
            own = run_cell(clients[role], endpoint, world.own[role])
            other = run_cell(clients[role], endpoint, world.other[role])
            results[(endpoint.label, role)] = (own, other)
    return results


# --- the document ----------------------------------------------------------------------------

ROLE_RULES = [
    (
        "DSL / referrer",
        "the referrals their agency made (or they recorded) and each child's outcome "
        "(the stage); no case file",
        "`cases.referrals.selectors.referrals_visible_to`",
    ),
    (
        "Front-door screening practitioner",
        "every case and referral of their area",
        "`cases.selectors.role_scope`",
    ),
    (
        "Lead practitioner",
        "the cases they lead, and those they are on the team around the child",
        "`cases.selectors.role_scope`",
    ),
    (
        "Team member",
        "the cases they are on (an active `TeamMember` row, `left_at` null)",
        "`cases.selectors.role_scope`",
    ),
    (
        "Team manager",
        "their team's cases (the team is their agency: the lead, or an active team member, "
        "belongs to it); every open case of the area with an overdue stage (breaches escalate "
        "to managers); every open case of the area with no lead yet (allocating the lead is a "
        "manager's job); authorises their team's assessments",
        "`cases.selectors.role_scope`, `assessments.permissions.is_reviewer`",
    ),
    (
        "HSB coordinator / panel member",
        "cases of their area at a specialist-tier stage now or before (through the HSB "
        "panel), and any they lead or are on: the panel needs its cases and their history, "
        "not the whole area",
        "`cases.selectors.role_scope`",
    ),
    (
        "Partnership analyst",
        "aggregates only: no names or identifiers anywhere "
        "(`tests/test_analyst_sees_no_identifiers.py`)",
        "no case selector returns rows",
    ),
    (
        "System administrator",
        "configuration (pathways, agencies, users); no case content",
        "no case selector returns rows",
    ),
    ("Auditor", "the audit trail", "no case selector returns rows"),
]

INTRO = """\
# Permissions

Who may do what, by role. **Generated** by `tests/test_permission_matrix.py`: each role,
each endpoint, own or other record, is one request against invented data. Do not edit the
tables by hand: after a deliberate change, run `python manage.py permission_matrix --write`
and review the diff. The test fails while this file differs from what the code does.

## The rules (one home each)

| role | sees | rule lives in |
|---|---|---|
{role_rules}

On top of a role's rule:

- **Grants** (`cases.models.AccessGrant`, the audited record; guardian's `view_case` row with
  the same expiry is what opens the case): read-only access to one case for one practitioner
  of the case's area (a consultant, or an information-sharing recipient who needs the file),
  given and revoked by the case's lead or its team's manager, ending at its expiry without a
  job (`cases.selectors.view_grants`, `cases.backends`). A grant never lets anyone
  change the case (`cases.selectors.cases_by_role` decides writes).
- **Break glass**: a practitioner of a casework role may open a case of their area that they
  cannot see, saying why: read-only for four hours, audited as `case.break_glass`, and
  reviewed by a team manager of their agency ("Break-glass reviews").
- **Shared with me**: the recipient of a decision to share sees what was shared, why, by
  whom and about which child, never the case file (`cases.selectors.decisions_shared_with`).
- **Who may add to a case's record**: its lead, or a front-door practitioner, team manager
  or HSB coordinator whose rule shows them the case (`cases.services.can_work_on_case`).
- **Access log**: the case's lead practitioner and its team's managers.
- A record the user may not see answers **404**, exactly as one that does not exist; a page
  or endpoint their role never uses answers **403**; read-only access answers **403** to a
  write. Every read of a child, case, referral, assessment or sharing record, and every
  export, appends one audit event (`case.read`, `referral.read`, `assessment.read`,
  `sharing.read`, `child.read`, `chronology.exported`).

- **Pathway definitions** are walled by area (`pathways.permissions`): a user with an agency
  reads their own area's; its HSB coordinators and system administrators change them. The
  system administrator with no agency sets up every area's pathways but migrates no cases.
  Another area's pathway or version is a 404, on the pages and in the API alike.

Known gaps, outside this change: the pathway publish page answers a refusal of one's own
area's version with a redirect and a message rather than 403.

## The matrix

Each cell: **own · other** record. A status code (`200` read, `201` created, `302` done and
redirected, `400` refused by validation or state, `403` not for this role or read-only,
`404` not visible), or for lists whether the record is **listed**. The records:

{own_and_other}
"""


def render(results: dict[tuple[str, str], tuple[Cell, Cell]]) -> str:
    role_rules = "\n".join(f"| {role} | {sees} | {where} |" for role, sees, where in ROLE_RULES)
    lines = [INTRO.format(role_rules=role_rules, own_and_other=OWN_AND_OTHER)]
    for group in ("API", "Pages"):
        lines.append(f"### {group}\n")
        lines.append("| endpoint | " + " | ".join(SHORT[role] for role in ROLES) + " |")
        lines.append("|---|" + "---|" * len(ROLES))
        for endpoint in ENDPOINTS:
            if endpoint.group != group:
                continue
            cells = []
            for role in ROLES:
                own, other = results[(endpoint.label, role)]
                cells.append(f"{own.shown} · {other.shown}")
            lines.append(f"| `{endpoint.label}` | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def test_every_role_reaches_exactly_what_the_rules_allow_and_the_doc_says_so(matrix_world):
    world = matrix_world

    results = run_matrix(world)

    wrong = []
    for endpoint in ENDPOINTS:
        for role in ROLES:
            for own, cell in zip((True, False), results[(endpoint.label, role)], strict=True):
                expected = endpoint.rule(role, own)
                if cell.allowed != expected:
                    wrong.append(
                        f"{endpoint.label} as {role} ({'own' if own else 'other'}): "
                        f"expected {'allow' if expected else 'deny'}, got {cell.shown}"
                    )
    assert not wrong, "\n".join(wrong)
    document = render(results)
    # The section from this heading on is tests/test_cross_area_matrix.py's: kept as it is.
    committed, heading, cross_area = (DOC.read_text() if DOC.exists() else "").partition(
        "\n## Cross-area matrix\n"
    )
    if WRITE:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(document + heading + cross_area)
        committed = document
    assert DOC.exists(), "docs/permissions.md is missing: run manage.py permission_matrix --write"
    assert committed == document, (
        "docs/permissions.md differs from the permissions the code enforces: "
        "run `python manage.py permission_matrix --write` and review the diff"
    )
