"""Forms of the partnership pages: they check shape; the services hold the rules.

Fields the services require are optional here, so a missing answer gets the service's own
message (which names the rule) rather than a generic "This field is required.".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from agencies.models import Agency, AgencyType
from cases.codes import Ethnicity, Gender, ReferralSource
from cases.models import Involvement
from core.limits import AUDIT_ROUND_LABEL_MAX_LENGTH

from .figures import AGE_BANDS, DashboardFilters, default_period
from .models import SCORE_CHOICES, FeedbackGiver, ProcessAspect


def _choices(choices: Any, empty: str = "Any") -> list[tuple[str, str]]:
    return [("", empty), *((str(value), str(label)) for value, label in choices)]


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False,
        label="Referrals received from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )
    agency_type = forms.ChoiceField(
        required=False, choices=_choices(AgencyType.choices), label="Referring agency"
    )
    source = forms.ChoiceField(
        required=False, choices=_choices(ReferralSource.choices), label="Referral source"
    )
    age_band = forms.ChoiceField(
        required=False,
        choices=_choices((band.key, band.label) for band in AGE_BANDS),
        label="Age at referral",
    )
    gender = forms.ChoiceField(required=False, choices=_choices(Gender.choices))
    ethnicity = forms.ChoiceField(required=False, choices=_choices(Ethnicity.choices))
    sen = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("yes", "With SEN"), ("no", "Without SEN")],
        label="Special educational needs",
    )
    involvement = forms.ChoiceField(
        required=False, choices=_choices(Involvement.choices, "Every child")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The period cannot end before it starts.")
        return data

    def period(self) -> tuple[date, date]:
        default_from, default_to = default_period()
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("date_from") or default_from, data.get("date_to") or default_to

    def filters(self) -> DashboardFilters:
        data = self.cleaned_data if self.is_valid() else {}
        sen = data.get("sen")
        return DashboardFilters(
            agency_type=data.get("agency_type", ""),
            source=data.get("source", ""),
            age_band=data.get("age_band", ""),
            gender=data.get("gender", ""),
            ethnicity=data.get("ethnicity", ""),
            sen={"yes": True, "no": False}.get(sen or ""),
            involvement=data.get("involvement", ""),
        )


class OpenRoundForm(forms.Form):
    label = forms.CharField(
        required=False, max_length=AUDIT_ROUND_LABEL_MAX_LENGTH, help_text="T1, T2 …"
    )
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class AgencyScoreForm(forms.Form):
    statement = forms.ChoiceField(choices=())
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label=None)
    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    evidence = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="What supports the score. Domain 3 statements come pre-filled with the live "
        "figures for the round's period: check and add to them.",
    )
    assurance = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The assurance systems in place locally for quality assurance.",
    )
    comments = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self, *args: Any, statements: list[tuple[str, str]], agencies: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", "score")
        super().__init__(*args, **kwargs)
        self.fields["statement"].choices = statements  # type: ignore[attr-defined]
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]


class AgreedScoreForm(forms.Form):
    statement = forms.ChoiceField(choices=())
    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int)
    rationale = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for any score other than the lowest agency score.",
    )

    def __init__(self, *args: Any, statements: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "agreed")
        super().__init__(*args, **kwargs)
        self.fields["statement"].choices = statements  # type: ignore[attr-defined]


class ProcessFeedbackForm(forms.Form):
    """Feedback on the process from a child or family; `record_process_feedback` holds the
    rules (the choices and the text are required there, with its messages)."""

    given_by = forms.ChoiceField(
        required=False, choices=_choices(FeedbackGiver.choices, "Choose…"), label="Given by"
    )
    aspect = forms.ChoiceField(
        required=False,
        choices=_choices(ProcessAspect.choices, "Choose…"),
        label="About",
    )
    feedback = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Feedback on the process",
        help_text="In their words where possible: what helped, what did not, what to change.",
    )
    found_accessible = forms.NullBooleanField(
        required=False,
        label="Found the process easy to understand and take part in",
        widget=forms.Select(choices=[("unknown", "Not said"), ("true", "Yes"), ("false", "No")]),
    )
