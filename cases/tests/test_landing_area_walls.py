"""The auditor's and the analyst's landing pages read only their own area."""

import pytest
from django.urls import reverse

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.services import record_event
from cases.tests.factories import open_case
from pathways.tests.factories import published_default_version


@pytest.fixture
def other_area_user(db):
    other = LocalAreaFactory(name="Fernmoor")
    return UserFactory(
        role=Role.FRONT_DOOR, last_name="Fernsworth", agency=AgencyFactory(area=other)
    )


def test_an_auditor_sees_only_events_of_people_of_their_own_area(
    client, make_user, front_door, other_area_user
):
    record_event(actor=front_door, action="case.read", target=front_door)
    record_event(actor=other_area_user, action="case.read", target=other_area_user)
    client.force_login(make_user(Role.AUDITOR))

    page = client.get(reverse("cases:index"))

    assert page.status_code == 200
    assert front_door.last_name.encode() in page.content
    assert b"Fernsworth" not in page.content


def test_an_auditor_with_no_agency_audits_the_whole_installation(
    client, make_user, front_door, other_area_user
):
    record_event(actor=other_area_user, action="case.read", target=other_area_user)
    client.force_login(make_user(Role.AUDITOR, agency=None))

    assert b"Fernsworth" in client.get(reverse("cases:index")).content


def test_an_analyst_counts_only_open_cases_of_their_own_area(client, make_user, other_area_user):
    other_version = published_default_version(area=other_area_user.agency.area)
    for _ in range(6):
        open_case(version=other_version, actor=other_area_user)
    client.force_login(make_user(Role.ANALYST))

    page = client.get(reverse("cases:index"))

    assert page.status_code == 200
    assert page.context["stage_counts"] == []
