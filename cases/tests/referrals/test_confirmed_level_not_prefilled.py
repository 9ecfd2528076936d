"""The level confirmed after screening is the front door's own judgement (issue 16, item 9):
intake keeps the referrer's level on the referral and never copies it to the case, so the
routing asks for it and figure 3.7 can compare the two."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from cases.forms import TransitionForm
from cases.models import Case, StageMove
from cases.referrals.services import record_referral

pytestmark = pytest.mark.django_db


def _refer(dsl, level):
    return record_referral(
        actor=dsl,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        channel="phone",
        description="Invented referral: a lunchtime supervisor saw the behaviour.",
        behaviours=[
            {
                "description": "Invented: coercive behaviour towards a younger pupil.",
                "continuum_level": level,
                "traffic_light": "red",
                "setting": "school",
            }
        ],
        children=[
            {
                "involvement": "displaying_hsb",
                "first_name": "Ava",
                "last_name": "Fairbrook",
                "date_of_birth": datetime.date.today() - datetime.timedelta(days=13 * 365),
                "gender": "girl",
            }
        ],
        parents_informed=True,
    )


def test_confirmed_level_not_prefilled(default_version, make_user, front_door, lead_practitioner):
    referral = _refer(make_user(Role.DSL), "abusive")
    case = Case.objects.get(referral=referral)

    assert referral.continuum_level == "abusive"  # the referrer's, on the referral
    assert case.confirmed_continuum_level == ""  # not yet confirmed
    assert "continuum_level" not in StageMove.objects.get(case=case, kind="start").data

    # The front door's routing asks for the level: without it the route's guard refuses.
    client = APIClient()
    client.force_authenticate(front_door)
    url = reverse("api:cases:case-transitions", args=[case.pk])
    refused = client.post(
        url,
        {"transition": "refer_to_hsb_panel", "expected_version": case.lock_version},
        format="json",
    )
    assert refused.status_code == 400
    assert "confirmed continuum level" in refused.json()["detail"]
    assert Case.objects.get(pk=case.pk).current_stage.key == "initial_decision"

    # Confirmed after screening at a level of its own (here, one step below the referrer's).
    routed = client.post(
        url,
        {
            "transition": "route_to_early_help",
            "data": {"continuum_level": "problematic", "lead_practitioner": lead_practitioner.pk},
            "expected_version": case.lock_version,
        },
        format="json",
    )
    assert routed.status_code == 200, routed.json()
    assert Case.objects.get(pk=case.pk).confirmed_continuum_level == "problematic"


def test_the_routing_form_asks_for_the_level_rather_than_defaulting_it():
    form = TransitionForm()
    empty = dict(form.fields["continuum_level"].choices)[""]

    assert form["continuum_level"].value() in (None, "")
    assert "unchanged" not in empty.lower()
    assert "choose" in empty.lower()
