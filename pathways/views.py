"""Pages of the "Pathways" application: versions, their stage graph, diffs and publishing."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from config.errors import DomainError

from .definitions import definition_from_version
from .graph import layout
from .models import Pathway, PathwayVersion
from .permissions import can_edit_pathways
from .services import publish_version
from .validation import validate_definition
from .yaml_io import dump_yaml


@login_required
def pathway_list(request: HttpRequest) -> HttpResponse:
    pathways = Pathway.objects.select_related("area").prefetch_related("versions")
    return TemplateResponse(
        request, "pathways/pathway_list.html", {"pathways": pathways, "heading": "Pathways"}
    )


@login_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PathwayVersion.objects.select_related("pathway"), pk=pk)
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
            "can_edit": can_edit_pathways(request.user),
            "other_versions": version.pathway.versions.exclude(pk=version.pk),
        },
    )


@login_required
def version_export(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PathwayVersion.objects.select_related("pathway"), pk=pk)
    response = HttpResponse(
        dump_yaml(definition_from_version(version)), content_type="application/yaml"
    )
    filename = f"{version.pathway.key}-v{version.number}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    from .diff import diff_versions

    version = get_object_or_404(PathwayVersion.objects.select_related("pathway"), pk=pk)
    other = get_object_or_404(
        PathwayVersion.objects.filter(pathway_id=version.pathway_id), pk=request.GET.get("against")
    )
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
    version = get_object_or_404(PathwayVersion, pk=pk)
    if not can_edit_pathways(request.user):
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
