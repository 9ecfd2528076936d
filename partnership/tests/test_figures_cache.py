"""The dashboard's cache (partnership/figures/cache.py): hits, invalidation by committed
writes, keys per query and area.

Transactional tests: the generation advances after a commit, which the usual rolled-back
test transaction never reaches, and figures computed inside a transaction are not cached.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.services import record_event
from cases.process.flow import mark_stage_overdue
from cases.read_audit import CASE_READ, record_read
from cases.tests.factories import open_case
from partnership.figures import DashboardFilters, cached_dashboard, dashboard_query
from partnership.figures.cache import _generation, cache_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# The session, the user, the actor's area, the generation, the statements' texts.
HIT_PAGE_QUERIES = 5


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _generation_now() -> int:
    return _generation()[0]


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _dashboard(user, **params):
    today = timezone.localdate()
    query = {"date_from": (today - timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    response = _client(user).get(reverse("api:partnership:dashboard"), {**query, **params})
    assert response.status_code == 200, response.content
    return {figure["key"]: figure for figure in response.json()["figures"]}


@pytest.fixture
def version(default_version):
    return default_version


def _counted(figures):
    return figures["police_involved_routes"]["denominator"]


def test_a_hit_returns_the_same_figures_without_computing(
    version, front_door, make_user, django_assert_num_queries
):
    open_case(version=version, actor=front_door)
    manager = make_user(Role.TEAM_MANAGER)
    first = _dashboard(manager)
    fresh = User.objects.get(pk=manager.pk)  # as a new request loads it

    # The actor's area, then the generation: no figure is computed, no row read.
    with django_assert_num_queries(2):
        again = _dashboard(fresh)

    assert again == first
    assert _counted(again) == 1


def test_a_write_through_a_service_makes_the_next_read_recompute(version, front_door, make_user):
    manager = make_user(Role.TEAM_MANAGER)
    open_case(version=version, actor=front_door)
    assert _counted(_dashboard(manager)) == 1
    before = _generation_now()

    open_case(version=version, actor=front_door)  # the engine's audited write, committed

    assert _generation_now() > before
    assert _counted(_dashboard(manager)) == 2


def test_a_recorded_read_leaves_the_cache_valid(version, front_door, make_user):
    case = open_case(version=version, actor=front_door)
    manager = make_user(Role.TEAM_MANAGER)
    before = _generation_now()

    with transaction.atomic():
        record_read(actor=manager, action=CASE_READ, target=case)
    record_event(actor=manager, action="account.logged_in", target=manager)

    assert _generation_now() == before


def test_one_transaction_advances_once_and_only_when_it_commits(version, front_door):
    case = open_case(version=version, actor=front_door)
    before = _generation_now()

    with transaction.atomic():
        # The timer worker's write: the stage flagged overdue, with its event.
        assert mark_stage_overdue(case_id=case.pk, host_task_id=case.current_task_id)
        record_event(actor=None, action="case.stage_overdue", target=case)
        assert _generation_now() == before  # not before the commit
    assert _generation_now() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(actor=None, action="case.stage_overdue", target=case)
        raise RuntimeError("rolled back")
    with transaction.atomic():
        pass
    assert _generation_now() == before + 1


def test_an_analyst_of_another_area_never_gets_this_areas_figures(version, front_door, make_user):
    open_case(version=version, actor=front_door)
    here = _dashboard(make_user(Role.ANALYST))
    other_area = LocalAreaFactory(name="Southmere (invented)")
    there = _dashboard(UserFactory(role=Role.ANALYST, agency=AgencyFactory(area=other_area)))

    # One case here, shown to an analyst as "<5"; none there.
    assert here["police_involved_routes"]["denominator_display"] == "<5"
    assert there["police_involved_routes"]["denominator_display"] == "0"


def test_the_key_differs_per_filter_set_area_generation_and_view():
    today = timezone.localdate()
    start = today - timedelta(days=30)
    base = dashboard_query(area_id=1, date_from=start, date_to=today)
    keys = {
        cache_key(base, 7, "1"),
        cache_key(base, 7, "1", view="api:True"),
        cache_key(base, 7, "1", view="api:False"),
        cache_key(base, 8, "1"),
        cache_key(base, 7, "2"),
        cache_key(dashboard_query(area_id=2, date_from=start, date_to=today), 7, "1"),
        cache_key(dashboard_query(area_id=1, date_from=today, date_to=today), 7, "1"),
        cache_key(
            dashboard_query(
                area_id=1, date_from=start, date_to=today, filters=DashboardFilters(sen=True)
            ),
            7,
            "1",
        ),
        cache_key(
            dashboard_query(
                area_id=1, date_from=start, date_to=today, filters=DashboardFilters(sen=False)
            ),
            7,
            "1",
        ),
    }
    assert len(keys) == 9
    assert cache_key(base, 7, "1") == cache_key(
        dashboard_query(area_id=1, date_from=start, date_to=today), 7, "1"
    )


def test_filters_are_cached_apart(version, front_door, make_user):
    open_case(version=version, actor=front_door, involvement="displaying_hsb")
    manager = make_user(Role.TEAM_MANAGER)

    assert _counted(_dashboard(manager)) == 1
    assert _counted(_dashboard(manager, involvement="harmed")) == 0
    assert _counted(_dashboard(manager, involvement="displaying_hsb")) == 1


def test_inside_a_transaction_nothing_is_cached(version, front_door):
    area_id = version.pathway.area_id
    today = timezone.localdate()
    query = dashboard_query(area_id=area_id, date_from=today - timedelta(days=30), date_to=today)
    calls = []

    def build(figures):
        calls.append(1)
        return figures

    with transaction.atomic():
        cached_dashboard(query, view="test", build=build)
        cached_dashboard(query, view="test", build=build)
    assert len(calls) == 2
    cached_dashboard(query, view="test", build=build)
    cached_dashboard(query, view="test", build=build)
    assert len(calls) == 3
    assert connection.vendor == "postgresql"


def test_the_page_uses_the_cache_too(
    version, front_door, make_user, client, django_assert_num_queries
):
    open_case(version=version, actor=front_door)
    manager = make_user(Role.TEAM_MANAGER)
    client.force_login(manager)
    url = reverse("partnership_app:index")

    first = client.get(url)
    # None of the figures' statements (a miss runs 14 more).
    with django_assert_num_queries(HIT_PAGE_QUERIES):
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert first.context["groups"] == second.context["groups"]


# One lane: the cold dashboard's statements all on the connection the test counts.
@override_settings(DASHBOARD_LANES=1)
def test_an_analysts_drill_down_reads_the_cached_dashboard(version, front_door, make_user):
    """An analyst's drill-down needs the dashboard's secondary suppression: from the cache
    once the dashboard has been computed for the same query."""
    for _ in range(6):
        open_case(version=version, actor=front_door)
    analyst = make_user(Role.ANALYST)
    today = timezone.localdate()
    query = {
        "date_from": (today - timedelta(days=30)).isoformat(),
        "date_to": today.isoformat(),
        "part": "denominator",
    }
    url = reverse("api:partnership:figure-cases", args=["child_process_feedback"])

    def drill_down():
        client = _client(User.objects.get(pk=analyst.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == 6
        return len(queries)

    cold = drill_down()
    warm = drill_down()

    # The dashboard's aggregate statements (and their planner settings) are not run again.
    assert warm <= cold - 13
