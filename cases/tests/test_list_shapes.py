"""The case lists compiled once per shape (`cases.selectors.case_list_shape`,
`core.pagination.Shape`) give the same rows as their selectors, for every role and for two
users of one role (the values are parameters, not frozen into the first user's SQL), and a
grant stops showing when it expires (the time is a parameter too) (issue 15)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.roles import Role
from cases.access.services import grant_case_access
from cases.models import Case
from cases.selectors import (
    as_case_list,
    case_list_shape,
    case_list_visible_to,
    my_cases,
    stage_tasks_for,
)
from cases.tests.factories import open_case
from core import pagination
from core.pagination import (
    bounded_count,
    bounded_counts,
    bounded_page,
    rows_and_count,
    rows_of_page,
)

pytestmark = pytest.mark.django_db

SELECTORS = {
    "visible": lambda user: case_list_visible_to(user).order_by("-pk"),
    "mine": my_cases,
    "tasks": stage_tasks_for,
    "overdue": lambda user: stage_tasks_for(user).filter(stage_due_on__lt=timezone.localdate()),
}


@pytest.fixture(autouse=True)
def _compiled_afresh():
    pagination._COMPILED.clear()
    yield
    pagination._COMPILED.clear()


def _ids(rows):
    return [row.pk for row in rows]


def test_each_list_compiled_once_gives_its_selectors_rows(
    default_version, front_door, lead_practitioner, manager, coordinator, make_user
):
    other_lead = make_user(Role.LEAD_PRACTITIONER)
    cases = [open_case(version=default_version, actor=front_door) for _ in range(7)]
    Case.objects.filter(pk__in=[case.pk for case in cases[:4]]).update(
        lead_practitioner=lead_practitioner
    )
    Case.objects.filter(pk__in=[case.pk for case in cases[4:6]]).update(
        lead_practitioner=other_lead, stage_due_on=datetime.date(2026, 1, 5)
    )
    users = [front_door, lead_practitioner, other_lead, manager, coordinator]
    for _ in range(2):  # the second time from the compiled SQL, with each user's values
        for user in users:
            for kind, selector in SELECTORS.items():
                expected = as_case_list(selector(user))
                shape = case_list_shape(kind, user)
                for start, stop in ((0, 3), (0, 26), (2, 5)):
                    got = rows_of_page(shape, start, stop)
                    assert _ids(got) == _ids(rows_of_page(expected, start, stop)), (user, kind)
                for limit in (1, 5, 1000):
                    assert bounded_count(shape, limit) == bounded_count(expected, limit)
            kinds = list(SELECTORS)
            shapes = [case_list_shape(kind, user) for kind in kinds]
            assert bounded_counts(*shapes, limit=3) == [
                bounded_count(as_case_list(SELECTORS[kind](user)), 3) for kind in kinds
            ]
    # Rows as a list shows them: the related rows joined, no query per row.
    page = bounded_page(case_list_shape("visible", front_door), number=1, size=25)
    assert len(page.rows) == 7
    assert {row.child.full_name for row in page.rows} == {case.child.full_name for case in cases}
    assert all(row.current_stage.name for row in page.rows)
    assert len(pagination._COMPILED) > 0


def test_an_expired_grant_leaves_the_compiled_list(
    default_version, front_door, lead_practitioner, make_user, monkeypatch
):
    grantee = make_user(Role.LEAD_PRACTITIONER)
    case = open_case(version=default_version, actor=front_door)
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead_practitioner)
    grant_case_access(
        case=case,
        user=grantee,
        kind="consultant",
        reason="Invented consultation.",
        actor=lead_practitioner,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert _ids(rows_of_page(case_list_shape("visible", grantee), 0, 26)) == [case.pk]
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _ids(rows_of_page(case_list_shape("visible", grantee), 0, 26)) == []
    assert bounded_count(case_list_shape("visible", grantee)) == (0, True)


def test_a_value_written_into_the_sql_is_refused(front_door):
    # A shape whose value does not go in as a parameter would freeze the first user's.
    shape = pagination.Shape(
        key=("test", "frozen"),
        build=lambda given: Case.objects.extra(where=[f"process_ptr_id = {given[0]}"]),  # noqa: S610
        values=[front_door.pk],
    )
    with pytest.raises(AssertionError):
        rows_of_page(shape, 0, 5)


def test_a_shapes_page_and_its_count_come_in_one_statement(
    default_version, front_door, lead_practitioner, manager, coordinator
):
    """On PostgreSQL, `bounded_page` of a shape reads the page and the count together: the
    same rows and count as the queryset's two statements, at every page and bound."""
    cases = [open_case(version=default_version, actor=front_door) for _ in range(7)]
    Case.objects.filter(pk__in=[case.pk for case in cases[:5]]).update(
        lead_practitioner=lead_practitioner
    )
    for user in (front_door, lead_practitioner, manager, coordinator):
        for kind, selector in SELECTORS.items():
            expected = as_case_list(selector(user))
            for number, size, limit in ((1, 2, 1000), (2, 2, 1000), (4, 2, 1000), (1, 2, 3)):
                with CaptureQueriesContext(connection) as captured:
                    page = bounded_page(
                        case_list_shape(kind, user), number=number, size=size, count_limit=limit
                    )
                queryset_page = bounded_page(expected, number=number, size=size, count_limit=limit)
                assert _ids(page.rows) == _ids(queryset_page.rows), (user, kind, number)
                assert (page.count, page.count_exact, page.has_next) == (
                    queryset_page.count,
                    queryset_page.count_exact,
                    queryset_page.has_next,
                ), (user, kind, number, limit)
                if page.rows or number == 1:
                    assert len(captured) == 1, (user, kind, number)


def test_a_landings_first_tasks_and_their_count_come_in_one_statement(
    default_version, front_door, manager
):
    for _ in range(4):
        open_case(version=default_version, actor=front_door)
    for user in (front_door, manager):
        expected = as_case_list(stage_tasks_for(user))
        for limit in (2, 100):
            with CaptureQueriesContext(connection) as captured:
                rows, counted = rows_and_count(case_list_shape("tasks", user), 0, 3, limit)
            assert _ids(rows) == _ids(rows_of_page(expected, 0, 3))
            assert counted == bounded_count(expected, limit)
            assert len(captured) == (1 if rows else 2)
