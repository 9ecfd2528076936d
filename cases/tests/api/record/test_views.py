"""Case record endpoints: team, views, sharing decisions, notes and the chronology."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from audit.models import AuditEvent
from cases.models import CaseNote, InformationSharingDecision, RecordedView, TeamMember
from cases.services import (
    add_case_note,
    add_team_member,
    record_information_sharing_decision,
    record_view,
)
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def agency(area):
    return AgencyFactory(area=area, name="Northwold Academy")


@pytest.fixture
def client(front_door):
    return _client_for(front_door)


def _url(name, case, *args):
    return reverse(f"api:cases:{name}", args=[case.pk, *args])


SHARING = {
    "decision": "share",
    "information": "Safety plan for school.",
    "purpose": "Keep both children safe at school.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}


# --- team around the child -------------------------------------------------------------------


def test_adding_and_listing_the_team(client, case, agency, make_user):
    teacher = make_user(Role.DSL, agency=agency)

    created = client.post(
        _url("case-team", case),
        {"agency": agency.pk, "practitioner": teacher.pk, "role_on_case": "School DSL"},
        format="json",
    )
    listed = client.get(_url("case-team", case))

    assert created.status_code == 201, created.json()
    assert created.json()["practitioner"] == {"id": teacher.pk, "name": str(teacher)}
    assert [row["role_on_case"] for row in listed.json()["results"]] == ["School DSL"]


def test_a_practitioner_from_another_agency_gets_a_field_message(client, case, agency, make_user):
    response = client.post(
        _url("case-team", case),
        {"agency": agency.pk, "practitioner": make_user().pk, "role_on_case": "Tutor"},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_team_member"
    assert "practitioner" in body["fields"]
    assert not TeamMember.objects.exists()


def test_removing_a_team_member_needs_a_reason(client, case, agency, front_door):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)
    url = _url("case-team-remove", case, member.pk)

    refused = client.post(url, {}, format="json")
    removed = client.post(url, {"reason": "Moved school."}, format="json")

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"reason": ["A reason is required."]}
    assert removed.status_code == 200
    assert removed.json()["left_at"] is not None


def test_a_member_of_another_case_is_404(client, case, default_version, agency, front_door):
    other = open_case(version=default_version, actor=front_door)
    member = add_team_member(case=other, agency=agency, role_on_case="School", actor=front_door)

    response = client.post(
        _url("case-team-remove", case, member.pk), {"reason": "x"}, format="json"
    )

    assert response.status_code == 404


# --- views, sharing decisions, notes ---------------------------------------------------------


def test_recording_and_listing_views(client, case):
    created = client.post(
        _url("case-views", case),
        {"holder": "parent_carer", "holder_description": "Mother", "view": "We want help."},
        format="json",
    )
    listed = client.get(_url("case-views", case)).json()["results"]

    assert created.status_code == 201, created.json()
    assert listed[0]["holder_label"] == "Parent or carer"
    assert listed[0]["view"] == "We want help."


def test_a_view_with_an_unknown_holder_is_a_400(client, case):
    response = client.post(
        _url("case-views", case), {"holder": "neighbour", "view": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "holder" in response.json()["fields"]


def test_recording_a_decision_not_to_share(client, case, agency):
    response = client.post(
        _url("case-sharing-decisions", case),
        {**SHARING, "decision": "not_share", "recipient_agency": agency.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["decision"] == "not_share"
    listed = client.get(_url("case-sharing-decisions", case)).json()["results"]
    assert [row["decision"] for row in listed] == ["not_share"]


def test_an_override_without_who_or_why_gets_field_messages(client, case, agency):
    response = client.post(
        _url("case-sharing-decisions", case),
        {**SHARING, "consent": "overridden", "recipient_agency": agency.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_sharing_decision"
    assert set(response.json()["fields"]) == {"consent_reason", "overridden_by"}
    assert not InformationSharingDecision.objects.exists()


def test_a_named_override_is_recorded(client, case, agency, manager):
    response = client.post(
        _url("case-sharing-decisions", case),
        {
            **SHARING,
            "consent": "overridden",
            "consent_reason": "Risk of significant harm to a sibling.",
            "overridden_by": manager.pk,
            "recipient_agency": agency.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["overridden_by"]["id"] == manager.pk


def test_adding_and_listing_notes(client, case):
    created = client.post(_url("case-notes", case), {"text": "Called the DSL."}, format="json")
    blank = client.post(_url("case-notes", case), {"text": ""}, format="json")

    assert created.status_code == 201
    assert blank.status_code == 400
    assert [row["text"] for row in client.get(_url("case-notes", case)).json()["results"]] == [
        "Called the DSL."
    ]


# --- visibility ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "case-team"),
    ("post", "case-team"),
    ("get", "case-views"),
    ("post", "case-views"),
    ("get", "case-sharing-decisions"),
    ("post", "case-sharing-decisions"),
    ("get", "case-notes"),
    ("post", "case-notes"),
    ("get", "case-chronology"),
    ("get", "case-chronology-csv"),
    ("get", "case-chronology-pdf"),
]


@pytest.mark.parametrize(("method", "name"), ENDPOINTS)
def test_a_case_the_user_may_not_see_is_404(case, make_user, method, name):
    stranger = _client_for(make_user(Role.LEAD_PRACTITIONER))

    response = getattr(stranger, method)(_url(name, case), {}, format="json")

    assert response.status_code == 404
    assert not CaseNote.objects.exists() and not RecordedView.objects.exists()
    assert not AuditEvent.objects.filter(action="chronology.exported").exists()


def test_removing_a_member_of_an_unseen_case_is_404(case, agency, front_door, make_user):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)
    stranger = _client_for(make_user(Role.LEAD_PRACTITIONER))

    response = stranger.post(_url("case-team-remove", case, member.pk), {"reason": "x"})

    assert response.status_code == 404
    member.refresh_from_db()
    assert member.left_at is None


def test_anonymous_calls_are_refused(case):
    assert APIClient().get(_url("case-notes", case)).status_code == 401


# --- chronology ------------------------------------------------------------------------------


def test_the_chronology_filters_by_kind_and_date(client, case, front_door):
    add_case_note(case=case, text="A note.", actor=front_door)
    record_view(case=case, holder="child", view="A view.", actor=front_door)
    today = case.stage_entered_at.date().isoformat()

    everything = client.get(_url("case-chronology", case)).json()
    notes = client.get(_url("case-chronology", case), {"kinds": "note,view", "from": today})

    assert [row["kind"] for row in everything["results"]] == ["stage_move", "note", "view"]
    assert everything["count"] == 3
    assert [row["title"] for row in notes.json()["results"]] == [
        "Case note",
        "View recorded: The child",
    ]
    assert client.get(_url("case-chronology", case), {"to": "2000-01-01"}).json()["count"] == 0


def test_bad_chronology_filters_get_field_messages(client, case):
    response = client.get(
        _url("case-chronology", case), {"kinds": "gossip", "from": "2026-02-01", "to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert "kinds" in response.json()["fields"]


def test_back_to_front_dates_are_a_400(client, case):
    response = client.get(_url("case-chronology", case), {"from": "2026-02-01", "to": "2026-01-01"})

    assert response.status_code == 400
    assert "to" in response.json()["fields"]


def test_the_chronology_is_paginated(client, case, front_door):
    for number in range(60):
        CaseNote.objects.create(
            case=case, text=f"Note {number}", written_at=case.stage_entered_at, author=front_door
        )

    first = client.get(_url("case-chronology", case)).json()
    second = client.get(_url("case-chronology", case), {"page": 2}).json()

    assert first["count"] == 61
    assert len(first["results"]) == 50 and len(second["results"]) == 11


def test_csv_export_is_a_neutralised_attachment_and_audited(client, case, front_door):
    add_case_note(case=case, text='=HYPERLINK("http://example.invalid")', actor=front_door)

    response = client.get(_url("case-chronology-csv", case), {"kinds": "note"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")
    assert AuditEvent.objects.filter(
        action="chronology.exported", object_id=str(case.child_id)
    ).exists()


def test_pdf_export_is_a_pdf_and_audited(client, case):
    response = client.get(_url("case-chronology-pdf", case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.get(action="chronology.exported").changes["format"] == "pdf"


def test_the_csv_can_be_asked_for_by_media_type(client, case):
    response = client.get(_url("case-chronology-csv", case), HTTP_ACCEPT="text/csv")

    assert response.status_code == 200


# --- query counts ----------------------------------------------------------------------------


def _team(case, actor, agency, number):
    add_team_member(case=case, agency=agency, role_on_case=f"Role {number}", actor=actor)


def _view(case, actor, agency, number):
    record_view(case=case, holder="child", view=f"View {number}", actor=actor)


def _decision(case, actor, agency, number):
    record_information_sharing_decision(
        case=case, recipient_agency=agency, actor=actor, **{**SHARING, "information": str(number)}
    )


def _note(case, actor, agency, number):
    add_case_note(case=case, text=f"Note {number}", actor=actor)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("case-team", _team),
        ("case-views", _view),
        ("case-sharing-decisions", _decision),
        ("case-notes", _note),
        ("case-chronology", _note),
    ],
)
def test_list_endpoints_use_the_same_queries_for_3_and_30_rows(
    client, case, front_door, agency, name, make, read_audit_queries
):
    for number in range(3):
        make(case, front_door, agency, number)
    with CaptureQueriesContext(connection) as three:
        assert client.get(_url(name, case)).status_code == 200
    for number in range(3, 30):
        make(case, front_door, agency, number)
    with CaptureQueriesContext(connection) as thirty:
        body = client.get(_url(name, case)).json()

    assert body["count"] >= 30
    assert len(thirty) == len(three) <= 10 + read_audit_queries
