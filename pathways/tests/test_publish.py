"""Publishing: a valid draft becomes a version that never changes; an invalid one stays a draft."""

import pytest

from audit.models import AuditEvent
from pathways.definitions import definition_from_version
from pathways.exceptions import DefinitionInvalid, VersionNotEditable
from pathways.models import PublishedVersionIsImmutable, Stage, Transition, VersionStatus
from pathways.services import create_draft_version, publish_version, update_draft_version
from pathways.tests.factories import default_definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(area, coordinator):
    return create_draft_version(area=area, definition=default_definition(), actor=coordinator)


def _with_early_help_timescale(days):
    definition = default_definition()
    next(s for s in definition.stages if s.key == "early_help").timescale_working_days = days
    return definition


def test_a_draft_can_be_replaced(draft, coordinator):
    update_draft_version(
        version=draft, definition=_with_early_help_timescale(20), actor=coordinator
    )

    assert draft.stages.get(key="early_help").timescale_working_days == 20


def test_a_published_version_cannot_be_replaced(default_version, coordinator):
    with pytest.raises(VersionNotEditable):
        update_draft_version(
            version=default_version, definition=_with_early_help_timescale(20), actor=coordinator
        )

    assert default_version.stages.get(key="early_help").timescale_working_days == 30


def test_a_draft_stage_row_can_be_saved(draft):
    stage = draft.stages.get(key="early_help")
    stage.timescale_working_days = 25
    stage.save()

    assert Stage.objects.get(pk=stage.pk).timescale_working_days == 25


def test_saving_a_stage_of_a_published_version_is_refused(default_version):
    stage = default_version.stages.get(key="early_help")
    stage.timescale_working_days = 20

    with pytest.raises(PublishedVersionIsImmutable):
        stage.save()

    assert Stage.objects.get(pk=stage.pk).timescale_working_days == 30


def test_deleting_a_stage_of_a_published_version_is_refused(default_version):
    stage = default_version.stages.get(key="review")

    with pytest.raises(PublishedVersionIsImmutable):
        stage.delete()

    assert default_version.stages.filter(key="review").exists()


def test_saving_a_transition_of_a_published_version_is_refused(default_version):
    transition = default_version.transitions.get(key="reopen")
    transition.allowed_roles = ["front_door"]

    with pytest.raises(PublishedVersionIsImmutable):
        transition.save()

    assert Transition.objects.get(pk=transition.pk).allowed_roles == ["front_door", "team_manager"]


def test_deleting_a_transition_of_a_published_version_is_refused(default_version):
    transition = default_version.transitions.get(key="reopen")

    with pytest.raises(PublishedVersionIsImmutable):
        transition.delete()

    assert default_version.transitions.filter(key="reopen").exists()


def test_publishing_records_who_published_and_when(draft, coordinator):
    publish_version(version=draft, actor=coordinator)

    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert draft.published_by == coordinator
    assert draft.published_at is not None
    assert AuditEvent.objects.filter(
        action="pathway.version_published", object_id=str(draft.pk)
    ).exists()


def test_a_version_cannot_be_published_twice(default_version, coordinator):
    first_published_at = default_version.published_at

    with pytest.raises(VersionNotEditable):
        publish_version(version=default_version, actor=coordinator)

    default_version.refresh_from_db()
    assert default_version.published_at == first_published_at


def test_publishing_an_invalid_draft_fails_listing_its_problems(draft, coordinator):
    # Drafts are validated on import, but their rows can be edited afterwards (the admin does).
    stage = draft.stages.get(key="early_help")
    stage.timescale_working_days = 0
    stage.responsible_role = "social_worker"
    stage.save()

    with pytest.raises(DefinitionInvalid) as raised:
        publish_version(version=draft, actor=coordinator)

    assert [problem["message"] for problem in raised.value.extra["problems"]] == [
        "Stage 'early_help' names role 'social_worker', which does not exist.",
        "Stage 'early_help' has a timescale of 0 working days; it must be at least 1.",
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert draft.published_at is None


def test_a_published_version_reads_back_as_the_definition_it_was_published_with(default_version):
    assert definition_from_version(default_version) == default_definition()


def test_renaming_the_pathway_in_a_later_draft_leaves_published_versions_as_they_were(
    default_version, coordinator
):
    from pathways.definitions import definition_from_version
    from pathways.services import create_draft_version
    from pathways.tests.factories import default_definition

    renamed = default_definition()
    renamed.name = "Northwold HSB pathway (2027)"
    renamed.description = "Revised after the 2026 audit."
    draft = create_draft_version(
        area=default_version.pathway.area, definition=renamed, actor=coordinator
    )

    published = definition_from_version(default_version)
    assert published.name == default_definition().name
    assert published.description == default_definition().description
    assert definition_from_version(draft).name == "Northwold HSB pathway (2027)"
