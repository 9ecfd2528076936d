"""Refused reads in the audit trail (issue 12, "Logins in the trail"): a 403 or 404 on a
case-bearing route, page or API, appends `access.refused`, outside the refused request's
transaction."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.roles import Role
from audit.models import AuditEvent
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def refusals():
    return list(AuditEvent.objects.filter(action="access.refused").order_by("id"))


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def outsider(make_user):
    return make_user(Role.DSL)


def test_an_unseen_case_on_the_api_is_a_refusal_in_the_trail(case, outsider):
    response = api_as(outsider).get(f"/api/cases/{case.pk}/")

    assert response.status_code == 404
    [event] = refusals()
    assert event.actor == outsider
    assert event.changes == {"path": f"/api/cases/{case.pk}/", "method": "GET", "status": 404}
    # The refused case is not named: the outsider may not learn it exists.
    assert event.object_type == "agencies.user"
    assert event.object_id == str(outsider.pk)


@pytest.mark.parametrize(
    "path",
    [
        "/api/cases/{pk}/chronology/",
        "/api/cases/{pk}/chronology.csv",
        "/api/cases/{pk}/access-log/",
        "/work/cases/{pk}/",
        "/work/cases/{pk}/chronology/",
        "/work/cases/{pk}/access-log/",
    ],
)
def test_refused_pages_and_exports_are_in_the_trail(case, outsider, path):
    client = api_as(outsider) if path.startswith("/api/") else browser_as(outsider)

    response = client.get(path.format(pk=case.pk))

    assert response.status_code in (403, 404)
    [event] = refusals()
    assert (event.actor, event.changes["status"]) == (outsider, response.status_code)


def test_a_refused_write_is_in_the_trail_though_the_write_rolled_back(case, outsider):
    response = api_as(outsider).post(
        f"/api/cases/{case.pk}/transitions/",
        {"transition": "route_to_early_help", "data": {}, "expected_version": case.lock_version},
        format="json",
    )

    assert response.status_code in (403, 404)
    [event] = refusals()
    assert event.changes["method"] == "POST"


def test_an_allowed_read_is_no_refusal(case, front_door):
    assert api_as(front_door).get(f"/api/cases/{case.pk}/").status_code == 200

    assert refusals() == []


def test_a_404_outside_the_case_bearing_routes_is_not_recorded(outsider):
    assert api_as(outsider).get("/api/pathways/999999/").status_code == 404

    assert refusals() == []
