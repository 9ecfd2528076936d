"""Pages of the "Pathways" application: versions, their stage graph, diffs and publishing.

Every page starts from the pathways the user may see (their area's): another area's version
is a 404 like a missing one; changing one asks `can_edit_pathway(user, pathway)`.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .definitions import definition_from_version
from .diff import diff_versions
from .graph import layout
from .models import PathwayVersion
from .permissions import can_edit_pathway
from .selectors import pathways_visible_to, versions_visible_to
from .services import publish_version
from .validation import validate_definition
from .yaml_io import dump_yaml


def _versions(request: HttpRequest) -> QuerySet[PathwayVersion]:
    return versions_visible_to(request.user).select_related("pathway")


@login_required
def pathway_list(request: HttpRequest) -> HttpResponse:
    pathways = pathways_visible_to(request.user).select_related("area").prefetch_related("versions")
    return TemplateResponse(
        request, "pathways/pathway_list.html", {"pathways": pathways, "heading": "Pathways"}
    )


@login_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(_versions(request), pk=pk)
    definition = definition_from_version(version)
    stages = {stage.key: stage for stage in version.stages.all()}
    return TemplateResponse(
        request,
        "pathways/version_detail.html",
        {
            "version": version,
            "definition": definition,
            "stage_rows": [stages[s.key] for s in definition.stages],
            "transitions": version.transitions.select_related("from_stage", "to_stage"),
            "graph": layout(definition),
            "title": f"{definition.name} v{version.number}",
            "heading": f"{definition.name} v{version.number}",
            "problems": validate_definition(definition) if not version.is_published else [],
            "can_edit": can_edit_pathway(request.user, version.pathway),
            "other_versions": version.pathway.versions.exclude(pk=version.pk),
        },
    )


@login_required
def version_export(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(_versions(request), pk=pk)
    response = HttpResponse(
        dump_yaml(definition_from_version(version)), content_type="application/yaml"
    )
    filename = f"{version.pathway.key}-v{version.number}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(_versions(request), pk=pk)
    against = request.GET.get("against")
    if not (against or "").isdigit():
        raise Http404
    other = get_object_or_404(_versions(request).filter(pathway_id=version.pathway_id), pk=against)
    older, newer = sorted([version, other], key=lambda v: v.number)
    changes = diff_versions(definition_from_version(older), definition_from_version(newer))
    return TemplateResponse(
        request,
        "pathways/version_diff.html",
        {
            "older": older,
            "newer": newer,
            "changes": changes,
            "heading": f"Changes from v{older.number} to v{newer.number}",
        },
    )


@login_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(_versions(request), pk=pk)
    if not can_edit_pathway(request.user, version.pathway):
        messages.error(request, "Your role may not publish pathway versions.")
        return redirect("pathways_app:version", pk=pk)
    try:
        publish_version(version=version, actor=request.user)
    except DomainError as error:
        problems: Any = error.extra.get("problems", [])
        messages.error(request, error.message)
        for problem in problems:
            messages.error(request, problem["message"])
    else:
        messages.success(request, f"Version {version.number} is published.")
    return redirect("pathways_app:version", pk=pk)
