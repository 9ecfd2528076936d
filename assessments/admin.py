"""Admin: the tool catalogue and practitioners' certifications are edited here; assessments
are read-only (they change only through the audited services).

`manage.py load_assessment_tools` overwrites the fields of tools named in the YAML file, so
a lasting change to a shipped tool belongs in `assessments/data/tools.yaml` too.
"""

from typing import Any

from django import forms
from django.contrib import admin

from agencies.admin_audit import AuditedModelAdmin
from cases.codes import Gender
from pathways.continuum import ContinuumLevel

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
        return cleaned


class ToolCertificationInline(admin.TabularInline):
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
        "active",
    ]
    list_filter = ["active", "adolescent_only", "certification_required"]
    search_fields = ["name", "key"]
    ordering = ["position", "name"]
    inlines = [ToolCertificationInline]


@admin.register(ToolCertification)
class ToolCertificationAdmin(AuditedModelAdmin):
    list_display = ["practitioner", "tool", "certified_on", "expires_on"]
    list_filter = ["tool"]
    search_fields = ["practitioner__username", "practitioner__last_name", "tool__name"]
    autocomplete_fields = ["practitioner"]
    list_select_related = ["practitioner", "tool"]


# Assessments themselves are case content: administrators configure tools and
# certifications here and never see a child's assessment (issue 6).
