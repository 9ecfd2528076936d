"""The partnership API's root (/api/partnership/) and its place in the API root (/api/)."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role

pytestmark = pytest.mark.django_db


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_partnership_root_links_to_collections_its_analyst_can_read(analyst, statements):
    client = _client_for(analyst)

    response = client.get("/api/partnership/")

    assert response.status_code == 200
    links = response.json()
    assert links == {
        "dashboard": "http://testserver/api/partnership/dashboard/",
        "statements": "http://testserver/api/partnership/statements/",
        "rounds": "http://testserver/api/partnership/rounds/",
    }
    for url in links.values():
        assert client.get(urlsplit(url).path).status_code == 200, url


def test_the_partnership_root_links_the_feedback_for_the_casework_roles(make_user):
    client = _client_for(make_user(Role.LEAD_PRACTITIONER))

    links = client.get("/api/partnership/").json()

    url = links["process_feedback"]
    assert url == "http://testserver/api/partnership/process-feedback/"
    assert client.get(urlsplit(url).path).status_code == 200


def test_the_partnership_root_is_for_signed_in_users_only(client):
    response = client.get("/api/partnership/")

    assert response.status_code in {401, 403}
    assert "dashboard" not in response.json()


def test_the_api_root_lists_every_collection_including_assessments_and_the_partnership(
    make_user,
):
    response = _client_for(make_user(Role.LEAD_PRACTITIONER)).get(reverse("api:root"))

    assert response.status_code == 200
    links = response.json()
    assert links["assessments"] == "http://testserver/api/assessments/"
    assert links["partnership"] == "http://testserver/api/partnership/"
    assert {"pathways", "cases", "schema", "docs"} <= set(links)
