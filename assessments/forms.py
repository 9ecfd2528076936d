"""Forms of the assessment pages: they check shape; the services hold the rules.

Fields the services require are optional here, so a missing answer gets the service's own
message (which names the rule) rather than a generic "This field is required.".
"""

from typing import Any

from django import forms

from agencies.models import Agency, User
from agencies.roles import CAN_ASSESS
from pathways.continuum import ContinuumLevel

from .models import (
    NOT_RECORDED_LABELS,
    NOT_RECORDED_REASONS,
    SECTIONS,
    Assessment,
    AssessmentTool,
    AssessmentType,
    RiskLevel,
)
from .selectors import route_options


def _text(rows: int = 3, **kwargs: Any) -> forms.CharField:
    kwargs.setdefault("required", False)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}, {obj.agency}" if obj.agency_id else str(obj)


def _route_choices(case: Any) -> list[tuple[str, str]]:
    return [("", "Choose…")] + [
        (transition.key, f"{transition.name} → {transition.to_stage.name}")
        for transition in route_options(case)
    ]


class RequestAssessmentForm(forms.Form):
    assessment_type = forms.ChoiceField(
        choices=[("", "Choose…"), *AssessmentType.choices], label="Type of assessment"
    )
    requested_for = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Assessor",
        empty_label="— the case's lead practitioner —",
    )
    notes = _text(label="What the assessment should address")
    type_justification = _text(
        rows=2,
        label="Why this level of assessment",
        help_text="Needed when the type does not suit the case's confirmed continuum level.",
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "request")
        super().__init__(*args, **kwargs)
        self.fields["requested_for"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, role__in=CAN_ASSESS, agency__area_id=area_id)
            .select_related("agency")
            .order_by("last_name", "first_name", "pk")
        )


class StartAssessmentForm(forms.Form):
    tool = forms.ModelChoiceField(
        queryset=AssessmentTool.objects.filter(active=True),
        to_field_name="key",
        required=False,
        widget=forms.RadioSelect,
    )
    started_on = forms.DateField(
        required=False,
        label="Start date",
        help_text="Default: today. The child's age is taken on this date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    justification = _text(
        label="Justification",
        help_text="Needed when the tool you choose has warnings for this child.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "start")
        super().__init__(*args, **kwargs)


class SectionsForm(forms.Form):
    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "sections")
        super().__init__(*args, **kwargs)
        for key, label in SECTIONS.items():
            self.fields[key] = _text(rows=4, label=label, initial=getattr(assessment, key))
            if key in NOT_RECORDED_REASONS:
                # Right after its section: the answer when the section is left empty.
                reason = NOT_RECORDED_REASONS[key]
                self.fields[reason] = _text(
                    rows=2,
                    label=NOT_RECORDED_LABELS[reason],
                    initial=getattr(assessment, reason),
                    help_text="Only when the section above is left empty.",
                )

    def sections(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key in (*SECTIONS, *NOT_RECORDED_LABELS)}


class ContributionForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label="Choose…")
    practitioner = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="— the agency, no named practitioner —",
    )
    summary = _text(rows=3, label="What they contributed")

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "contribution")
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            area_id=area_id
        ).order_by("name")
        self.fields["practitioner"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, agency__area_id=area_id)
            .select_related("agency")
            .order_by("last_name", "first_name", "pk")
        )


class SubmitAssessmentForm(forms.Form):
    confirmed_continuum_level = forms.ChoiceField(
        choices=[("", "Choose…"), *ContinuumLevel.choices],
        required=False,
        label="Confirmed continuum level",
    )
    risk_level = forms.ChoiceField(
        choices=[("", "Choose…"), *RiskLevel.choices], required=False, label="Risk level"
    )
    needs = _text(label="Needs")
    strengths = _text(label="Strengths to build on")
    intervention_focus = _text(label="Recommended intervention focus")
    recommended_route = forms.ChoiceField(choices=[], required=False, label="Recommended route")

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "submit")
        kwargs.setdefault(
            "initial",
            {
                "confirmed_continuum_level": assessment.confirmed_continuum_level
                or assessment.case.confirmed_continuum_level,
                "risk_level": assessment.risk_level,
                "needs": assessment.needs,
                "strengths": assessment.strengths,
                "intervention_focus": assessment.intervention_focus,
                "recommended_route": assessment.recommended_route,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["recommended_route"].choices = _route_choices(assessment.case)  # type: ignore[attr-defined]


class AuthoriseAssessmentForm(forms.Form):
    recommended_route = forms.ChoiceField(choices=[], required=False, label="Recommended route")
    confirmed_continuum_level = forms.ChoiceField(
        choices=ContinuumLevel.choices, required=False, label="Confirmed continuum level"
    )
    risk_level = forms.ChoiceField(choices=RiskLevel.choices, required=False, label="Risk level")
    late_reason = _text(rows=2, label="Why it is late", help_text="Required after the due date.")

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "authorise")
        kwargs.setdefault(
            "initial",
            {
                "recommended_route": assessment.recommended_route,
                "confirmed_continuum_level": assessment.confirmed_continuum_level,
                "risk_level": assessment.risk_level,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["recommended_route"].choices = _route_choices(assessment.case)  # type: ignore[attr-defined]


class ReturnAssessmentForm(forms.Form):
    comments = _text(label="What needs to change")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "return")
        super().__init__(*args, **kwargs)
