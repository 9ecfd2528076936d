"""GET /api/me/: the signed-in user, and the HTTP benchmark's floor (benchmarks/http_load.py)."""

import pytest
from django.test import Client

from agencies.roles import Role
from agencies.services import issue_api_token

pytestmark = pytest.mark.django_db

ME = "/api/me/"


def test_a_token_names_its_user_id_role_and_agency(make_user):
    user = make_user(Role.LEAD_PRACTITIONER, first_name="Ada", last_name="Quill")
    token = issue_api_token(user=user, code="").key

    response = Client().get(ME, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": user.username,
        "name": "Ada Quill",
        "role": "lead_practitioner",
        "agency": user.agency_id,
    }


def test_a_session_names_its_user_too(client, make_user):
    user = make_user(Role.ANALYST)
    client.force_login(user)

    assert client.get(ME).json()["id"] == user.pk


def test_a_visitor_without_credentials_is_refused():
    response = Client().get(ME)

    assert response.status_code == 401


def test_it_costs_only_the_token_lookup(make_user, django_assert_num_queries):
    # The floor of benchmarks/http_load.py: authentication's own queries and nothing else
    # (the area context is set on the driver's cursor, outside the count).
    user = make_user(Role.LEAD_PRACTITIONER)
    token = issue_api_token(user=user, code="").key
    client = Client()

    with django_assert_num_queries(1):
        assert client.get(ME, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_the_api_root_links_it(admin_client):
    assert admin_client.get("/api/").json()["me"].endswith(ME)
