"""Every list in a payload has a documented maximum (core.limits), enforced by the service
and the serializer and shown in the schema; identifiers refuse control and
text-direction characters; a break-glass reason must be words."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from agencies.roles import Role
from audit.models import AuditEvent
from cases.access.services import request_break_glass_access
from cases.exceptions import InvalidBreakGlass, InvalidReferral
from cases.models import AccessGrant, Referral
from cases.referrals.services import record_referral
from core.limits import (
    AUDIT_ROUND_LABEL_MAX_LENGTH,
    PATHWAY_MAX_STAGES,
    PATHWAY_MAX_TRANSITIONS,
    PATHWAY_YAML_MAX_CHARS,
    PATHWAY_YAML_MAX_DEPTH,
    REFERRAL_MAX_BEHAVIOURS,
    REFERRAL_MAX_CHILDREN,
    STAGE_MAX_REQUIRES,
    TRANSITION_MAX_ROLES,
)
from core.validation import (
    identifier_problem,
    length_problem,
    reason_problem,
    required_problem,
    text,
)
from partnership.exceptions import InvalidRound
from partnership.services import open_audit_round
from pathways.definitions import DefinitionShapeError, definition_from_dict, definition_to_dict
from pathways.tests.factories import default_definition
from pathways.yaml_io import parse_yaml

pytestmark = pytest.mark.django_db

REFERRALS = "/api/cases/referrals/"
BORN = datetime.date.today().replace(year=datetime.date.today().year - 12)
BEHAVIOUR = {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}


def _child(index: int = 0) -> dict:
    return {
        "involvement": "displaying_hsb",
        "first_name": f"Invented{index}",
        "last_name": "Limitson",
        "date_of_birth": BORN.isoformat(),
        "gender": "boy",
    }


def _payload(**overrides) -> dict:
    payload = {
        "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral for the limits.",
        "behaviours": [BEHAVIOUR],
        "children": [_child()],
        "parents_informed": True,
    }
    payload.update(overrides)
    return payload


def _service_kwargs(**overrides) -> dict:
    values = {
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "description": "Invented referral for the limits.",
        "behaviours": [dict(BEHAVIOUR)],
        "children": [{**_child(), "date_of_birth": BORN}],
        "parents_informed": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def _post(user, payload):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(REFERRALS, payload, format="json")


# --- referral lists -------------------------------------------------------------------------


def test_a_referral_naming_more_children_than_the_maximum_is_a_400(default_version, dsl):
    children = [_child(index) for index in range(REFERRAL_MAX_CHILDREN + 1)]

    response = _post(dsl, _payload(children=children))

    assert response.status_code == 400
    assert str(REFERRAL_MAX_CHILDREN) in " ".join(response.json()["fields"]["children"])
    assert Referral.objects.count() == 0


def test_ten_thousand_children_are_refused_at_once(default_version, dsl):
    children = [_child(index) for index in range(10_000)]

    started = time.monotonic()
    response = _post(dsl, _payload(children=children))
    elapsed = time.monotonic() - started

    assert response.status_code == 400
    assert "children" in response.json()["fields"]
    assert elapsed < 5, f"{elapsed:.1f}s to refuse 10,000 children"


def test_more_behaviours_than_the_maximum_is_a_400(default_version, dsl):
    response = _post(dsl, _payload(behaviours=[BEHAVIOUR] * (REFERRAL_MAX_BEHAVIOURS + 1)))

    assert response.status_code == 400
    assert "behaviours" in response.json()["fields"]


def test_the_intake_service_enforces_the_maximums_itself(default_version, dsl):
    too_many_children = [
        {**_child(index), "date_of_birth": BORN} for index in range(REFERRAL_MAX_CHILDREN + 1)
    ]
    events = AuditEvent.objects.count()

    with pytest.raises(InvalidReferral) as children:
        record_referral(actor=dsl, **_service_kwargs(children=too_many_children))
    with pytest.raises(InvalidReferral) as behaviours:
        record_referral(
            actor=dsl,
            **_service_kwargs(behaviours=[dict(BEHAVIOUR)] * (REFERRAL_MAX_BEHAVIOURS + 1)),
        )

    assert "children" in children.value.fields
    assert "behaviours" in behaviours.value.fields
    assert Referral.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_referral_at_the_maximum_is_still_checked_quickly(default_version, dsl):
    # Many new children of one date of birth: each is checked for likely duplicates.
    children = [{**_child(index), "date_of_birth": BORN} for index in range(REFERRAL_MAX_CHILDREN)]

    started = time.monotonic()
    referral = record_referral(actor=dsl, **_service_kwargs(children=children))

    assert referral.children.count() == REFERRAL_MAX_CHILDREN
    assert time.monotonic() - started < 10


# --- pathway definitions --------------------------------------------------------------------


def _definition() -> dict:
    return definition_to_dict(default_definition())


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(stages=d["stages"] * (PATHWAY_MAX_STAGES + 1)), "$.stages"),
        (
            lambda d: d.update(transitions=d["transitions"] * (PATHWAY_MAX_TRANSITIONS + 1)),
            "$.transitions",
        ),
        (
            lambda d: d["stages"][0].update(requires=["x"] * (STAGE_MAX_REQUIRES + 1)),
            "stages[0].requires",
        ),
        (
            lambda d: d["transitions"][0].update(roles=["dsl"] * (TRANSITION_MAX_ROLES + 1)),
            "transitions[0].roles",
        ),
    ],
)
def test_a_definition_with_a_list_over_its_maximum_is_refused(mutate, path):
    definition = _definition()
    mutate(definition)

    with pytest.raises(DefinitionShapeError) as caught:
        definition_from_dict(definition)

    assert path in {error["path"] for error in caught.value.errors}


def test_yaml_over_the_maximum_length_or_nested_too_deep_is_refused():
    with pytest.raises(DefinitionShapeError):
        parse_yaml("#" * (PATHWAY_YAML_MAX_CHARS + 1))
    started = time.monotonic()
    with pytest.raises(DefinitionShapeError) as deep:
        parse_yaml("[" * (PATHWAY_YAML_MAX_CHARS - 1))

    assert str(PATHWAY_YAML_MAX_DEPTH) in str(deep.value)
    assert time.monotonic() - started < 1.5


def test_the_schema_documents_the_maximums():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    referral = schemas["ReferralInRequest"]["properties"]
    definition = schemas["PathwayDefinition"]["properties"]
    assert referral["children"]["maxItems"] == REFERRAL_MAX_CHILDREN
    assert referral["behaviours"]["maxItems"] == REFERRAL_MAX_BEHAVIOURS
    assert definition["stages"]["maxItems"] == PATHWAY_MAX_STAGES
    assert definition["transitions"]["maxItems"] == PATHWAY_MAX_TRANSITIONS
    # The rule's own limit, not a longer one the service would refuse after the form passed it.
    label = schemas["OpenRoundRequest"]["properties"]["label"]
    assert label["maxLength"] == AUDIT_ROUND_LABEL_MAX_LENGTH


# --- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["HSB\u202eKCAB", "HSB\u2066X", "HSB\x07", "HSB\x85", "HSB\nX", "HSB\u200fX"]
)
def test_identifiers_refuse_control_and_direction_characters(value):
    assert identifier_problem(value)


@pytest.mark.parametrize("value", ["HSB-1234", "CR/2026/0042", "Ré-7 à", ""])
def test_ordinary_identifiers_pass(value):
    assert identifier_problem(value) is None


def test_a_child_reference_with_a_direction_override_is_a_400_naming_it(default_version, dsl):
    child = {**_child(), "reference": "HSB\u202e1234"}

    response = _post(dsl, _payload(children=[child]))

    assert response.status_code == 400
    assert "children[0].reference" in response.json()["fields"]
    assert Referral.objects.count() == 0


def test_the_service_refuses_a_crime_reference_with_a_control_character(default_version, dsl):
    with pytest.raises(InvalidReferral) as caught:
        record_referral(
            actor=dsl,
            **_service_kwargs(police_involved=True, crime_reference="CR\x1b[2J42"),
        )

    assert "crime_reference" in caught.value.fields


def test_the_service_refuses_a_child_reference_with_an_isolate(default_version, dsl):
    child = {**_child(), "date_of_birth": BORN, "reference": "HSB\u2067X"}

    with pytest.raises(InvalidReferral) as caught:
        record_referral(actor=dsl, **_service_kwargs(children=[child]))

    assert "children[0].reference" in caught.value.fields


# --- break-glass reasons --------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason", ["...", "aaaaaaaaaaaaaaaa", "ab ab ab ab ab ab", "x", "?!?! 1234"]
)
def test_a_reason_that_is_not_words_is_refused(reason):
    assert reason_problem(reason)


@pytest.mark.parametrize(
    "reason", ["Invented emergency.", "Invented: the child is missing tonight."]
)
def test_a_reason_in_words_passes(reason):
    assert reason_problem(reason) is None


def test_break_glass_with_a_reason_that_is_not_words_is_refused(invented_world):
    case_id = invented_world.own[Role.DSL]["case"]
    outsider = invented_world.users[Role.LEAD_PRACTITIONER]
    grants = AccessGrant.objects.count()
    client = APIClient()
    client.force_authenticate(outsider)

    with pytest.raises(InvalidBreakGlass) as caught:
        request_break_glass_access(case_id=case_id, actor=outsider, reason="......")
    response = client.post(
        "/api/cases/break-glass/", {"case": case_id, "reason": "aaaa aaaa"}, format="json"
    )

    assert "reason" in caught.value.fields
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert AccessGrant.objects.count() == grants


def test_an_audit_round_label_with_a_direction_override_is_refused(coordinator):
    with pytest.raises(InvalidRound) as caught:
        open_audit_round(
            label="T\u202e1",
            period_start=datetime.date(2026, 4, 1),
            period_end=datetime.date(2026, 6, 30),
            actor=coordinator,
        )

    assert "label" in caught.value.fields


# --- the shared text checks (core/validation.py) -----------------------------------------------


def test_text_is_stripped_and_anything_but_a_string_is_blank():
    assert text("  Invented.\n") == "Invented."
    assert text(None) == text(5) == text(["a"]) == ""


def test_a_length_is_refused_one_past_its_limit_in_one_wording():
    assert length_problem("a" * 16, 16) is None
    assert length_problem("a" * 17, 16) == "At most 16 characters."


def test_a_required_text_is_named_when_blank_and_refused_past_its_limit():
    assert required_problem("", "Write the note.", max_length=5) == "Write the note."
    assert required_problem("abcde", "Write the note.", max_length=5) is None
    assert required_problem("abcdef", "Write the note.", max_length=5) == "At most 5 characters."
