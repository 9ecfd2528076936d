"""Assessments join the child's record in cases/ through registries filled by `ready()`.

Cases sits below assessments and never imports it, so the steps of each assessment reach the
chronology only this way.
"""

from django.apps import apps

from assessments.chronology import assessment_entries
from cases.chronology.entries import KIND_RANK, EntryKind
from cases.chronology.sources import registered_sources


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
