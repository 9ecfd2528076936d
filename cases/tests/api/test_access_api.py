"""The access endpoints: shared with me, break glass and its review, access log and grants."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from assessments.tests.factories import early_help_case
from cases.access.services import request_break_glass_access
from cases.models import AccessGrant
from cases.services import designate_lead_practitioner, record_information_sharing_decision
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

REASON = "Invented: the child is missing and the police need the safety plan tonight."


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


def test_shared_with_me_gives_what_why_from_whom_and_which_child_and_nothing_else(
    case, lead_practitioner, make_user
):
    recipient = make_user(Role.DSL)
    record_information_sharing_decision(
        case=case,
        decision="share",
        information="Invented: the safety plan.",
        recipient_agency=recipient.agency,
        recipient_practitioner=recipient,
        purpose="Keep the children apart at school.",
        lawful_basis="public_task_safeguarding",
        consent="given",
        actor=lead_practitioner,
    )

    [row] = _api(recipient).get(reverse("api:cases:shared-with-me")).json()["results"]

    assert row["child"] == {"reference": case.child.reference, "name": case.child.full_name}
    assert row["information"] == "Invented: the safety plan."
    assert row["purpose"] == "Keep the children apart at school."
    assert row["shared_by"]["id"] == lead_practitioner.pk
    assert "date_of_birth" not in str(row) and "case" not in row


def test_a_decision_not_to_share_is_not_shared_with_anyone(case, lead_practitioner, make_user):
    recipient = make_user(Role.DSL)
    record_information_sharing_decision(
        case=case,
        decision="not_share",
        information="Invented.",
        recipient_agency=recipient.agency,
        recipient_practitioner=recipient,
        purpose="Not proportionate.",
        lawful_basis="public_task_safeguarding",
        consent="refused",
        actor=lead_practitioner,
    )

    assert _api(recipient).get(reverse("api:cases:shared-with-me")).json()["count"] == 0


def test_analysts_cannot_be_named_as_recipients(case, lead_practitioner, make_user):
    analyst = make_user(Role.ANALYST)

    response = _api(lead_practitioner).post(
        reverse("api:cases:case-sharing-decisions", args=[case.pk]),
        {
            "decision": "share",
            "information": "Invented.",
            "recipient_agency": analyst.agency_id,
            "recipient_practitioner": analyst.pk,
            "purpose": "Invented.",
            "lawful_basis": "public_task_safeguarding",
            "consent": "given",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "recipient_practitioner" in response.json()["fields"]


def test_break_glass_through_the_api_reads_but_never_writes(case, make_user):
    practitioner = make_user(Role.LEAD_PRACTITIONER)
    client = _api(practitioner)

    granted = client.post(
        reverse("api:cases:break-glass"), {"case": case.pk, "reason": REASON}, format="json"
    )

    assert granted.status_code == 201, granted.json()
    assert granted.json()["kind"] == "break_glass" and granted.json()["active"]
    assert client.get(reverse("api:cases:case-detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("api:cases:case-transitions", args=[case.pk])).json() == []
    moved = client.post(
        reverse("api:cases:case-transitions", args=[case.pk]),
        {"transition": "close_early_help", "expected_version": case.lock_version},
        format="json",
    )
    noted = client.post(
        reverse("api:cases:case-notes", args=[case.pk]), {"text": "Invented."}, format="json"
    )
    assert moved.status_code == noted.status_code == 403


def test_break_glass_without_a_reason_is_a_400(case, make_user):
    response = _api(make_user(Role.TEAM_MEMBER)).post(
        reverse("api:cases:break-glass"), {"case": case.pk, "reason": ""}, format="json"
    )

    assert response.status_code == 400
    assert not AccessGrant.objects.exists()


def test_the_manager_lists_and_reviews_break_glass_through_the_api(
    default_version, front_door, manager, make_user
):
    other_teams = open_case(version=default_version, actor=front_door)
    designate_lead_practitioner(
        case=other_teams, practitioner=make_user(Role.LEAD_PRACTITIONER), actor=front_door
    )
    practitioner = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)
    grant = request_break_glass_access(case_id=other_teams.pk, actor=practitioner, reason=REASON)
    client = _api(manager)

    [row] = client.get(reverse("api:cases:break-glass-reviews")).json()["results"]
    reviewed = client.post(
        reverse("api:cases:break-glass-review", args=[row["id"]]),
        {"outcome": "justified"},
        format="json",
    )
    again = client.post(
        reverse("api:cases:break-glass-review", args=[row["id"]]),
        {"outcome": "justified"},
        format="json",
    )

    assert row["practitioner"]["id"] == practitioner.pk and row["reason"] == REASON
    assert reviewed.status_code == 200 and reviewed.json()["outcome"] == "justified"
    assert again.status_code == 409
    assert grant.review.pk == row["id"]


def test_the_access_log_api_lists_reads_and_grants_newest_first(
    case, lead_practitioner, front_door, make_user
):
    _api(front_door).get(reverse("api:cases:case-detail", args=[case.pk]))
    request_break_glass_access(case_id=case.pk, actor=make_user(Role.TEAM_MEMBER), reason=REASON)

    rows = _api(lead_practitioner).get(reverse("api:cases:case-access-log", args=[case.pk]))

    actions = [row["action"] for row in rows.json()["results"]]
    assert actions[:2] == ["case.break_glass", "case.read"]
    assert rows.json()["results"][1]["actor_role"] == Role.FRONT_DOOR
    assert rows.json()["results"][1]["actor_agency"] == front_door.agency.name


def test_the_access_log_is_for_stewards_only(case, front_door, make_user):
    seen_not_steward = _api(front_door).get(reverse("api:cases:case-access-log", args=[case.pk]))
    unseen = _api(make_user(Role.LEAD_PRACTITIONER)).get(
        reverse("api:cases:case-access-log", args=[case.pk])
    )

    assert (seen_not_steward.status_code, unseen.status_code) == (403, 404)


def test_the_access_log_costs_the_same_queries_for_3_and_30_reads(
    case, lead_practitioner, front_door
):
    reader = _api(front_door)
    client = _api(lead_practitioner)
    url = reverse("api:cases:case-access-log", args=[case.pk])
    for _ in range(3):
        reader.get(reverse("api:cases:case-detail", args=[case.pk]))
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    for _ in range(27):
        reader.get(reverse("api:cases:case-detail", args=[case.pk]))
    with CaptureQueriesContext(connection) as thirty:
        body = client.get(url).json()

    assert body["count"] >= 30
    assert len(thirty) == len(three)


def test_grants_through_the_api(case, lead_practitioner, make_user):
    consultant = make_user(Role.TEAM_MEMBER)
    client = _api(lead_practitioner)

    created = client.post(
        reverse("api:cases:case-access-grants", args=[case.pk]),
        {"user": consultant.pk, "kind": "consultant", "reason": "Advice on the plan."},
        format="json",
    )
    listed = client.get(reverse("api:cases:case-access-grants", args=[case.pk])).json()
    revoked = client.post(
        reverse("api:cases:case-access-grant-revoke", args=[case.pk, created.json()["id"]]),
        {"reason": "Advice given."},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert [row["user"]["id"] for row in listed["results"]] == [consultant.pk]
    assert revoked.status_code == 200 and not revoked.json()["active"]
    assert _api(consultant).get(reverse("api:cases:case-detail", args=[case.pk])).status_code == 404
