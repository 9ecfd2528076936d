from typing import Any

from django import forms

from agencies.models import User
from pathways.closure import CLOSURE_REASON_CHOICES
from pathways.continuum import ContinuumLevel

from .selectors import lead_candidates


class PractitionerChoiceField(forms.ModelChoiceField):
    """A practitioner named with their agency (the case record's and the access pages' forms)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}, {obj.agency}" if obj.agency_id else str(obj)


class TransitionForm(forms.Form):
    transition = forms.CharField(widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    # Asked for, never defaulted: the referrer's level stays on the referral, and the level
    # confirmed after screening is the practitioner's own (a route's guard requires one).
    continuum_level = forms.ChoiceField(
        choices=[("", "— choose the level confirmed after screening —"), *ContinuumLevel.choices],
        required=False,
        label="Confirmed continuum level",
        help_text="Your judgement after screening; the referrer's level is on the referral.",
    )
    significant_harm_suspected = forms.NullBooleanField(
        required=False,
        label="Significant harm suspected",
        widget=forms.Select(
            choices=[("unknown", "— unchanged —"), ("true", "Yes"), ("false", "No")]
        ),
    )
    closure_reason = forms.ChoiceField(
        # The page offers only the reasons the move allows (case_closure.closure_choices).
        choices=[("", "— not closing —"), *CLOSURE_REASON_CHOICES],
        required=False,
        label="Closure reason",
    )
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome summary"
    )
    # Asked for with a move into a stage that needs a lead practitioner (the engine's rule;
    # it checks the practitioner as a designation does, this only offers the area's leads).
    lead_practitioner = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Lead practitioner",
        empty_label="Choose…",
        help_text="Designated with this move: the single point of contact.",
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if area_id is not None:
            self.fields["lead_practitioner"].queryset = (  # type: ignore[attr-defined]
                lead_candidates(area_id).order_by("last_name", "first_name")
            )

    def transition_data(self) -> dict[str, Any]:
        data = {
            key: self.cleaned_data[key]
            for key in ("continuum_level", "closure_reason", "outcome")
            if self.cleaned_data.get(key)
        }
        if self.cleaned_data.get("significant_harm_suspected") is not None:
            data["significant_harm_suspected"] = self.cleaned_data["significant_harm_suspected"]
        if self.cleaned_data.get("lead_practitioner") is not None:
            data["lead_practitioner"] = self.cleaned_data["lead_practitioner"].pk
        return data


class LeadDesignationForm(forms.Form):
    """Offers the area's lead candidates; `designate_lead_practitioner` holds the rule."""

    practitioner = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Lead practitioner", empty_label="Choose…"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when handing over from another lead.",
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = (  # type: ignore[attr-defined]
            lead_candidates(area_id).order_by("last_name", "first_name")
        )
