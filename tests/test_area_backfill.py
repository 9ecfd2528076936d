"""Migration cases 0006 backfills the area of existing children, referrals and cases from the
joins they already had: undone to before it and applied again, every row gets its area back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from agencies.models import AgencyType
from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from cases.models import Case, Child, Referral, ReferralChild
from cases.tests.factories import ChildFactory, open_case
from pathways.tests.factories import published_default_version

BEFORE_AREAS = ("cases", "0005_access_grants_and_break_glass")


def _area_rows() -> dict[str, dict[int, int]]:
    return {
        model._meta.db_table: dict(model.objects.values_list("pk", "area_id"))
        for model in (Child, Referral, Case)
    }


@pytest.mark.django_db(transaction=True)
def test_undoing_and_reapplying_the_area_columns_recomputes_every_area() -> None:
    for name in ("Eastmere", "Westmere"):
        area = LocalAreaFactory(name=name)
        school = AgencyFactory(area=area, name=f"{name} School", agency_type=AgencyType.SCHOOL)
        recorder = UserFactory(role=Role.FRONT_DOOR, agency=school, username=f"{name}-fd")
        version = published_default_version(area=area, actor=recorder)
        case = open_case(version=version, actor=recorder)
        now = timezone.now()
        # By the referring agency; by the recorder alone; by its case alone.
        Referral.objects.create(
            area=area, received_at=now, source="2A", referring_agency=school, description="."
        )
        Referral.objects.create(
            area=area, received_at=now, source="2A", recorded_by=recorder, description="."
        )
        by_case = Referral.objects.create(area=area, received_at=now, source="6", description=".")
        Case.objects.filter(pk=case.pk).update(referral=by_case)
        # A child with no case: their school's area, else a referral's.
        ChildFactory(area=area, school=school)
        unschooled = ChildFactory(area=area)
        ReferralChild.objects.create(
            referral=by_case, child=unschooled, involvement="harmed", case=case
        )
    expected = _area_rows()
    assert len({area for rows in expected.values() for area in rows.values()}) == 2

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE_AREAS])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'cases_case' AND column_name = 'area_id'"
        )
        assert cursor.fetchone()[0] == 0
    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    assert _area_rows() == expected
