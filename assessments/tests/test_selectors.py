"""Reads: visibility, overdue assessments and the recommendation on the case."""

import datetime

import pytest
from django.utils import timezone

from agencies.roles import Role
from assessments.models import Assessment
from assessments.selectors import (
    assessments_visible_to,
    case_has_authorised_assessment,
    overdue_assessments,
)
from assessments.services import authorise_assessment
from pathways import artefacts

from .factories import early_help_case, requested, submitted

pytestmark = pytest.mark.django_db


def _due(assessment, days_from_today):
    Assessment.objects.filter(pk=assessment.pk).update(
        due_on=timezone.localdate() + datetime.timedelta(days=days_from_today)
    )


def test_overdue_assessments_are_open_ones_past_their_due_date(
    case, tools, lead_practitioner, manager
):
    late = requested(case, lead_practitioner, "brief_assessment")
    on_time = requested(case, lead_practitioner, "comprehensive_assessment")
    done = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    authorise_assessment(assessment=done, actor=manager)
    _due(late, -1)
    _due(on_time, 0)
    _due(done, -5)

    assert list(overdue_assessments(manager)) == [late]
    assert list(overdue_assessments(lead_practitioner)) == [late]


def test_a_lead_practitioner_sees_only_the_assessments_of_cases_they_lead(
    case, default_version, front_door, manager, make_user, lead_practitioner
):
    other_lead = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)  # same team
    other_case = early_help_case(
        version=default_version, front_door=front_door, lead=other_lead, manager=manager
    )
    mine = requested(case, lead_practitioner)
    theirs = requested(other_case, other_lead)

    assert list(assessments_visible_to(lead_practitioner)) == [mine]
    assert set(assessments_visible_to(manager)) == {mine, theirs}
    assert not assessments_visible_to(make_user(Role.DSL)).exists()


def test_an_authorised_assessment_counts_from_the_stage_it_was_authorised_in(
    case, tools, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    assert not case_has_authorised_assessment(case=case, since=case.stage_entered_at)

    authorise_assessment(assessment=assessment, actor=manager)

    assert case_has_authorised_assessment(case=case, since=case.stage_entered_at)
    later = timezone.now() + datetime.timedelta(seconds=1)
    assert not case_has_authorised_assessment(case=case, since=later)


def test_a_stages_authorised_assessment_requirement_is_checked_by_assessments(
    case, tools, lead_practitioner, manager
):
    assessment = submitted(case, lead_practitioner, tools["brook_traffic_light"])
    assert artefacts.missing_artefacts(["authorised_assessment"], case, {}) == [
        "authorised_assessment"
    ]

    authorise_assessment(assessment=assessment, actor=manager)

    assert artefacts.missing_artefacts(["authorised_assessment"], case, {}) == []


def test_a_requirement_no_app_registered_a_check_for_is_never_met(
    case, tools, lead_practitioner, manager, monkeypatch
):
    authorise_assessment(
        assessment=submitted(case, lead_practitioner, tools["brook_traffic_light"]), actor=manager
    )
    monkeypatch.delitem(artefacts._REQUIREMENT_CHECKS, "authorised_assessment")

    assert artefacts.missing_artefacts(["authorised_assessment"], case, {}) == [
        "authorised_assessment"
    ]
