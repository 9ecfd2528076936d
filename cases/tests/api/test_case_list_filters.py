"""The case list's filters (`cases.api.filters.CaseFilter`): each narrows the cases the user
may see as before, and a value that does not parse is a 400 naming the parameter."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def _ids(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(reverse("api:cases:case-list"), params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def cases(default_version, front_door):
    """Three cases, newest first: one closed, one at early help, one at the initial decision."""
    waiting = open_case(version=default_version, actor=front_door)
    helped = open_case(version=default_version, actor=front_door)
    closed = open_case(version=default_version, actor=front_door)
    early_help = default_version.stages.get(key="early_help")
    Case.objects.filter(pk=helped.pk).update(current_stage=early_help)
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    return {"waiting": waiting.pk, "helped": helped.pk, "closed": closed.pk}


def test_without_filters_the_list_is_every_visible_case_newest_first(cases, front_door):
    assert _ids(front_door) == [cases["closed"], cases["helped"], cases["waiting"]]


def test_stage_keeps_the_cases_at_that_stage(cases, front_door):
    assert _ids(front_door, stage="early_help") == [cases["helped"]]
    assert _ids(front_door, stage="no_such_stage") == []
    assert _ids(front_door, stage="") == [cases["closed"], cases["helped"], cases["waiting"]]


def test_open_true_keeps_the_open_cases_and_false_filters_nothing(cases, front_door):
    assert _ids(front_door, open="true") == [cases["helped"], cases["waiting"]]
    assert _ids(front_door, open="false") == [cases["closed"], cases["helped"], cases["waiting"]]


def test_scope_mine_lists_the_open_cases_the_user_works_and_the_other_filters_narrow_it(
    cases, front_door
):
    assert set(_ids(front_door, scope="mine")) == {cases["helped"], cases["waiting"]}
    assert _ids(front_door, scope="mine", stage="early_help") == [cases["helped"]]


def test_a_query_parameter_no_filter_declares_is_ignored(cases, front_door):
    assert _ids(front_door, colour="blue") == [cases["closed"], cases["helped"], cases["waiting"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scope": "everyone"}, "scope"),
        ({"open": "perhaps"}, "open"),
        ({"stage": "x" * 65}, "stage"),
        ({"stage": "early\x00help"}, "stage"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(front_door, params, field):
    client = APIClient()
    client.force_authenticate(front_door)

    response = client.get(reverse("api:cases:case-list"), params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {field}
    assert body["fields"][field]
