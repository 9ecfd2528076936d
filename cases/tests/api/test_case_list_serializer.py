"""CaseListSerializer writes its fields directly (issue 15): the same JSON as DRF's own walk
over the fields it declares, for cases with and without a lead, a due date, an overdue flag,
a confirmed continuum level and a closure; the detail (a subclass) still goes DRF's way."""

import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from cases.api.serializers import CaseDetailSerializer, CaseListSerializer
from cases.models import Case
from cases.selectors import as_case_list
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


def test_the_list_rows_are_drfs_own(default_version, front_door, lead_practitioner):
    cases = [open_case(version=default_version, actor=front_door) for _ in range(4)]
    ids = [case.pk for case in cases]
    Case.objects.filter(pk=ids[0]).update(lead_practitioner=lead_practitioner)
    Case.objects.filter(pk=ids[1]).update(
        stage_due_on=datetime.date(2026, 2, 3),
        stage_overdue_since=timezone.now(),
        confirmed_continuum_level=Case._meta.get_field("confirmed_continuum_level").choices[0][0],
    )
    Case.objects.filter(pk=ids[2]).update(
        closed_at=datetime.datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC),
        stage_due_on=None,
    )
    rows = list(as_case_list(Case.objects.filter(pk__in=ids)).order_by("pk"))
    serializer = CaseListSerializer()
    for row in rows:
        lean = serializer.to_representation(row)
        drf = serializers.ModelSerializer.to_representation(serializer, row)
        assert lean == dict(drf)
        assert list(lean) == list(drf)  # the same order of keys
    many = CaseListSerializer(rows, many=True).data
    assert [dict(item) for item in many] == [
        dict(serializers.ModelSerializer.to_representation(serializer, row)) for row in rows
    ]
    assert {item["lead_practitioner"] for item in many} >= {None, str(lead_practitioner)}


def test_the_detail_is_not_written_the_lists_way(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    case.route_moves = []
    data = CaseDetailSerializer(case).data
    assert "route" in data  # a field only the detail declares: DRF's walk wrote it
