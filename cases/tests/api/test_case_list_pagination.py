"""The case lists' pages (cases.api.pagination, core.pagination): numbered pages with links,
a page size of at most 100, and a count that stops at a bound instead of counting every case."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from cases import views
from cases.models import Case
from cases.tests.factories import open_case
from core import pagination

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(default_version, front_door):
    return [open_case(version=default_version, actor=front_door) for _ in range(5)]


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_pages_follow_each_other_newest_first_with_an_exact_count(cases, front_door):
    client = _api(front_door)
    url = reverse("api:cases:case-list")
    first = client.get(url, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()

    newest_first = sorted((case.pk for case in cases), reverse=True)
    shown = [row["id"] for page in (first, second, last) for row in page["results"]]
    assert shown == newest_first
    assert (first["count"], first["count_exact"], first["previous"]) == (5, True, None)
    assert second["previous"].endswith("page_size=2")  # page 1 has no page parameter
    assert last["next"] is None and last["count"] == 5


def test_a_long_list_says_more_than_the_bound_rather_than_counting_on(
    cases, front_door, monkeypatch
):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    body = _api(front_door).get(reverse("api:cases:case-list"), {"page_size": 1}).json()

    assert (body["count"], body["count_exact"]) == (3, False)
    assert len(body["results"]) == 1 and body["next"]


def test_the_page_size_is_at_most_100_and_a_page_past_the_end_is_a_404(cases, front_door):
    client = _api(front_door)
    url = reverse("api:cases:task-inbox")
    assert len(client.get(url, {"page_size": 1000}).json()["results"]) == 5
    assert len(client.get(url, {"page_size": "abc"}).json()["results"]) == 5
    assert client.get(url, {"page": 2}).status_code == 404
    assert client.get(url, {"page": "0"}).status_code == 404


def test_the_my_cases_page_pages_without_counting_past_the_bound(cases, front_door, monkeypatch):
    client = Client()
    client.force_login(front_door)
    html = client.get(reverse("cases:cases"), {"page_size": 2}).content.decode()
    assert "1\u20132 of 5" in html and "page=2&amp;page_size=2" in html

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 2)  # counted to 2 past the page's start
    html = client.get(reverse("cases:cases"), {"page_size": 2, "page": 2}).content.decode()
    assert "3\u20134 of more than 4" in html
    assert "page=1&amp;page_size=2" in html and "page=3&amp;page_size=2" in html


def test_several_lists_are_counted_in_one_statement(cases, front_door):
    everything = Case.objects.all()
    one = Case.objects.filter(pk=cases[0].pk)
    with CaptureQueriesContext(connection) as captured:
        counted = pagination.bounded_counts(everything, one, limit=3)

    assert counted == [(3, False), (1, True)]
    assert counted == [pagination.bounded_count(q, 3) for q in (everything, one)]
    assert len(captured) == 1


def test_the_landing_page_shows_the_bounded_counts(cases, front_door, monkeypatch):
    client = Client()
    client.force_login(front_door)
    assert 'hsb-figure">5<' in client.get(reverse("cases:index")).content.decode()
    # The landing's headlines count to their own bound (100), not the lists' COUNT_LIMIT.
    monkeypatch.setattr(views, "LANDING_COUNT_LIMIT", 3)
    assert 'hsb-figure">more than 3<' in client.get(reverse("cases:index")).content.decode()
