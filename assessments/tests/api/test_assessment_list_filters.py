"""The assessment list's filters refuse what does not parse: a 400 naming each parameter
(`assessments.api.filters.AssessmentFilter`; the filters themselves are exercised in
test_assessments_api.py and, for another area's case, test_area_walls.py)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"case": "abc"}, "case"),
        ({"case": "1.5"}, "case"),
        ({"overdue": "perhaps"}, "overdue"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(manager, params, field):
    client = APIClient()
    client.force_authenticate(manager)

    response = client.get(reverse("api:assessments:assessment-list"), params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {field}
    assert body["fields"][field]


@pytest.mark.parametrize("word", ["true", "True", "1", "yes", "false", "0", "no", "null", ""])
def test_overdue_takes_the_words_it_took_before(manager, word):
    client = APIClient()
    client.force_authenticate(manager)

    response = client.get(reverse("api:assessments:assessment-list"), {"overdue": word})

    assert response.status_code == 200, response.json()
