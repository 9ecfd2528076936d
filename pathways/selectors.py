"""Reads of pathway definitions. Any signed-in practitioner may read every pathway.

List reads fetch their related rows up front, so a list costs the same number of
queries for 3 rows as for 30.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from agencies.models import LocalArea

from .definitions import PathwayDefinition, definition_from_version
from .diff import Change, diff_versions
from .models import Pathway, PathwayVersion, Stage, Transition


def pathways_list() -> QuerySet[Pathway]:
    """Pathways with their area and every version (newest first) for a summary."""
    return Pathway.objects.select_related("area").prefetch_related(
        Prefetch("versions", queryset=PathwayVersion.objects.order_by("-number"))
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


def versions_list() -> QuerySet[PathwayVersion]:
    """Versions with their pathway and how many stages and transitions each has."""
    return PathwayVersion.objects.select_related("pathway__area").annotate(
        stage_count=_rows_per_version(Stage),
        transition_count=_rows_per_version(Transition),
    )


def versions_of(pathway: Pathway) -> QuerySet[PathwayVersion]:
    return versions_list().filter(pathway=pathway).order_by("-number")


def version_definition(version: PathwayVersion) -> PathwayDefinition:
    return definition_from_version(version)


def version_changes(*, version: PathwayVersion, against: PathwayVersion) -> list[Change]:
    """What changed from `against` (the older reading) to `version`."""
    return diff_versions(version_definition(against), version_definition(version))


def sole_local_area() -> LocalArea | None:
    """The only local area, when the deployment serves just one; None when there are several."""
    areas = list(LocalArea.objects.order_by("pk")[:2])
    return areas[0] if len(areas) == 1 else None
