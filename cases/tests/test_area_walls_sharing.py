"""Information sharing across an area's wall (issue 12, item 3, the sharing part).

Within the area as before. With an agency of another area only as an explicit, audited
cross-area decision; the recipient then sees what was shared, never the case file. The
service checks the recipients, so the API and the page are held to the same rules.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.exceptions import InvalidSharingDecision
from cases.models import InformationSharingDecision
from cases.selectors import cases_visible_to, decisions_shared_with
from cases.services import record_information_sharing_decision
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

SHARING = {
    "decision": "share",
    "information": "Invented: the safety plan for the new school.",
    "purpose": "The child is moving to a school in the neighbouring area.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def here(area):
    return AgencyFactory(area=area, name="Northwold Academy")


@pytest.fixture
def there():
    return AgencyFactory(area=LocalAreaFactory(name="Southmere"), name="Southmere High")


@pytest.fixture
def their_dsl(there):
    return UserFactory(role=Role.DSL, agency=there)


def _share(case, actor, agency, **overrides):
    return record_information_sharing_decision(
        case=case, actor=actor, recipient_agency=agency, **{**SHARING, **overrides}
    )


def _counts():
    return InformationSharingDecision.objects.count(), AuditEvent.objects.count()


def _refused(case, actor, agency, **overrides):
    before = _counts()
    with pytest.raises(InvalidSharingDecision) as refused:
        _share(case, actor, agency, **overrides)
    assert _counts() == before, "a refused decision writes nothing"
    return refused.value


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(case):
    return f"/api/cases/{case.pk}/sharing-decisions/"


# --- the service ------------------------------------------------------------------------------


def test_another_areas_agency_needs_an_explicit_cross_area_decision(case, front_door, there):
    refused = _refused(case, front_door, there)

    assert list(refused.fields) == ["recipient_agency"]
    assert "another partnership area" in refused.fields["recipient_agency"][0]


def test_a_cross_area_decision_is_recorded_and_audited_as_one(case, front_door, there, their_dsl):
    decision = _share(case, front_door, there, recipient_practitioner=their_dsl, across_areas=True)

    event = AuditEvent.objects.get(action="case.information_sharing_decided")
    assert event.object_id == str(decision.pk)
    assert event.changes["across_areas"] is True
    assert event.changes["case_area"] == case.pathway_version.pathway.area_id
    assert event.changes["recipient_area"] == there.area_id
    assert event.changes["recipient_practitioner"] == their_dsl.pk


def test_a_decision_within_the_area_is_audited_as_not_crossing(case, front_door, here):
    _share(case, front_door, here)

    event = AuditEvent.objects.get(action="case.information_sharing_decided")
    assert event.changes["across_areas"] is False


def test_saying_cross_area_for_an_agency_of_the_area_is_refused(case, front_door, here):
    refused = _refused(case, front_door, here, across_areas=True)

    assert list(refused.fields) == ["across_areas"]


def test_the_recipient_elsewhere_sees_what_was_shared_never_the_case_file(
    case, front_door, there, their_dsl
):
    decision = _share(case, front_door, there, recipient_practitioner=their_dsl, across_areas=True)
    # Even a caseworker of that area, named as recipient, gets the decision only.
    their_lead = UserFactory(role=Role.LEAD_PRACTITIONER, agency=there)
    _share(case, front_door, there, recipient_practitioner=their_lead, across_areas=True)

    assert list(decisions_shared_with(their_dsl)) == [decision]
    assert not cases_visible_to(their_lead).filter(pk=case.pk).exists()
    client = _client(their_lead)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert client.get(_url(case)).status_code == 404
    shared = client.get("/api/cases/shared-with-me/")
    assert shared.status_code == 200
    assert len(shared.json()["results"]) == 1


def test_a_named_practitioner_must_work_for_the_recipient_agency(
    case, front_door, here, there, make_user
):
    ours_elsewhere = make_user(Role.TEAM_MEMBER)  # our area, another agency
    theirs = UserFactory(role=Role.TEAM_MEMBER, agency=there)

    wrong_agency = _refused(case, front_door, here, recipient_practitioner=ours_elsewhere)
    wrong_area = _refused(case, front_door, here, recipient_practitioner=theirs)
    missing = _refused(case, front_door, here, recipient_practitioner=theirs.pk + 1000)

    assert (
        wrong_agency.fields
        == wrong_area.fields
        == missing.fields
        == {"recipient_practitioner": [f"Choose a practitioner who works for {here}."]}
    )


def test_who_overrode_consent_is_a_practitioner_of_the_cases_area(
    case, front_door, here, there, manager
):
    outsider = UserFactory(role=Role.TEAM_MANAGER, agency=there)
    overridden = {"consent": "overridden", "consent_reason": "Invented: risk of harm."}

    refused = _refused(case, front_door, here, overridden_by=outsider, **overridden)
    missing = _refused(case, front_door, here, overridden_by=outsider.pk + 1000, **overridden)

    assert refused.fields == missing.fields
    assert list(refused.fields) == ["overridden_by"]
    assert _share(case, front_door, here, overridden_by=manager, **overridden).overridden_by == (
        manager
    )


# --- the API ----------------------------------------------------------------------------------


def test_the_api_refuses_another_areas_agency_without_the_flag(case, front_door, there):
    answer = _client(front_door).post(
        _url(case), {**SHARING, "recipient_agency": there.pk}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["recipient_agency"]
    assert InformationSharingDecision.objects.count() == 0


def test_the_api_records_an_explicit_cross_area_decision(case, front_door, there, their_dsl):
    answer = _client(front_door).post(
        _url(case),
        {
            **SHARING,
            "recipient_agency": there.pk,
            "recipient_practitioner": their_dsl.pk,
            "across_areas": True,
        },
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert answer.json()["recipient_agency"]["id"] == there.pk
    event = AuditEvent.objects.get(action="case.information_sharing_decided")
    assert event.changes["across_areas"] is True
    assert [d.pk for d in decisions_shared_with(their_dsl)] == [answer.json()["id"]]


def test_the_api_answers_a_missing_and_a_wrong_agency_practitioner_alike(
    case, front_door, here, there
):
    theirs = UserFactory(role=Role.TEAM_MEMBER, agency=there)
    client = _client(front_door)

    def post(practitioner):
        return client.post(
            _url(case),
            {**SHARING, "recipient_agency": here.pk, "recipient_practitioner": practitioner},
            format="json",
        )

    wrong, missing = post(theirs.pk), post(theirs.pk + 1000)

    assert wrong.status_code == missing.status_code == 400
    assert wrong.json() == missing.json()
    assert InformationSharingDecision.objects.count() == 0


def test_the_api_answers_a_missing_agency_with_a_field_message(case, front_door, there):
    answer = _client(front_door).post(
        _url(case), {**SHARING, "recipient_agency": there.pk + 1000}, format="json"
    )

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["recipient_agency"]


# --- the case page ----------------------------------------------------------------------------


def test_the_case_page_records_a_cross_area_decision_only_when_ticked(
    client, case, front_door, there
):
    client.force_login(front_door)
    url = reverse("cases:case_sharing_decision_add", args=[case.pk])
    form = {f"sharing-{key}": value for key, value in SHARING.items()}
    form["sharing-recipient_agency"] = there.pk

    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    refused = client.post(url, form)
    recorded = client.post(url, {**form, "sharing-across_areas": "on"})

    assert "Southmere High (Southmere)" in page  # another area's agency is named as such
    assert refused.status_code == 400
    assert b"another partnership area" in refused.content
    assert recorded.status_code == 302
    event = AuditEvent.objects.get(action="case.information_sharing_decided")
    assert event.changes["across_areas"] is True
