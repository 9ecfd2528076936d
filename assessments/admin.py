"""Admin: the tool catalogue and practitioners' certifications are edited here; assessments
are read-only (they change only through the audited services).

`manage.py load_assessment_tools` overwrites the fields of tools named in the YAML file, so
a lasting change to a shipped tool belongs in `assessments/data/tools.yaml` too.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from agencies.actors import signed_in
from agencies.admin_audit import AuditedModelAdmin
from agencies.models import User
from agencies.roles import ADMINISTRATORS
from cases.codes import Gender
from pathways.continuum import ContinuumLevel

from .catalogue import age_band_problem
from .models import (
    AssessmentTool,
    AssessmentType,
    ToolCertification,
)


class AssessmentToolForm(forms.ModelForm):
    # The JSON lists are edited as checkboxes, so only known values can be saved.
    validated_on_genders = forms.MultipleChoiceField(
        choices=Gender.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Genders it was validated with; none ticked: any.",
    )
    suits_levels = forms.MultipleChoiceField(
        choices=ContinuumLevel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    assessment_types = forms.MultipleChoiceField(
        choices=AssessmentType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = AssessmentTool
        fields = [
            "key",
            "name",
            "description",
            "population_notes",
            "min_age",
            "max_age",
            "validated_on_genders",
            "validated_with_learning_disability",
            "adolescent_only",
            "certification_required",
            "requires_youth_justice",
            "age_bands",
            "suits_levels",
            "assessment_types",
            "active",
            "position",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", "The oldest age must not be below the youngest.")
        elif low is not None and high is not None and "age_bands" in cleaned:
            # The same check as the YAML file's: the bands order the suggestions.
            bands = cleaned["age_bands"] or []
            if problem := age_band_problem(bands, min_age=low, max_age=high):
                self.add_error("age_bands", problem)
            else:
                cleaned["age_bands"] = bands
        return cleaned


class AreaCertificationsMixin:
    """Certifications are walled by area: an administrator with an agency sees and certifies
    only practitioners of their own area; the set-up administrator (no agency) every area's."""

    def _area_id(self, request: HttpRequest) -> int | None:
        user = signed_in(request.user)
        if user.agency_id is None and (user.is_superuser or user.role in ADMINISTRATORS):
            return None
        agency = user.agency
        return -1 if agency is None else agency.area_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[ToolCertification]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        area_id = self._area_id(request)
        return (
            queryset if area_id is None else queryset.filter(practitioner__agency__area_id=area_id)
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        area_id = self._area_id(request)
        if db_field.name == "practitioner" and area_id is not None:
            kwargs["queryset"] = User.objects.filter(agency__area_id=area_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ToolCertificationInline(AreaCertificationsMixin, admin.TabularInline):
    model = ToolCertification
    extra = 0
    autocomplete_fields = ["practitioner"]


@admin.register(AssessmentTool)
class AssessmentToolAdmin(AuditedModelAdmin):
    form = AssessmentToolForm
    list_display = [
        "name",
        "key",
        "min_age",
        "max_age",
        "adolescent_only",
        "certification_required",
        "validated_with_learning_disability",
        "requires_youth_justice",
        "active",
    ]
    list_filter = ["active", "adolescent_only", "certification_required", "requires_youth_justice"]
    search_fields = ["name", "key"]
    ordering = ["position", "name"]
    inlines = [ToolCertificationInline]


@admin.register(ToolCertification)
class ToolCertificationAdmin(AreaCertificationsMixin, AuditedModelAdmin):
    list_display = ["practitioner", "tool", "certified_on", "expires_on"]
    list_filter = ["tool"]
    search_fields = ["practitioner__username", "practitioner__last_name", "tool__name"]
    autocomplete_fields = ["practitioner"]
    list_select_related = ["practitioner", "tool"]


# Assessments themselves are case content: administrators configure tools and
# certifications here and never see a child's assessment (issue 6).
