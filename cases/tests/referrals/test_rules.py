"""The rules of a referral's input (`cases.referrals.rules`): each rule once, each limit at its
boundary. The page, the API and every other caller reach these through `record_referral`."""

import datetime

import pytest
from django.utils import timezone

from cases.api.referrals.views import BehaviourInSerializer, ChildInSerializer, ReferralInSerializer
from cases.exceptions import InvalidReferral
from cases.referrals.forms import BehaviourFormSet, ChildForm, ChildFormSet, ReferralForm
from cases.referrals.rules import TEXT_LIMITS, ReferralInput, ReferralRequest, validated_referral
from core.limits import (
    CHILD_REFERENCE_MAX_LENGTH,
    CRIME_REFERENCE_MAX_LENGTH,
    LINE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REFERRAL_MAX_BEHAVIOURS,
    REFERRAL_MAX_CHILDREN,
    SHORT_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)

pytestmark = pytest.mark.django_db

BORN = datetime.date.today().replace(year=datetime.date.today().year - 13)


def _child(**details):
    return {
        "involvement": "displaying_hsb",
        "first_name": "Ava",
        "last_name": "Fairbrook",
        "date_of_birth": BORN,
        "gender": "girl",
        **details,
    }


def _validate(actor, **overrides) -> ReferralInput:
    values = {
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral for the rules.",
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [_child()],
        "referrer_name": "",
        "referrer_contact": "",
        "immediate_safety_actions": "",
        "parents_informed": True,
        "parents_not_informed_reason": "",
        "police_involved": False,
        "crime_reference": "",
        "police_outcome": "",
    }
    agency_unknown = overrides.pop("agency_unknown", False)
    values.update(overrides)
    return validated_referral(
        actor=actor,
        referring_agency=actor.agency,
        agency_unknown=agency_unknown,
        given=ReferralRequest(**values),
    )


def _refused(actor, **overrides) -> dict[str, list[str]]:
    with pytest.raises(InvalidReferral) as refused:
        _validate(actor, **overrides)
    return refused.value.fields


def test_the_limits_are_the_named_constants():
    assert TEXT_LIMITS == {
        "referrer_name": LINE_MAX_LENGTH,
        "referrer_contact": LINE_MAX_LENGTH,
        "description": TEXT_MAX_LENGTH,
        "immediate_safety_actions": TEXT_MAX_LENGTH,
        "parents_not_informed_reason": TEXT_MAX_LENGTH,
        "police_outcome": TEXT_MAX_LENGTH,
    }


@pytest.mark.parametrize("field", sorted(TEXT_LIMITS))
def test_each_text_of_the_referral_is_accepted_at_its_limit_and_refused_beyond(front_door, field):
    limit = TEXT_LIMITS[field]
    police = {"police_involved": True} if field == "police_outcome" else {}
    assert getattr(_validate(front_door, **police, **{field: "a" * limit}), field) == "a" * limit
    fields = _refused(front_door, **police, **{field: "a" * (limit + 1)})
    assert fields == {field: [f"At most {limit} characters."]}


@pytest.mark.parametrize("name", ["first_name", "last_name"])
def test_a_childs_name_is_accepted_at_its_limit_and_refused_beyond(front_door, name):
    valid = _validate(front_door, children=[_child(**{name: "a" * NAME_MAX_LENGTH})])
    assert valid.children[0].details[name] == "a" * NAME_MAX_LENGTH
    fields = _refused(front_door, children=[_child(**{name: "a" * (NAME_MAX_LENGTH + 1)})])
    assert fields == {f"children[0].{name}": [f"At most {NAME_MAX_LENGTH} characters."]}


def test_a_childs_reference_is_accepted_at_its_limit_and_refused_beyond(front_door):
    at_limit = "R" * CHILD_REFERENCE_MAX_LENGTH
    valid = _validate(front_door, children=[_child(reference=at_limit)])
    assert valid.children[0].details["reference"] == at_limit
    fields = _refused(front_door, children=[_child(reference=at_limit + "R")])
    assert fields == {
        "children[0].reference": [f"At most {CHILD_REFERENCE_MAX_LENGTH} characters."]
    }


def test_a_crime_reference_is_accepted_at_its_limit_and_refused_beyond(front_door):
    at_limit = "C" * CRIME_REFERENCE_MAX_LENGTH
    valid = _validate(front_door, police_involved=True, crime_reference=at_limit)
    assert valid.crime_reference == at_limit
    fields = _refused(front_door, police_involved=True, crime_reference=at_limit + "C")
    assert fields == {"crime_reference": [f"At most {CRIME_REFERENCE_MAX_LENGTH} characters."]}


def test_a_behaviours_description_is_accepted_at_its_limit_and_refused_beyond(front_door):
    behaviour = {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
    at_limit = "b" * SHORT_TEXT_MAX_LENGTH
    valid = _validate(front_door, behaviours=[{**behaviour, "description": at_limit}])
    assert valid.behaviours[0]["description"] == at_limit
    fields = _refused(front_door, behaviours=[{**behaviour, "description": at_limit + "b"}])
    assert fields == {"behaviours[0].description": [f"At most {SHORT_TEXT_MAX_LENGTH} characters."]}


def test_text_is_kept_stripped_and_the_level_is_the_highest_behaviours(front_door):
    behaviours = [
        {"continuum_level": level, "traffic_light": colour, "setting": "school"}
        for level, colour in (
            ("problematic", "amber"),
            ("abusive", "red"),
            ("inappropriate", "amber"),
        )
    ]
    valid = _validate(
        front_door, description="  Invented.  ", referrer_name=" Sam ", behaviours=behaviours
    )
    assert (valid.description, valid.referrer_name) == ("Invented.", "Sam")
    assert valid.continuum_level == "abusive"


def test_a_blank_description_is_refused(front_door):
    assert _refused(front_door, description="   ") == {"description": ["Describe the concern."]}


def test_parents_not_informed_need_a_reason(front_door):
    assert _refused(front_door, parents_informed=False) == {
        "parents_not_informed_reason": ["Say why the parents or carers were not informed."]
    }


def test_police_involvement_and_its_reference_go_together(front_door):
    assert _refused(front_door, police_involved=True) == {
        "crime_reference": ["Give the crime reference or the police outcome."]
    }
    assert _refused(front_door, police_outcome="No further action.") == {
        "police_involved": ["Say the police are involved to record a crime reference or outcome."]
    }


def test_an_unknown_referring_agency_is_a_field_message(front_door):
    assert _refused(front_door, agency_unknown=True) == {
        "referring_agency": ["Choose an agency in your partnership area."]
    }


def test_the_form_and_the_serializers_declare_the_rules_limits(front_door):
    """Shape only, but the same numbers: the browser's maxlength and the schema's maxLength."""
    referral, child = ReferralInSerializer().fields, ChildInSerializer().fields
    assert referral["description"].max_length == TEXT_MAX_LENGTH
    assert referral["referrer_contact"].max_length == LINE_MAX_LENGTH
    assert referral["crime_reference"].max_length == CRIME_REFERENCE_MAX_LENGTH
    assert BehaviourInSerializer().fields["description"].max_length == SHORT_TEXT_MAX_LENGTH
    assert child["first_name"].max_length == NAME_MAX_LENGTH
    assert child["reference"].max_length == CHILD_REFERENCE_MAX_LENGTH
    form = ReferralForm(user=front_door)
    assert form.fields["referrer_name"].max_length == LINE_MAX_LENGTH
    assert form.fields["crime_reference"].max_length == CRIME_REFERENCE_MAX_LENGTH
    assert ChildForm().fields["last_name"].max_length == NAME_MAX_LENGTH
    assert ChildForm().fields["reference"].max_length == CHILD_REFERENCE_MAX_LENGTH


def test_the_page_offers_as_many_rows_as_the_rule_allows():
    assert BehaviourFormSet.max_num == REFERRAL_MAX_BEHAVIOURS
    assert ChildFormSet.max_num == REFERRAL_MAX_CHILDREN
