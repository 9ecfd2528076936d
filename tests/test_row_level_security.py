"""Row-level security by area (cases migration 0007, agencies/db_context.py), on PostgreSQL.

The suite connects as the cluster's superuser, which bypasses row-level security; these tests
`SET ROLE hsb_app` (the serving role, created by scripts/run_tests.py and granted its rights
by `migrate`) to see what the app sees, with a forgotten filter: deliberately unscoped
queries, ORM and raw SQL, on every protected table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from agencies.db_context import NO_AREA, area_context, area_ids_for, current_area_ids
from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from assessments.models import Assessment, AssessmentContribution
from cases.models import (
    AccessGrant,
    BreakGlassReview,
    Case,
    CaseNote,
    CaseUserObjectPermission,
    Child,
    InformationSharingDecision,
    LeadDesignation,
    RecordedView,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    RepeatReferralDecision,
    TeamMember,
)
from cases.tests.factories import open_case
from partnership.models import ProcessFeedback
from pathways.tests.factories import published_default_version

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SERVING_ROLE = "hsb_app"
# Every table with a row-level security policy, and the column naming the row's case or area.
PROTECTED_TABLES = [
    "cases_child",
    "cases_referral",
    "cases_case",
    "cases_referralbehaviour",
    "cases_referralchild",
    "cases_stagemove",
    "cases_leaddesignation",
    "cases_teammember",
    "cases_recordedview",
    "cases_casenote",
    "cases_accessgrant",
    "cases_breakglassreview",
    "cases_case_linked_cases",
    "cases_caseuserobjectpermission",
    "cases_informationsharingdecision",
    "assessments_assessment",
    "assessments_assessmentcontribution",
    "cases_repeatreferraldecision",
    "partnership_processfeedback",
]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")


@contextmanager
def as_serving_role(area_ids: str | None) -> Iterator[None]:
    """Act as the serving role, with the given area context (None: the system context)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {SERVING_ROLE}")
    try:
        if area_ids is None:
            yield
        else:
            with area_context(area_ids):
                yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def populate(name: str) -> dict[str, Any]:
    """An invented area with a row in every protected table (written as the owner)."""
    area = LocalAreaFactory(name=name)
    school = AgencyFactory(area=area, name=f"{name} School", agency_type=AgencyType.SCHOOL)
    front = AgencyFactory(area=area, name=f"{name} Front Door", agency_type=AgencyType.OTHER)
    front_door = UserFactory(role=Role.FRONT_DOOR, agency=front, username=f"{name}-fd")
    lead = UserFactory(role=Role.LEAD_PRACTITIONER, agency=front, username=f"{name}-lead")
    version = published_default_version(area=area, actor=front_door)
    now = timezone.now()
    referral = Referral.objects.create(
        area=area,
        received_at=now,
        source="2A",
        referring_agency=school,
        description="Invented.",
        recorded_by=front_door,
    )
    ReferralBehaviour.objects.create(
        referral=referral,
        description="Invented.",
        continuum_level="problematic",
        traffic_light="amber",
        setting="school",
    )
    case = open_case(version=version, actor=front_door)
    harmed = open_case(version=version, actor=front_door, involvement="harmed")
    case.linked_cases.add(harmed)
    ReferralChild.objects.create(
        referral=referral, child=case.child, involvement="displaying_hsb", case=case
    )
    LeadDesignation.objects.create(
        case=case, practitioner=lead, designated_by=front_door, started_at=now
    )
    TeamMember.objects.create(
        case=case, agency=front, practitioner=lead, role_on_case="Lead", joined_at=now
    )
    RecordedView.objects.create(
        case=case, holder="child", view="Invented.", recorded_at=now, recorded_by=lead
    )
    CaseNote.objects.create(case=case, text="Invented.", written_at=now, author=lead)
    InformationSharingDecision.objects.create(
        case=case,
        decision="share",
        information="Invented.",
        recipient_agency=school,
        purpose="Invented.",
        lawful_basis="public_task_safeguarding",
        consent="given",
        decided_by=lead,
        decided_at=now,
    )
    grant = AccessGrant.objects.create(
        case=case,
        user=lead,
        kind="break_glass",
        reason="Invented emergency.",
        granted_by=lead,
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=4),
    )
    BreakGlassReview.objects.create(grant=grant)
    CaseUserObjectPermission.objects.create(
        content_object=case,
        user=lead,
        permission=Permission.objects.get(content_type__app_label="cases", codename="view_case"),
    )
    assessment = Assessment.objects.create(
        case=case, assessment_type="AIM3", requested_at=now, requested_by=lead
    )
    AssessmentContribution.objects.create(
        assessment=assessment,
        agency=school,
        summary="Invented.",
        recorded_at=now,
        recorded_by=lead,
    )
    RepeatReferralDecision.objects.create(
        referral=referral, case=case, area=area, due_on=now.date() + datetime.timedelta(days=1)
    )
    ProcessFeedback.objects.create(
        area=area,
        case=case,
        given_by="child",
        aspect="referral",
        feedback="Invented.",
        recorded_at=now,
        recorded_by=lead,
    )
    return {"area": area, "case": case, "child": case.child, "referral": referral, "lead": lead}


@pytest.fixture
def areas() -> tuple[dict[str, Any], dict[str, Any]]:
    return populate("Ashmoor"), populate("Birchdale")


def _counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in PROTECTED_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    return counts


def test_every_protected_table_has_row_level_security_enabled_not_forced() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)",
            [PROTECTED_TABLES],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    assert flags == {table: (True, False) for table in PROTECTED_TABLES}


def test_an_unscoped_query_as_a_user_of_area_a_returns_no_row_of_area_b(areas) -> None:
    a, b = areas
    with as_serving_role(str(a["area"].pk)):
        cases = list(Case.objects.all())
        children = list(Child.objects.all())
        referrals = list(Referral.objects.all())
        counts = _counts()
        case_areas = set(Case.objects.values_list("area_id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT area_id FROM cases_child")
            child_areas = {row[0] for row in cursor.fetchall()}

    assert {case.pk for case in cases} == set(
        Case.objects.filter(area=a["area"]).values_list("pk", flat=True)
    )
    assert b["case"].pk not in {case.pk for case in cases}
    assert b["child"].pk not in {child.pk for child in children}
    assert [referral.pk for referral in referrals] == [a["referral"].pk]
    assert case_areas == child_areas == {a["area"].pk}
    # Exactly area A's rows, table by table: each table holds one area's worth of rows.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        assert cursor.fetchone()[0] == 4
    everything = _counts()
    for table in PROTECTED_TABLES:
        assert counts[table] * 2 == everything[table], table
        assert counts[table] > 0, table


def test_the_serving_role_cannot_write_into_another_area(areas) -> None:
    from django.db import DatabaseError, transaction

    a, b = areas
    with as_serving_role(str(a["area"].pk)):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            CaseNote.objects.create(
                case=b["case"], text="Invented.", written_at=timezone.now(), author=a["lead"]
            )
        updated = Case.objects.filter(pk=b["case"].pk).update(outcome_summary="Invented.")
        deleted = CaseNote.objects.filter(case=b["case"]).delete()[0]
    assert (updated, deleted) == (0, 0)
    assert CaseNote.objects.filter(case=b["case"]).count() == 1


def test_the_system_context_sees_both_areas(areas) -> None:
    a, b = areas
    with as_serving_role(None):
        assert current_area_ids() in (None, "")
        seen = set(Case.objects.values_list("area_id", flat=True))
        counts = _counts()
    assert seen == {a["area"].pk, b["area"].pk}
    assert counts == _counts()


def test_a_user_without_an_area_sees_nothing(areas) -> None:
    analyst = UserFactory(role=Role.ANALYST, agency=None, username="no-area")
    assert area_ids_for(analyst) == NO_AREA
    with as_serving_role(area_ids_for(analyst)):
        assert not Case.objects.exists()
        assert set(_counts().values()) == {0}


def _setting_seen_by_queries(client: Any, path: str) -> set[str]:
    """The `app.area_ids` values in force when the request's view queried the cases."""
    seen: set[str] = set()

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Sessions and the signed-in user load before the middleware; case tables after it.
        if '"cases_case"' in sql:
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('app.area_ids', true)")
                seen.add(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        client.get(path)
    return seen


def test_a_request_sets_the_actors_area_and_resets_it_afterwards(client, areas) -> None:
    a, _ = areas
    client.force_login(a["lead"])
    assert _setting_seen_by_queries(client, "/api/cases/") == {str(a["area"].pk)}
    # Reset after the response: the reused connection is back in the system context.
    assert current_area_ids() == ""


def _through_middleware(request: Any) -> str:
    """Run the real middleware around a view that reports the setting it runs under."""
    from django.http import HttpResponse

    from agencies.db_context import DatabaseAreaMiddleware

    response = DatabaseAreaMiddleware(lambda _: HttpResponse(current_area_ids()))(request)
    return response.content.decode()


def test_an_anonymous_request_is_never_the_system_context(rf) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/api/cases/")
    request.user = AnonymousUser()
    assert _through_middleware(request) == NO_AREA
    assert current_area_ids() == ""


def test_a_user_without_an_area_gets_a_set_value_that_matches_nothing(rf) -> None:
    request = rf.get("/api/cases/")
    request.user = UserFactory(role=Role.ANALYST, agency=None, username="no-area-request")
    assert _through_middleware(request) == NO_AREA
    assert current_area_ids() == ""


def test_a_token_request_gets_its_users_area(rf, areas) -> None:
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser

    a, _ = areas
    if "knox" in settings.INSTALLED_APPS:
        from knox.models import AuthToken

        key = AuthToken.objects.create(user=a["lead"])[1]
    else:
        from rest_framework.authtoken.models import Token

        key = Token.objects.create(user=a["lead"]).key
    request = rf.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    request.user = AnonymousUser()  # DRF authenticates in the view, after the middleware
    assert _through_middleware(request) == str(a["area"].pk)
    bad = rf.get("/api/cases/", HTTP_AUTHORIZATION="Token not-a-token")
    bad.user = AnonymousUser()
    assert _through_middleware(bad) == NO_AREA
