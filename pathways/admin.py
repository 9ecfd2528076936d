"""Admin for pathway definitions: drafts can be edited row by row; published versions are read-only.

Changing anything needs `can_edit_pathway(user, pathway)` as well as Django's model
permissions, the same rule as the API; the lists start from the pathways the user may see, so
another area's pathway or version is a 404 here too. Publishing goes through
`publish_version`, so it validates and audits.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest

from agencies.admin_audit import AuditedModelAdmin
from agencies.models import LocalArea
from core.errors import DomainError

from .definitions import definition_from_version
from .exceptions import DefinitionInvalid
from .models import Pathway, PathwayVersion, Stage, Transition, VersionStatus
from .permissions import (
    area_of,
    can_edit_pathway,
    can_edit_pathways,
    is_installation_administrator,
    visible_pathways_q,
)
from .services import publish_version
from .validation import validate_definition


def _editable(request: HttpRequest, version: PathwayVersion | None) -> bool:
    if version is None:
        return can_edit_pathways(request.user)
    return can_edit_pathway(request.user, version.pathway) and not version.is_published


class VersionPartInline(admin.TabularInline):
    """Rows of a version: editable while it is a draft, frozen once it is published."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_delete_permission(request, obj)


class StageInline(VersionPartInline):
    model = Stage
    fields = [
        "position",
        "key",
        "name",
        "tier",
        "responsible_role",
        "timescale_working_days",
        "timescale_from",
        "is_initial",
        "is_terminal",
        "requires",
        "involvements",
        "needs_lead_practitioner",
        "description",
    ]
    ordering = ["position"]


class TransitionInline(VersionPartInline):
    model = Transition
    fk_name = "version"
    fields = [
        "position",
        "key",
        "name",
        "kind",
        "from_stage",
        "to_stage",
        "allowed_roles",
        "guards",
        "reason_required",
        "involvements",
    ]
    ordering = ["position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transition]:
        return super().get_queryset(request).select_related("from_stage", "to_stage")

    def get_formset(
        self, request: HttpRequest, obj: Any = None, **kwargs: Any
    ) -> type[BaseInlineFormSet]:
        formset = super().get_formset(request, obj, **kwargs)
        # A transition joins two stages of its own version, never another version's.
        stages = Stage.objects.filter(version=obj) if obj else Stage.objects.none()
        for name in ("from_stage", "to_stage"):
            if name in formset.form.base_fields:
                formset.form.base_fields[name].queryset = stages  # type: ignore[attr-defined]
        return formset


@admin.register(Pathway)
class PathwayAdmin(AuditedModelAdmin):
    list_display = ["name", "key", "area", "created_at"]
    # Filter choices from the visible rows only: another area's name never shows.
    list_filter = [("area", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "key"]
    list_select_related = ["area"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pathway]:
        return super().get_queryset(request).filter(visible_pathways_q(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "area" and not is_installation_administrator(request.user):
            area_id = area_of(request.user)
            areas = LocalArea.objects.filter(pk=area_id) if area_id else LocalArea.objects.none()
            kwargs["queryset"] = areas
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A published version reads its name from the pathway, so the pathway freezes too.
        if obj is not None and obj.versions.filter(status=VersionStatus.PUBLISHED).exists():
            return ["area", "key", "name", "description", "created_at"]
        return ["area", "key", "created_at"] if obj is not None else ["created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit_pathways(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = can_edit_pathway(request.user, obj) if obj else can_edit_pathways(request.user)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = can_edit_pathway(request.user, obj) if obj else can_edit_pathways(request.user)
        return allowed and super().has_delete_permission(request, obj)


@admin.register(PathwayVersion)
class PathwayVersionAdmin(AuditedModelAdmin):
    list_display = ["__str__", "pathway", "number", "status", "published_at"]
    list_filter = [
        "status",
        ("pathway__area", admin.RelatedOnlyFieldListFilter),
        ("pathway", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["pathway"]
    search_fields = ["pathway__name", "pathway__key", "notes"]
    readonly_fields = [
        "pathway",
        "number",
        "status",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    ]
    fields = [*readonly_fields, "notes"]
    inlines = [StageInline, TransitionInline]
    actions = ["publish_selected", "validate_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PathwayVersion]:
        return super().get_queryset(request).filter(visible_pathways_q(request.user, "pathway__"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New versions come from an import, which validates the whole definition first.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj) and super().has_delete_permission(request, obj)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return can_edit_pathways(request.user)

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[PathwayVersion]) -> None:
        for version in queryset.select_related("pathway").order_by("pathway", "number"):
            try:
                publish_version(version=version, actor=request.user)
            except DefinitionInvalid as error:
                self.message_user(request, f"{version}: not published.", messages.ERROR)
                for problem in error.extra.get("problems", []):
                    self.message_user(request, f"{version}: {problem['message']}", messages.ERROR)
            except DomainError as error:
                self.message_user(request, f"{version}: {error.message}", messages.WARNING)
            else:
                self.message_user(request, f"{version.pathway} v{version.number} published.")

    @admin.action(description="Validate")
    def validate_selected(self, request: HttpRequest, queryset: QuerySet[PathwayVersion]) -> None:
        for version in queryset.select_related("pathway").order_by("pathway", "number"):
            problems = validate_definition(definition_from_version(version))
            if not problems:
                self.message_user(request, f"{version}: valid.", messages.SUCCESS)
            for problem in problems:
                self.message_user(request, f"{version}: {problem.message}", messages.ERROR)
