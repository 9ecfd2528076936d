"""Every case list asks the same statements for 3 cases as for 30, through every access path,
at both page sizes (issue 15): a list that starts querying per row fails here."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.roles import Role
from cases.access.services import grant_case_access
from cases.models import Case, TeamMember
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db

# (url, query): the API's lists and the pages'.
LISTS = [
    ("/api/cases/", {}),
    ("/api/cases/", {"scope": "mine"}),
    ("/api/cases/tasks/", {}),
    ("/work/cases/", {}),
    ("/work/tasks/", {}),
    ("/work/", {}),
]
# The acceptance's bound (benchmarks/lists.py): session, user, the page, the count, the read's
# audit event, and room for the middleware's own.
MOST = 10


@pytest.fixture
def people(make_user, lead_practitioner, front_door):
    return {
        "lead": lead_practitioner,
        "team": make_user(Role.LEAD_PRACTITIONER),
        "grants": make_user(Role.LEAD_PRACTITIONER),
        "area": front_door,
    }


def _add_cases(count, *, version, people):
    """Cases led by the lead, with the team member on them and a grant to the grantee."""
    cases = [open_case(version=version, actor=people["area"]) for _ in range(count)]
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(lead_practitioner=people["lead"])
    member = people["team"]
    TeamMember.objects.bulk_create(
        TeamMember(
            case=case,
            practitioner=member,
            agency=member.agency,
            role_on_case="Invented role",
            joined_at=timezone.now(),
        )
        for case in cases
    )
    for case in Case.objects.filter(pk__in=[case.pk for case in cases]):
        grant_case_access(
            case=case,
            user=people["grants"],
            kind="consultant",
            reason="Invented consultation.",
            actor=people["lead"],
        )


def _statements(client, url, query):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, (url, query, response.status_code)
    return len(captured)


@pytest.mark.parametrize("path", ["lead", "team", "grants", "area"])
@pytest.mark.parametrize("page_size", [2, 25, 100])
def test_every_list_asks_as_many_statements_for_3_cases_as_for_30(
    path, page_size, default_version, people
):
    client = Client()
    client.force_login(people[path])
    _add_cases(3, version=default_version, people=people)
    few = {
        (url, str(query)): _statements(client, url, {**query, "page_size": page_size})
        for url, query in LISTS
    }
    _add_cases(27, version=default_version, people=people)
    many = {
        (url, str(query)): _statements(client, url, {**query, "page_size": page_size})
        for url, query in LISTS
    }

    # A page size of 2 has a next page at 3 cases already, so both ask for the count.
    assert many == few if page_size == 2 else all(many[k] - few[k] <= 1 for k in few)
    assert max(many.values()) <= MOST, many


def test_a_second_page_asks_no_more_than_the_first(default_version, people):
    client = Client()
    client.force_login(people["area"])
    _add_cases(7, version=default_version, people=people)
    for url, query in LISTS[:5]:
        first = _statements(client, url, {**query, "page_size": 2})
        second = _statements(client, url, {**query, "page_size": 2, "page": 2})
        assert second == first, url


def test_a_list_reads_only_the_columns_it_shows(default_version, people):
    # as_case_list: no viewflow process columns, no pathway version, no notes or outcome.
    client = Client()
    client.force_login(people["area"])
    _add_cases(3, version=default_version, people=people)
    for url, query in LISTS:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, query).status_code == 200
        read = " ".join(q["sql"] for q in captured if q["sql"].startswith("SELECT"))
        for column in ("flow_class", "outcome_summary", "pathway_version_id"):
            assert column not in read, (url, query, column)
