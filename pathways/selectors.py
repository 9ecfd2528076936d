"""Reads of pathway definitions: each starts from what the actor may see, their own area's
pathways (`pathways.permissions`); another area's pathway or version is not found.

List reads fetch their related rows up front, so a list costs the same number of
queries for 3 rows as for 30.
"""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from agencies.actors import Actor
from agencies.models import LocalArea

from .definitions import PathwayDefinition, definition_from_version
from .diff import Change, diff_versions
from .models import Pathway, PathwayVersion, Stage, Transition
from .permissions import (
    PathwayNotFound,
    area_of,
    is_installation_administrator,
    visible_pathways_q,
)


def pathways_visible_to(actor: Actor | None) -> QuerySet[Pathway]:
    """The pathways the actor may see: their own area's (every area's for the installation's
    set-up administrator, and for the system, `actor=None`)."""
    return Pathway.objects.filter(visible_pathways_q(actor))


def versions_visible_to(actor: Actor | None) -> QuerySet[PathwayVersion]:
    return PathwayVersion.objects.filter(visible_pathways_q(actor, prefix="pathway__"))


def visible_version(actor: Actor | None, version: Any) -> PathwayVersion:
    """The version named (object or id) if the actor may see it; else PathwayNotFound, the
    same answer as for an id that does not exist."""
    pk = getattr(version, "pk", version)
    if isinstance(pk, bool) or not isinstance(pk, int | str):
        raise PathwayNotFound()
    try:
        return versions_visible_to(actor).select_related("pathway__area").get(pk=int(pk))
    except (PathwayVersion.DoesNotExist, ValueError, TypeError):
        raise PathwayNotFound() from None


def visible_area(actor: Actor | None, area: Any) -> LocalArea:
    """The area named (object or id) if the actor may see it: their own (any, for the set-up
    administrator and the system); else PathwayNotFound."""
    pk = getattr(area, "pk", area)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise PathwayNotFound() from None
    if actor is not None and not is_installation_administrator(actor) and pk != area_of(actor):
        raise PathwayNotFound()
    found = LocalArea.objects.filter(pk=pk).first()
    if found is None:
        raise PathwayNotFound()
    return found


def pathways_list(actor: Actor | None) -> QuerySet[Pathway]:
    """Pathways with their area and every version (newest first) for a summary."""
    return (
        pathways_visible_to(actor)
        .select_related("area")
        .prefetch_related(Prefetch("versions", queryset=PathwayVersion.objects.order_by("-number")))
    )


def _rows_per_version(model: type[Stage] | type[Transition]) -> Coalesce:
    # Two Counts over two joins would multiply rows; one subquery per part does not.
    counted = (
        model.objects.filter(version=OuterRef("pk"))
        .order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def versions_list(actor: Actor | None) -> QuerySet[PathwayVersion]:
    """Versions with their pathway and how many stages and transitions each has."""
    return (
        versions_visible_to(actor)
        .select_related("pathway__area")
        .annotate(
            stage_count=_rows_per_version(Stage),
            transition_count=_rows_per_version(Transition),
        )
    )


def versions_of(actor: Actor | None, pathway: Pathway) -> QuerySet[PathwayVersion]:
    return versions_list(actor).filter(pathway=pathway).order_by("-number")


def version_definition(version: PathwayVersion) -> PathwayDefinition:
    return definition_from_version(version)


def version_changes(*, actor: Actor | None, version: Any, against: Any) -> list[Change]:
    """What changed from `against` (the older reading) to `version`: both must be versions
    the actor may see (objects or ids; another area's is not found)."""
    version, against = visible_version(actor, version), visible_version(actor, against)
    return diff_versions(version_definition(against), version_definition(version))


def sole_local_area() -> LocalArea | None:
    """The only local area, when the deployment serves just one; None when there are several."""
    areas = list(LocalArea.objects.order_by("pk")[:2])
    return areas[0] if len(areas) == 1 else None
