"""Forms of the access pages: they check shape; `cases.access` holds the rules."""

from typing import Any

from django import forms

from agencies.models import User
from core.limits import SHORT_TEXT_MAX_LENGTH

from ..forms import PractitionerChoiceField
from ..models import BreakGlassOutcome
from ..selectors import grant_candidates
from .services import GRANTABLE_KINDS


class BreakGlassForm(forms.Form):
    case = forms.IntegerField(
        min_value=1, label="Case number", help_text="The number of the case you need now."
    )
    reason = forms.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why you need it now",
        help_text="Required. Your team manager reviews every emergency access.",
    )


class GrantAccessForm(forms.Form):
    user = PractitionerChoiceField(
        queryset=User.objects.none(), label="Practitioner", empty_label="Choose…"
    )
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in GRANTABLE_KINDS], label="As"
    )
    reason = forms.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why they need it",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Until",
        help_text="Optional: leave empty for access until revoked.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "grant")
        super().__init__(*args, **kwargs)
        # The choices only: `grant_case_access` checks the grantee's role and area itself.
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            grant_candidates(area_id).order_by("last_name", "first_name", "pk")
        )


class RevokeAccessForm(forms.Form):
    reason = forms.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH, required=False, label="Reason (optional)"
    )

    def __init__(self, *args: Any, grant_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"revoke-{grant_id}")
        super().__init__(*args, **kwargs)


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=BreakGlassOutcome.choices, widget=forms.RadioSelect, label="Outcome"
    )
    notes = forms.CharField(
        max_length=SHORT_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the access was not justified.",
    )
