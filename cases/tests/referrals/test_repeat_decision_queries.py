"""What a repeat referral's decision costs intake, and the area wall around decisions (issue 16,
item 5), on PostgreSQL.

Real transactions (`transaction=True`), as in test_intake_queries.py: inside a test's own
transaction every service transaction would be a savepoint.
"""

import datetime
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.db_context import area_context
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from cases.models import RepeatReferralDecision
from cases.referrals.services import record_referral
from cases.tests.factories import ChildFactory
from pathways.tests.factories import published_default_version

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="statement counts and row-level security are PostgreSQL's",
    ),
]

# A referral about a child with an open case: the agency with the pathway version, the
# named child locked, their cases locked, then intake's two statements of data-modifying
# CTEs; the decision it awaits is one more CTE of the second, not a statement of its own.
JOINING_STATEMENTS = 5
SERVING_ROLE = "hsb_app"


def _refer(actor, child):
    return record_referral(
        actor=actor,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        description="Invented referral for the query counts.",
        behaviours=[
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        children=[{"involvement": "displaying_hsb", "child_id": child.pk}],
        parents_informed=True,
    )


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The transaction's statements, a statement prepared on the connection by an earlier
    test (sent as `EXECUTE name (…)`) named by the text it runs."""
    prepared = getattr(connection, "_case_process_prepared", None)
    texts = {name: sql for sql, name in getattr(prepared, "names", {}).items()}
    sqls = [query["sql"] for query in captured.captured_queries]
    assert sqls.count("BEGIN") == 1 and sqls.count("COMMIT") == 1, sqls
    sqls = sqls[sqls.index("BEGIN") + 1 : sqls.index("COMMIT")]
    return [texts.get(sql.split()[1], sql) if sql.startswith("EXECUTE ") else sql for sql in sqls]


def _area(name: str):
    area = LocalAreaFactory(name=name)
    front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=area))
    dsl = UserFactory(role=Role.DSL, agency=AgencyFactory(area=area))
    published_default_version(area=area, actor=front_door)
    child = ChildFactory(area=area, school=dsl.agency)
    _refer(dsl, child)  # opens the child's case (and compiles the pathway, as a server has)
    return area, dsl, child


def test_a_joining_referral_writes_its_decision_in_intakes_second_statement():
    _, dsl, child = _area("Invented Querymoor")

    with CaptureQueriesContext(connection) as captured:
        referral = _refer(dsl, child)

    statements = _statements(captured)
    assert RepeatReferralDecision.objects.filter(referral=referral).count() == 1
    writing = [sql for sql in statements if "cases_repeatreferraldecision" in sql]
    assert len(writing) == 1
    # The same statement writes the referral's link to the case and its audit events.
    assert "cases_referralchild" in writing[0] and "audit_auditevent" in writing[0]
    assert len(statements) == JOINING_STATEMENTS, "\n".join(statements)
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper().split(" ", 2)[:2]]


@contextmanager
def _serving_role(area_ids: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {SERVING_ROLE}")
    try:
        with area_context(area_ids):
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_the_serving_role_sees_only_its_own_areas_repeat_decisions():
    area_a, dsl_a, child_a = _area("Invented Wallmoor")
    _, dsl_b, child_b = _area("Invented Wallbury")
    mine = RepeatReferralDecision.objects.get(referral=_refer(dsl_a, child_a))
    theirs = RepeatReferralDecision.objects.get(referral=_refer(dsl_b, child_b))

    with _serving_role(str(area_a.pk)):
        seen = set(RepeatReferralDecision.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relrowsecurity FROM pg_class WHERE relname = %s",
                ["cases_repeatreferraldecision"],
            )
            (enabled,) = cursor.fetchone()

    assert seen == {mine.pk}
    assert theirs.pk not in seen
    assert enabled
