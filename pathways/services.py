"""Writes to pathway definitions: import a draft, edit it, publish it.

Each checks the actor against the object first (`pathways.permissions`): another area's
pathway, version or area is not found (404), exactly like one that does not exist; a pathway
the actor sees but may not change is refused (403). `actor=None` is the system.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from agencies.actors import Actor, user_of
from agencies.models import LocalArea
from audit.services import record_event

from .definitions import PathwayDefinition, definition_from_version, write_definition_rows
from .exceptions import DefinitionInvalid, VersionNotEditable
from .models import Pathway, PathwayVersion, VersionStatus
from .permissions import NotAPathwayEditor, can_edit_in_area, check_edit_pathway
from .selectors import visible_area, visible_version
from .validation import validate_definition


def _refuse_invalid(definition: PathwayDefinition) -> None:
    problems = validate_definition(definition)
    if problems:
        raise DefinitionInvalid(
            f"The pathway definition has {len(problems)} problem(s).",
            problems=[problem.as_dict() for problem in problems],
        )


def _editable_version(actor: Actor | None, version: PathwayVersion | int) -> PathwayVersion:
    """The version, locked, once the actor may see and change it."""
    seen = visible_version(actor, version)
    check_edit_pathway(actor, seen.pathway)
    return PathwayVersion.objects.select_for_update().select_related("pathway").get(pk=seen.pk)


@transaction.atomic
def create_draft_version(
    *, area: LocalArea | int, definition: PathwayDefinition, actor: Actor | None, notes: str = ""
) -> PathwayVersion:
    """A new draft version of the pathway named by the definition's key (created if new)."""
    area = visible_area(actor, area)
    if not can_edit_in_area(actor, area):
        raise NotAPathwayEditor(
            "Only HSB coordinators and system administrators may change pathway definitions."
        )
    _refuse_invalid(definition)
    pathway, _ = Pathway.objects.select_for_update().get_or_create(
        area=area,
        key=definition.key,
        defaults={"name": definition.name, "description": definition.description},
    )
    number = (pathway.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PathwayVersion.objects.create(
        pathway=pathway,
        number=number,
        name=definition.name,
        description=definition.description,
        notes=notes,
        created_by=user_of(actor),
    )
    write_definition_rows(version, definition)
    record_event(actor=actor, action="pathway.version_created", target=version, reason=notes)
    return version


@transaction.atomic
def update_draft_version(
    *, version: PathwayVersion | int, definition: PathwayDefinition, actor: Actor | None
) -> PathwayVersion:
    version = _editable_version(actor, version)
    if version.is_published:
        raise VersionNotEditable(f"Version {version.number} is published and cannot change.")
    if definition.key != version.pathway.key:
        raise DefinitionInvalid(
            "The definition's key does not match this pathway.",
            fields={"key": [f"Expected '{version.pathway.key}'."]},
        )
    _refuse_invalid(definition)
    version.name, version.description = definition.name, definition.description
    version.save(update_fields=["name", "description"])
    write_definition_rows(version, definition)
    record_event(actor=actor, action="pathway.version_edited", target=version)
    return version


@transaction.atomic
def publish_version(*, version: PathwayVersion, actor: Actor | None) -> PathwayVersion:
    """Publish a draft after validating it; from then on it never changes."""
    version = _editable_version(actor, version)
    if version.is_published:
        raise VersionNotEditable(f"Version {version.number} is already published.")
    _refuse_invalid(definition_from_version(version))
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user_of(actor)
    version.save(update_fields=["status", "published_at", "published_by"])
    # The pathway is listed under the name of its latest published version.
    Pathway.objects.filter(pk=version.pathway_id).update(
        name=version.name, description=version.description
    )
    record_event(actor=actor, action="pathway.version_published", target=version)
    return version
