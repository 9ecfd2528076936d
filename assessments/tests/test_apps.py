"""Assessments join the child's record in cases/ through registries filled by `ready()`.

Cases sits below assessments and never imports it, so the steps of each assessment reach the
chronology, and the reads of a case's assessments its access log, only this way.
"""

import pytest
from django.apps import apps
from django.utils import timezone

from assessments.chronology import assessment_entries
from assessments.models import Assessment
from audit.services import record_event
from cases.chronology.entries import KIND_RANK, EntryKind
from cases.chronology.sources import registered_sources
from cases.selectors import case_access_log
from cases.tests.factories import open_case


def test_the_chronology_reads_each_source_once_in_the_order_of_its_kinds():
    # A second ready() (as some test runners do) registers nothing twice.
    apps.get_app_config("assessments").ready()

    sources = registered_sources()

    first_kinds = [min(kinds, key=KIND_RANK.__getitem__) for kinds, _ in sources]
    assert first_kinds == [kind for kind in EntryKind.values if kind != EntryKind.CLOSURE]
    assert [source for _, source in sources].count(assessment_entries) == 1
    assert dict((source, kinds) for kinds, source in sources)[assessment_entries] == {
        EntryKind.ASSESSMENT
    }


@pytest.mark.django_db
def test_the_access_log_shows_reads_of_the_cases_assessments_and_no_other(
    case, default_version, front_door, lead_practitioner
):
    other_case = open_case(version=default_version, actor=front_door)
    mine, theirs = (
        Assessment.objects.create(case=on, assessment_type="AIM3", requested_at=timezone.now())
        for on in (case, other_case)
    )
    for assessment in (mine, theirs):
        record_event(actor=lead_practitioner, action="assessment.read", target=assessment)

    reads = case_access_log(case).filter(action="assessment.read")

    assert [event.object_id for event in reads] == [str(mine.pk)]
