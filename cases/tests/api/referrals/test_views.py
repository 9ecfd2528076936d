import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.models import Case, Child, Referral
from cases.referrals.services import record_referral
from cases.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _area_child(**details):
    """A child of the test area (their school is in it): one a referrer there may name."""
    return ChildFactory(school=AgencyFactory(), **details)


LIST = "api:cases:referral-list"
DUPLICATES = "api:cases:referral-duplicates"
TODAY = datetime.date.today()


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _born(years: int) -> str:
    return TODAY.replace(year=TODAY.year - years).isoformat()


def _payload(**overrides):
    payload = {
        "received_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral: behaviour seen in the playground.",
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [
            {
                "involvement": "displaying_hsb",
                "first_name": "Leo",
                "last_name": "Ashdown",
                "date_of_birth": _born(12),
                "gender": "boy",
            },
            {
                "involvement": "harmed",
                "first_name": "Mia",
                "last_name": "Kettleby",
                "date_of_birth": _born(9),
                "gender": "girl",
            },
        ],
        "parents_informed": True,
    }
    payload.update(overrides)
    return payload


def _counts():
    return (
        Referral.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def _refer(actor, first_name="Ava", **overrides):
    values = {
        "actor": actor,
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "description": "Invented referral.",
        "parents_informed": True,
        "behaviours": [
            {"continuum_level": "inappropriate", "traffic_light": "amber", "setting": "home"}
        ],
        "children": [
            {
                "involvement": "displaying_hsb",
                "first_name": first_name,
                "last_name": "Fairbrook",
                "date_of_birth": datetime.date(2014, 3, 1),
                "gender": "girl",
                "confirm_new": True,
            }
        ],
    }
    values.update(overrides)
    return record_referral(**values)


# --- recording ----------------------------------------------------------------------------


def test_a_dsl_records_a_referral_about_two_children(default_version, dsl):
    response = _client_for(dsl).post(reverse(LIST), _payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    referral = Referral.objects.get(pk=body["id"])
    assert referral.referring_agency_id == dsl.agency_id
    by_involvement = {row["involvement"]: row for row in body["children"]}
    harmed = Case.objects.get(pk=by_involvement["harmed"]["case_id"])
    displaying = Case.objects.get(pk=by_involvement["displaying_hsb"]["case_id"])
    assert harmed.involvement == "harmed" and harmed.child.first_name == "Mia"
    assert list(displaying.linked_cases.all()) == [harmed]
    assert by_involvement["harmed"]["outcome"] == "Initial decision"
    # A referrer sees where each child went, not the case file.
    assert by_involvement["harmed"]["case"] is None


def test_nested_shape_errors_come_back_as_dotted_field_messages(default_version, dsl):
    payload = _payload()
    payload["children"][1]["date_of_birth"] = "31/02/2015"
    payload["behaviours"][0]["traffic_light"] = "blue"
    before = _counts()

    response = _client_for(dsl).post(reverse(LIST), payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"children[1].date_of_birth", "behaviours[0].traffic_light"}
    assert _counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"children": [{"involvement": "displaying_hsb", "first_name": "Leo",
                        "last_name": "Ashdown", "date_of_birth": "2999-01-01"}]},
         "children[0].date_of_birth"),
        ({"children": [{"involvement": "displaying_hsb", "first_name": "Leo",
                        "last_name": "Ashdown", "date_of_birth": _born(18)}]},
         "children[0].date_of_birth"),
        ({"children": [{"involvement": "harmed", "first_name": "Mia",
                        "last_name": "Kettleby", "date_of_birth": _born(9)}]},
         "children"),
        ({"source": "11"}, "source"),
        ({"behaviours": []}, "behaviours"),
        ({"parents_informed": False}, "parents_not_informed_reason"),
    ],
)  # fmt: skip
def test_rule_breaches_are_400_with_the_field_named_and_nothing_written(
    default_version, dsl, change, field
):
    before = _counts()

    response = _client_for(dsl).post(reverse(LIST), _payload(**change), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert _counts() == before


def test_a_dsl_may_not_refer_for_another_agency(default_version, dsl):
    other = AgencyFactory(area=dsl.agency.area)

    response = _client_for(dsl).post(
        reverse(LIST), _payload(referring_agency=other.pk), format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed_to_refer"


def test_a_lead_practitioner_may_not_record_referrals(default_version, lead_practitioner):
    response = _client_for(lead_practitioner).post(reverse(LIST), _payload(), format="json")

    assert response.status_code == 403


# --- likely duplicates --------------------------------------------------------------------


def test_a_likely_duplicate_is_proposed_then_linked(default_version, dsl):
    existing = _area_child(first_name="Mia", last_name="Kettleby", date_of_birth=_born(9))
    client = _client_for(dsl)

    proposed = client.post(reverse(LIST), _payload(), format="json")

    assert proposed.status_code == 400
    body = proposed.json()
    assert body["code"] == "possible_duplicate"
    assert list(body["fields"]) == ["children[1]"]
    assert body["candidates"]["children[1]"] == [
        {
            "id": existing.pk,
            "reference": existing.reference,
            "name": "Mia Kettleby",
            "date_of_birth": _born(9),
        }
    ]

    payload = _payload()
    payload["children"][1] = {"involvement": "harmed", "child_id": existing.pk}
    linked = client.post(reverse(LIST), payload, format="json")

    assert linked.status_code == 201, linked.json()
    harmed = next(row for row in linked.json()["children"] if row["involvement"] == "harmed")
    assert harmed["child"]["id"] == existing.pk


def test_confirming_a_different_child_creates_a_new_record(default_version, dsl):
    existing = _area_child(first_name="Mia", last_name="Kettleby", date_of_birth=_born(9))
    payload = _payload()
    payload["children"][1]["confirm_new"] = True

    response = _client_for(dsl).post(reverse(LIST), payload, format="json")

    assert response.status_code == 201, response.json()
    harmed = next(row for row in response.json()["children"] if row["involvement"] == "harmed")
    assert harmed["child"]["id"] != existing.pk


def test_the_duplicates_endpoint_lists_candidates(dsl):
    existing = _area_child(first_name="Zara", last_name="Marlowe", date_of_birth=_born(10))
    _area_child(first_name="Oscar", last_name="Underhill", date_of_birth=_born(10))

    response = _client_for(dsl).post(
        reverse(DUPLICATES),
        {"first_name": "zara", "last_name": "Marlow", "date_of_birth": _born(10)},
        format="json",
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["candidates"]] == [existing.pk]


def test_the_duplicates_endpoint_needs_an_intake_role_and_valid_input(dsl, lead_practitioner):
    query = {"first_name": "Zara", "last_name": "Marlowe", "date_of_birth": _born(10)}

    assert _client_for(lead_practitioner).post(reverse(DUPLICATES), query).status_code == 403
    assert APIClient().post(reverse(DUPLICATES), query).status_code == 401
    bad = _client_for(dsl).post(reverse(DUPLICATES), {"first_name": "Zara"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"last_name", "date_of_birth"}


# --- reading ------------------------------------------------------------------------------


def test_a_dsl_lists_their_agencys_referrals_with_outcomes_but_no_case_file(
    default_version, dsl, make_user
):
    mine = _refer(dsl)
    _refer(make_user(Role.DSL), first_name="Evie")  # another school in the area

    response = _client_for(dsl).get(reverse(LIST))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    child = rows[0]["children"][0]
    assert child["outcome"] == "Initial decision"
    assert child["case"] is None


def test_the_front_door_lists_the_areas_referrals_with_their_cases(
    default_version, dsl, front_door, coordinator
):
    referral = _refer(dsl)
    elsewhere = UserFactory(
        role=Role.FRONT_DOOR, agency=AgencyFactory(area=LocalAreaFactory(name="Elsewhere"))
    )

    # An HSB coordinator sees a referral once one of its cases reaches the specialist tier.
    assert _client_for(coordinator).get(reverse(LIST)).json()["results"] == []
    for user in (front_door,):
        rows = _client_for(user).get(reverse(LIST)).json()["results"]
        assert [row["id"] for row in rows] == [referral.pk]
        case = rows[0]["children"][0]["case"]
        assert case == {
            "id": rows[0]["children"][0]["case_id"],
            "closed": False,
            "repeat_concern": False,
        }
    assert _client_for(elsewhere).get(reverse(LIST)).json()["results"] == []


def test_a_lead_practitioner_lists_no_referrals(default_version, dsl, lead_practitioner):
    _refer(dsl)

    assert _client_for(lead_practitioner).get(reverse(LIST)).json()["results"] == []


def test_a_referral_outside_the_users_view_is_404(default_version, dsl, make_user):
    referral = _refer(dsl)
    url = reverse("api:cases:referral-detail", args=[referral.pk])

    assert _client_for(make_user(Role.DSL)).get(url).status_code == 404
    body = _client_for(dsl).get(url).json()
    assert body["description"] == "Invented referral."
    assert body["behaviours"][0]["setting"] == "home"


@pytest.mark.parametrize("role", [Role.DSL, Role.FRONT_DOOR])
def test_the_referral_list_costs_the_same_queries_for_3_and_30_referrals(
    default_version, dsl, make_user, role, read_audit_queries
):
    reader = dsl if role == Role.DSL else make_user(role)
    client = _client_for(reader)
    for index in range(3):
        _refer(dsl, first_name=f"Child{index:02d}")
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(reverse(LIST)).json()["results"]) == 3
    for index in range(3, 30):
        _refer(dsl, first_name=f"Child{index:02d}")
    with CaptureQueriesContext(connection) as thirty:
        assert len(client.get(reverse(LIST)).json()["results"]) == 30

    assert len(thirty) == len(three) <= 6 + read_audit_queries
