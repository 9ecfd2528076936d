import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert "/api/cases/{id}/transitions/" in text
    assert "/api/pathways/versions/{id}/publish/" in text


def test_the_api_docs_page_is_served_to_a_signed_in_user(admin_client):
    assert admin_client.get("/api/docs/").status_code == 200
    assert admin_client.get("/api/").status_code == 200


@pytest.mark.django_db
def test_a_practitioner_can_obtain_and_use_an_api_token(client, make_user):
    user = make_user()

    response = client.post(
        "/api/auth/token/",
        {"username": user.username, "password": "correct-horse-battery"},
        content_type="application/json",
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.get("/api/cases/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
