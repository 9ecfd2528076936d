"""Bad input is never a 500 and never an HTML page under /api/: a JSON 400 (413 when too
large) that names what is wrong, and nothing written."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from cases.models import Referral
from config.exceptions import handler400, handler403, handler404, handler500
from config.parsers import MAX_JSON_DEPTH
from config.renderers import JSONRenderer

pytestmark = pytest.mark.django_db

REFERRALS = "/api/cases/referrals/"
TOKEN = "/api/auth/token/"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _post_raw(client: APIClient, url: str, body: str | bytes, **extra):
    return client.generic("POST", url, body, content_type="application/json", **extra)


def test_a_lone_surrogate_in_a_choice_field_is_a_json_400(front_door, default_version):
    # The raw JSON escape, as a client would send it: json.dumps cannot even encode it.
    body = '{"source": "\\ud800", "children": [], "behaviours": []}'

    response = _post_raw(_client(front_door), REFERRALS, body)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "surrogate" in response.json()["detail"]
    assert Referral.objects.count() == 0


def test_a_lone_surrogate_in_a_key_is_a_json_400(front_door):
    response = _post_raw(_client(front_door), REFERRALS, '{"\\udfff": 1}')

    assert response.status_code == 400


def test_the_renderer_survives_a_lone_surrogate_it_must_echo():
    rendered = JSONRenderer().render({"source": ['"\ud800" is not a valid choice.']})

    assert json.loads(rendered) == {"source": ['"\ud800" is not a valid choice.']}


@pytest.mark.parametrize("url", [TOKEN, REFERRALS])
def test_deeply_nested_json_is_a_400_even_unauthenticated(url, front_door):
    client = _client(None if url == TOKEN else front_door)

    response = _post_raw(client, url, "[" * 100_000)

    assert response.status_code == 400
    assert str(MAX_JSON_DEPTH) in response.json()["detail"]


def test_nesting_just_past_the_documented_maximum_is_refused(front_door):
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    deep_enough = '{"children": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"

    assert _post_raw(_client(front_door), REFERRALS, too_deep).status_code == 400
    # At the maximum the body parses; the referral's own checks answer (still a 400).
    answer = _post_raw(_client(front_door), REFERRALS, deep_enough).json()
    assert "fields" in answer


def test_an_oversized_json_body_is_a_json_413(front_door, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"description": "x" * 2000})

    response = _post_raw(_client(front_door), REFERRALS, body)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert Referral.objects.count() == 0


def test_an_oversized_form_body_is_a_json_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post(
        TOKEN,
        "username=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_form_with_too_many_fields_is_a_json_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{index}=1" for index in range(50))

    response = client.post(TOKEN, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_an_unknown_api_path_is_a_json_404_and_a_page_404_stays_html(admin_client):
    api = admin_client.get("/api/no-such-endpoint/")
    page = admin_client.get("/no-such-page/")

    assert api.status_code == 404
    assert api.json() == {"code": "not_found", "detail": "Not found."}
    assert page.status_code == 404
    assert not page["Content-Type"].startswith("application/json")


def test_django_error_handlers_answer_json_under_api():
    api = RequestFactory().get("/api/cases/")
    page = RequestFactory().get("/cases/")

    for handler, status in ((handler400, 400), (handler403, 403), (handler404, 404)):
        response = handler(api, Exception())
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert not handler(page, Exception())["Content-Type"].startswith("application/json")
    crash = handler500(api)
    assert crash.status_code == 500
    assert json.loads(crash.content)["code"] == "server_error"
