"""Every read of a child, case, referral, assessment or sharing record appends one audit
event, in the request; a list appends one event naming the ids it showed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from assessments.tests.factories import early_help_case
from audit.models import AuditEvent
from cases.referrals.services import record_referral
from cases.services import record_information_sharing_decision
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _reads(action="case.read"):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_the_case_page_appends_one_read_naming_who_role_agency_and_request(
    client, case, lead_practitioner
):
    client.force_login(lead_practitioner)

    response = client.get(
        reverse("cases:case_detail", args=[case.pk]),
        HTTP_X_REQUEST_ID="req-matrix-1",
        REMOTE_ADDR="192.0.2.10",
    )

    assert response.status_code == 200
    [event] = _reads()
    assert (event.actor, event.actor_role, event.actor_agency_id) == (
        lead_practitioner,
        Role.LEAD_PRACTITIONER,
        lead_practitioner.agency_id,
    )
    assert (event.object_type, event.object_id) == ("cases.case", str(case.pk))
    assert (event.request_id, event.client_address) == ("req-matrix-1", "192.0.2.10")


def test_the_case_api_appends_one_read_per_detail(case, lead_practitioner):
    client = _api(lead_practitioner)

    client.get(reverse("api:cases:case-detail", args=[case.pk]))
    client.get(reverse("api:cases:case-notes", args=[case.pk]))

    detail, notes = _reads()
    assert detail.changes == {}
    assert notes.changes == {"section": "notes", "ids": []}


def test_an_unseen_case_answers_404_and_records_no_read(case, make_user):
    stranger = make_user(Role.LEAD_PRACTITIONER)

    response = _api(stranger).get(reverse("api:cases:case-detail", args=[case.pk]))

    assert response.status_code == 404
    assert _reads() == []


@pytest.mark.parametrize("count", [3, 30])
def test_a_list_appends_one_read_naming_the_ids_shown(count, default_version, front_door):
    cases = [open_case(version=default_version, actor=front_door) for _ in range(count)]

    response = _api(front_door).get(reverse("api:cases:case-list"))

    assert response.status_code == 200
    [event] = _reads()
    assert event.object_id == "list"
    assert sorted(event.changes["ids"]) == sorted(case.pk for case in cases)


def test_pages_of_lists_record_what_they_showed(client, default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    client.force_login(front_door)

    client.get(reverse("cases:cases"))
    client.get(reverse("cases:tasks"))

    assert [event.changes["ids"] for event in _reads()] == [[case.pk], [case.pk]]


def test_referral_reads_are_audited(client, default_version, make_user):
    dsl = make_user(Role.DSL)
    referral = record_referral(
        actor=dsl,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        description="Invented referral.",
        parents_informed=True,
        behaviours=[
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "home"}
        ],
        children=[
            {
                "involvement": "displaying_hsb",
                "first_name": "Ivy",
                "last_name": "Readwell",
                "date_of_birth": datetime.date(2014, 4, 1),
                "gender": "girl",
            }
        ],
    )
    client.force_login(dsl)

    client.get(reverse("cases:referral_detail", args=[referral.pk]))
    _api(dsl).get(reverse("api:cases:referral-list"))

    detail, listing = _reads("referral.read")
    assert detail.object_id == str(referral.pk)
    assert listing.changes["ids"] == [referral.pk]


def test_assessment_reads_are_audited_but_not_the_answer_to_a_write(
    case, lead_practitioner, client
):
    client.force_login(lead_practitioner)
    api = _api(lead_practitioner)

    created = api.post(
        reverse("api:assessments:assessment-list"),
        {"case": case.pk, "assessment_type": "nice_early_help_assessment"},
        format="json",
    )
    assessment_id = created.json()["id"]
    api.get(reverse("api:assessments:assessment-detail", args=[assessment_id]))
    client.get(reverse("assessments:assessment_detail", args=[assessment_id]))

    reads = _reads("assessment.read")
    assert [event.object_id for event in reads] == [str(assessment_id)] * 2
    assert reads[0].changes == {"case": case.pk}


def test_what_was_shared_is_audited_when_the_recipient_reads_it(case, lead_practitioner, make_user):
    recipient = make_user(Role.DSL)
    decision = record_information_sharing_decision(
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

    _api(recipient).get(reverse("api:cases:shared-with-me-detail", args=[decision.pk]))

    [event] = _reads("sharing.read")
    assert (event.object_type, event.object_id) == (
        "cases.informationsharingdecision",
        str(decision.pk),
    )


def test_a_duplicate_lookup_is_a_read_of_the_children_it_proposes(case, front_door):
    child = case.child

    _api(front_door).post(
        reverse("api:cases:referral-duplicates"),
        {
            "first_name": child.first_name,
            "last_name": child.last_name,
            "date_of_birth": child.date_of_birth.isoformat(),
        },
        format="json",
    )

    [event] = _reads("child.read")
    assert event.changes["ids"] == [child.pk]


def test_an_export_is_one_event_as_before(case, lead_practitioner):
    _api(lead_practitioner).get(reverse("api:cases:case-chronology-csv", args=[case.pk]))

    assert len(_reads("chronology.exported")) == 1
    assert _reads() == []


def test_a_request_assessment_page_reads_the_case(case, lead_practitioner, client):
    client.force_login(lead_practitioner)

    client.get(reverse("assessments:assessment_request", args=[case.pk]))

    [event] = _reads()
    assert event.changes == {"section": "assessment_request"}
