"""Forms of the case record pages: they check shape; the services hold the rules."""

from typing import Any

from django import forms

from agencies.models import Agency, User
from core.limits import LINE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH

from ..chronology.entries import EntryKind
from ..forms import PractitionerChoiceField
from ..models import Consent, LawfulBasis, SharingDecision, ViewHolder


def _area_agencies(area_id: int | None) -> Any:
    return Agency.objects.filter(area_id=area_id).order_by("name")


def _area_practitioners(area_id: int | None) -> Any:
    return (
        User.objects.filter(is_active=True, agency__area_id=area_id)
        .select_related("agency")
        .order_by("last_name", "first_name", "pk")
    )


class TeamMemberForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label="Choose…")
    practitioner = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="— the agency, no named practitioner —",
        help_text="Optional: a practitioner who works for the agency.",
    )
    role_on_case = forms.CharField(
        max_length=LINE_MAX_LENGTH,
        label="Role on the case",
        help_text="What they do for the child, e.g. school DSL, CAMHS clinician.",
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "team")
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = _area_agencies(area_id)  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = _area_practitioners(area_id)  # type: ignore[attr-defined]


class RemoveTeamMemberForm(forms.Form):
    reason = forms.CharField(max_length=SHORT_TEXT_MAX_LENGTH, label="Reason for leaving")

    def __init__(self, *args: Any, member_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"remove-{member_id}")
        super().__init__(*args, **kwargs)


class RecordedViewForm(forms.Form):
    holder = forms.ChoiceField(choices=ViewHolder.choices, label="Whose view")
    holder_description = forms.CharField(
        max_length=LINE_MAX_LENGTH,
        required=False,
        label="Who, if not the child",
        help_text="e.g. mother, grandfather, foster carer.",
    )
    view = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Their view",
        help_text="In their own words where possible.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "view")
        super().__init__(*args, **kwargs)


class AgencyChoiceField(forms.ModelChoiceField):
    """Agencies of other areas are named with their area, so a cross-area choice is seen."""

    area_id: int | None = None

    def label_from_instance(self, obj: Any) -> str:
        return str(obj) if obj.area_id == self.area_id else f"{obj} ({obj.area})"


class SharingDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=SharingDecision.choices,
        widget=forms.RadioSelect,
        label="Decision",
        help_text="Record decisions not to share as well as decisions to share.",
    )
    information = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What information was shared (or would have been)",
    )
    recipient_agency = AgencyChoiceField(
        queryset=Agency.objects.none(), label="With which agency", empty_label="Choose…"
    )
    across_areas = forms.BooleanField(
        required=False,
        label="The agency is in another partnership area",
        help_text="Sharing across areas is recorded as an explicit cross-area decision; "
        "they see what you shared, never the case file.",
    )
    recipient_practitioner = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="With whom (optional)",
        empty_label="— no named practitioner —",
        help_text="A practitioner of this area; name another area's agency without one.",
    )
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why: the purpose of sharing (or the reason for not sharing)",
    )
    lawful_basis = forms.ChoiceField(
        choices=[("", "Choose…"), *LawfulBasis.choices], label="Lawful basis"
    )
    consent = forms.ChoiceField(
        choices=Consent.choices,
        widget=forms.RadioSelect,
        label="Consent",
        help_text="Consent is not needed where a child is at risk of harm.",
    )
    consent_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="If without consent, why",
        help_text="Required when consent was not sought or a refusal was overridden.",
    )
    overridden_by = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Who overrode the refusal of consent",
        empty_label="— not overridden —",
    )
    child_family_views = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Views of the child or family about sharing",
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "sharing")
        super().__init__(*args, **kwargs)
        # Every agency: another area's is the explicit cross-area decision the service checks.
        agencies = Agency.objects.select_related("area").order_by("area__name", "name")
        self.fields["recipient_agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["recipient_agency"].area_id = area_id  # type: ignore[attr-defined]
        practitioners = _area_practitioners(area_id)
        self.fields["recipient_practitioner"].queryset = practitioners  # type: ignore[attr-defined]
        self.fields["overridden_by"].queryset = practitioners  # type: ignore[attr-defined]


class CaseNoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "note")
        super().__init__(*args, **kwargs)


class ChronologyFilterForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=EntryKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Show",
        help_text="None ticked shows everything.",
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Must be on or after the 'from' date.")
        return cleaned
