"""The one-page referral form: the referral, its behaviours and the children involved.

The forms check shape only (a date is a date); `cases.referrals.rules` holds the
rules, and `ReferralForms.show_error` puts its field messages back next to the fields, so
the page and the API say the same thing. A field's `max_length` is that rule's constant
(`core.limits`), so the browser stops typing where the rule would refuse.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from agencies.models import Agency, AgencyType, User
from agencies.roles import Role
from core.errors import DomainError
from core.limits import (
    CHILD_REFERENCE_MAX_LENGTH,
    CRIME_REFERENCE_MAX_LENGTH,
    LINE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REFERRAL_MAX_BEHAVIOURS,
    REFERRAL_MAX_CHILDREN,
    TEXT_MAX_LENGTH,
)
from pathways.continuum import ContinuumLevel, brook_colour_guide

from ..codes import Ethnicity, Gender, ReferralSource
from ..models import Channel, Involvement, RepeatReferralOutcome, Setting, TrafficLight
from ..selectors import lead_candidates
from .selectors import likely_duplicates

YES_NO = [("yes", "Yes"), ("no", "No")]
# The most rows each section offers: the rule's own maximum, so the page stops where
# `record_referral` would (20 behaviours was once a page-only limit; the rule allows 50).
MAX_ROWS = {"behaviours": REFERRAL_MAX_BEHAVIOURS, "children": REFERRAL_MAX_CHILDREN}
# The census code a referral from this kind of agency usually carries; only a starting value.
SOURCE_FOR_AGENCY_TYPE = {
    AgencyType.SCHOOL: ReferralSource.SCHOOLS,
    AgencyType.POLICE: ReferralSource.POLICE,
    AgencyType.EARLY_HELP: ReferralSource.LA_EARLY_HELP,
    AgencyType.CHILDRENS_SOCIAL_CARE: ReferralSource.LA_SOCIAL_CARE,
}
# Service keys that name a form field differently ("child_id" is about the whole row).
FIELD_FOR_KEY = {"school_id": "school"}
ERROR_KEY = re.compile(r"^(?P<section>children|behaviours)\[(?P<index>\d+)\](?:\.(?P<field>\w+))?$")


def _now_to_the_minute() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def _yes_no(value: str) -> bool:
    return value == "yes"


def _choose(choices: Any) -> list[tuple[str, str]]:
    return [("", "Choose…"), *choices]


class QuietForm(forms.Form):
    """A form that can be re-shown as typed without judging it (after "add another")."""

    def __init__(self, *args: Any, quiet: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quiet = quiet

    def full_clean(self) -> None:
        if self.quiet:
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()


class ReferralForm(QuietForm):
    received_at = forms.DateTimeField(
        label="Received",
        initial=_now_to_the_minute,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="When you (or your setting) received the concern.",
    )
    source = forms.ChoiceField(
        label="Referral source (census code)",
        choices=_choose(ReferralSource.choices),
        required=False,
    )
    channel = forms.ChoiceField(label="How it was received", choices=Channel.choices)
    referring_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label="Your own agency",
        label="Referring agency",
    )
    referrer_name = forms.CharField(
        label="Referrer's name", required=False, max_length=LINE_MAX_LENGTH
    )
    referrer_contact = forms.CharField(
        label="Referrer's phone or email", required=False, max_length=LINE_MAX_LENGTH
    )
    description = forms.CharField(
        label="What happened",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Facts as reported: who, what, where, when. Invented data only in training.",
    )
    immediate_safety_actions = forms.CharField(
        label="Immediate actions taken to keep the children safe",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parents_informed = forms.TypedChoiceField(
        label="Were the parents or carers informed?",
        choices=YES_NO,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    parents_not_informed_reason = forms.CharField(
        label="If not, why not",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    police_involved = forms.TypedChoiceField(
        label="Are the police involved?",
        choices=YES_NO,
        coerce=_yes_no,
        initial="no",
        widget=forms.RadioSelect,
    )
    crime_reference = forms.CharField(
        label="Crime reference", required=False, max_length=CRIME_REFERENCE_MAX_LENGTH
    )
    police_outcome = forms.CharField(
        label="Police outcome", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency = user.agency
        if user.role == Role.DSL:
            # A DSL refers for their own agency and is the referrer.
            for name in ("referring_agency", "referrer_name", "referrer_contact"):
                del self.fields[name]
        else:
            self.fields["referring_agency"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
                area_id=agency.area_id if agency else None
            ).order_by("name")
        if agency is not None and agency.agency_type in SOURCE_FOR_AGENCY_TYPE:
            self.fields["source"].initial = SOURCE_FOR_AGENCY_TYPE[agency.agency_type]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "received_at": data.get("received_at"),
            "source": data.get("source", ""),
            "channel": data.get("channel", Channel.PHONE),
            "referring_agency": data.get("referring_agency"),
            "referrer_name": data.get("referrer_name", ""),
            "referrer_contact": data.get("referrer_contact", ""),
            "description": data.get("description", ""),
            "immediate_safety_actions": data.get("immediate_safety_actions", ""),
            "parents_informed": data.get("parents_informed"),
            "parents_not_informed_reason": data.get("parents_not_informed_reason", ""),
            "police_involved": bool(data.get("police_involved")),
            "crime_reference": data.get("crime_reference", ""),
            "police_outcome": data.get("police_outcome", ""),
        }


class BehaviourForm(QuietForm):
    description = forms.CharField(
        label="Behaviour", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    continuum_level = forms.ChoiceField(
        label="Continuum level", choices=_choose(ContinuumLevel.choices), required=False
    )
    traffic_light = forms.ChoiceField(
        label="Traffic light",
        choices=_choose(TrafficLight.choices),
        required=False,
        # The rule `record_referral` checks, said before the referrer chooses.
        help_text=f"Brook's colour fits the level: {brook_colour_guide()}.",
    )
    setting = forms.ChoiceField(label="Where", choices=_choose(Setting.choices), required=False)
    technology_assisted = forms.BooleanField(label="Technology-assisted", required=False)

    def entry(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ChildForm(QuietForm):
    involvement = forms.ChoiceField(
        label="This child is", choices=_choose(Involvement.choices), required=False
    )
    first_name = forms.CharField(label="First name", required=False, max_length=NAME_MAX_LENGTH)
    last_name = forms.CharField(label="Last name", required=False, max_length=NAME_MAX_LENGTH)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="At referral a child displaying HSB is 4 to 17; a child harmed under 18.",
    )
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, initial=Gender.NOT_KNOWN)
    ethnicity = forms.ChoiceField(
        label="Ethnicity", choices=Ethnicity.choices, initial=Ethnicity.NOT_KNOWN
    )
    reference = forms.CharField(
        label="Reference, if the child has one",
        required=False,
        max_length=CHILD_REFERENCE_MAX_LENGTH,
        help_text="Leave blank and a pseudonymous reference is made.",
    )
    school = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="Not known", label="School"
    )
    special_educational_needs = forms.BooleanField(
        label="Special educational needs", required=False
    )
    learning_disability = forms.BooleanField(label="Learning disability", required=False)
    looked_after = forms.BooleanField(label="Looked-after child", required=False)
    # The answer to a duplicate proposal: an existing child's id, or "new".
    decision = forms.CharField(required=False)

    def __init__(self, *args: Any, area_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = Agency.objects.filter(  # type: ignore[attr-defined]
            area_id=area_id, agency_type=AgencyType.SCHOOL
        ).order_by("name")
        self.candidates: list[dict[str, Any]] = []

    def clean_decision(self) -> str:
        decision = self.cleaned_data.get("decision", "").strip()
        if decision and decision != "new" and not decision.isdigit():
            raise forms.ValidationError("Choose the existing record or a new one.")
        return decision

    def entry(self) -> dict[str, Any]:
        data = self.cleaned_data
        entry = {
            key: data.get(key)
            for key in (
                "involvement",
                "first_name",
                "last_name",
                "date_of_birth",
                "gender",
                "ethnicity",
                "reference",
                "special_educational_needs",
                "learning_disability",
                "looked_after",
            )
        }
        school = data.get("school")
        entry["school_id"] = school.pk if school else None
        decision = data.get("decision", "")
        if decision.isdigit():
            entry["child_id"] = int(decision)
        entry["confirm_new"] = decision == "new"
        return entry


# Rows a user leaves untouched are skipped; a DSL typically names one child displaying HSB
# and one child harmed, so the first two rows start that way.
ROW_INVOLVEMENT = {0: Involvement.DISPLAYING_HSB, 1: Involvement.HARMED}


class BaseChildFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = dict(super().get_form_kwargs(index))
        if index in ROW_INVOLVEMENT:
            kwargs["initial"] = {"involvement": ROW_INVOLVEMENT[index]}
        return kwargs


BehaviourFormSet = forms.formset_factory(
    BehaviourForm, extra=3, max_num=MAX_ROWS["behaviours"], validate_max=True
)
ChildFormSet = forms.formset_factory(
    ChildForm,
    formset=BaseChildFormSet,
    extra=2,
    max_num=MAX_ROWS["children"],
    validate_max=True,
)


class ReferralForms:
    """The page's form and its two formsets, read and answered together."""

    sections = ("behaviours", "children")

    def __init__(self, data: Any = None, *, user: Any, quiet: bool = False) -> None:
        area_id = user.agency.area_id if user.agency_id else None
        self.user = user
        self.referral = ReferralForm(data, user=user, quiet=quiet)
        self.behaviours = BehaviourFormSet(data, prefix="behaviours", form_kwargs={"quiet": quiet})
        self.children = ChildFormSet(
            data, prefix="children", form_kwargs={"quiet": quiet, "area_id": area_id}
        )
        self.section_errors: dict[str, list[str]] = {"behaviours": [], "children": []}
        self.general_errors: list[str] = []
        # Which form row each entry sent to the service came from (untouched rows are skipped).
        self._rows: dict[str, list[int]] = {"behaviours": [], "children": []}

    @staticmethod
    def with_added_row(data: Any, section: str) -> Any:
        """A copy of the posted data with one more empty row in `section`."""
        data = data.copy()
        key = f"{section}-TOTAL_FORMS"
        try:
            total = int(data.get(key, 0))
        except ValueError:
            total = 0
        data[key] = str(min(total + 1, MAX_ROWS[section]))
        return data

    def is_valid(self) -> bool:
        results = [self.referral.is_valid(), self.behaviours.is_valid(), self.children.is_valid()]
        return all(results)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.referral.errors
            or any(form.errors for form in self.behaviours.forms)
            or any(form.errors for form in self.children.forms)
            or self.behaviours.non_form_errors()
            or self.children.non_form_errors()
            or self.general_errors
            or any(self.section_errors.values())
        )

    def _entries(self, section: str, formset: forms.BaseFormSet) -> list[dict[str, Any]]:
        entries, rows = [], []
        for index, form in enumerate(formset.forms):
            if form.has_changed():
                entries.append(form.entry())
                rows.append(index)
        self._rows[section] = rows
        return entries

    def values(self) -> dict[str, Any]:
        """Keyword arguments for `record_referral` (without the actor)."""
        return {
            **self.referral.values(),
            "behaviours": self._entries("behaviours", self.behaviours),
            "children": self._entries("children", self.children),
        }

    def show_error(self, error: DomainError) -> None:
        """Put the service's messages next to the fields they concern."""
        for key, messages in error.fields.items():
            for message in messages:
                self._place(key, message)
        if not error.fields:
            self.general_errors.append(error.message)
        candidates = error.extra.get("candidates") or {}
        for key, rows in candidates.items():
            form = self._row_form(key)
            if isinstance(form, ChildForm):
                form.candidates = [
                    {**row, "date_of_birth": datetime.date.fromisoformat(row["date_of_birth"])}
                    for row in rows
                ]

    def _row_form(self, key: str) -> forms.Form | None:
        match = ERROR_KEY.match(key)
        if not match:
            return None
        section, index = match["section"], int(match["index"])
        rows = self._rows[section]
        if index >= len(rows):
            return None
        formset = self.children if section == "children" else self.behaviours
        return formset.forms[rows[index]]

    def _place(self, key: str, message: str) -> None:
        if key in self.section_errors:
            self.section_errors[key].append(message)
            return
        match = ERROR_KEY.match(key)
        if match:
            form = self._row_form(key)
            if form is None:
                self.section_errors[match["section"]].append(message)
                return
            field = FIELD_FOR_KEY.get(match["field"], match["field"])
            # A link that no longer matches is about the whole row, as is a repeated child.
            visible = field in form.fields and field != "decision"
            form.add_error(field if visible else None, message)
            return
        self.referral.add_error(key if key in self.referral.fields else None, message)

    def propose_again(self) -> None:
        """Keep showing the duplicate choice on rows where the referrer already answered it."""
        for form in self.children.forms:
            if not isinstance(form, ChildForm):
                continue
            data = getattr(form, "cleaned_data", None) or {}
            if form.candidates or not data.get("decision") or not data.get("date_of_birth"):
                continue
            form.candidates = [
                {
                    "id": child.pk,
                    "reference": child.reference,
                    "name": child.full_name,
                    "date_of_birth": child.date_of_birth,
                }
                for child in likely_duplicates(
                    actor=self.user,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    date_of_birth=data["date_of_birth"],
                    reference=data.get("reference") or None,
                )
            ]


# --- the front door's decision on a referral that joined an open case ------------------------


class RepeatDecisionForm(forms.Form):
    """Shape only: `decide_repeat_referral` holds the rules (a reason always; a step-up names
    one the actor may take from the case's current stage)."""

    outcome = forms.ChoiceField(
        choices=[("", "Choose…"), *RepeatReferralOutcome.choices], required=False
    )
    transition = forms.ChoiceField(choices=[("", "—")], required=False, label="Step-up")
    continuum_level = forms.ChoiceField(
        choices=[("", "—"), *ContinuumLevel.choices],
        required=False,
        label="Continuum level now (with a step-up)",
    )
    significant_harm_suspected = forms.BooleanField(
        required=False, label="Significant harm suspected (with a step-up)"
    )
    # A step-up into a stage that needs a lead practitioner names one (the engine's rule).
    lead_practitioner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Lead practitioner (with a step-up into a stage that needs one)",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        label="Reason (required): what this incident adds to the pattern",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, step_ups: list[tuple[str, str]], area_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["transition"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *step_ups]
        lead = self.fields["lead_practitioner"]
        assert isinstance(lead, forms.ModelChoiceField)
        lead.queryset = lead_candidates(area_id).order_by("last_name", "first_name")

    def decision(self) -> dict[str, Any]:
        """The service's keywords."""
        data = self.cleaned_data
        facts: dict[str, Any] = {}
        if data.get("continuum_level"):
            facts["continuum_level"] = data["continuum_level"]
        if data.get("significant_harm_suspected"):
            facts["significant_harm_suspected"] = True
        if data.get("lead_practitioner") is not None:
            facts["lead_practitioner"] = data["lead_practitioner"].pk
        return {
            "outcome": data.get("outcome") or "",
            "transition": data.get("transition") or "",
            "reason": data.get("reason") or "",
            "data": facts or None,
            "expected_version": data.get("expected_version"),
        }
