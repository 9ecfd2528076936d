"""Two rules of a referral from the guidance (issue 16, items 2 and 3), through the service, the
API and the page: a behaviour's Brook traffic light fits its continuum level; a child displaying
HSB is 4 to 17 at referral, a child harmed under 18. And the transition to adult services an
open case shows once its child displaying HSB is 18, computed from the date of birth."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from audit.models import AuditEvent
from cases.ages import adult_transition, referral_age_problem
from cases.exceptions import InvalidReferral
from cases.models import (
    Case,
    Child,
    Involvement,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    StageMove,
    TrafficLight,
)
from cases.process import engine
from cases.referrals.services import record_referral
from cases.tests.factories import ChildFactory
from pathways.continuum import BROOK_COLOUR, ContinuumLevel, brook_colour_problem

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
GUIDE = "(green: normal; amber: inappropriate or problematic; red: abusive or violent)"


def _born(years: int, days: int = 0) -> datetime.date:
    """The date of birth of a child who is `years` old today, `days` short of a birthday
    when `days` is negative (born later), past it when positive."""
    return TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=days)


def _child(involvement="displaying_hsb", **details):
    return {
        "involvement": involvement,
        "first_name": "Ava",
        "last_name": "Fairbrook",
        "date_of_birth": _born(13),
        "gender": "girl",
        "confirm_new": True,
        **details,
    }


def _behaviour(level="problematic", colour="amber"):
    return {"continuum_level": level, "traffic_light": colour, "setting": "school"}


def _refer(actor, **overrides):
    values = {
        "actor": actor,
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "description": "Invented referral: behaviour seen at break time.",
        "behaviours": [_behaviour()],
        "children": [_child()],
        "parents_informed": True,
    }
    values.update(overrides)
    return record_referral(**values)


def _counts():
    return (
        Referral.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
        ReferralChild.objects.count(),
        ReferralBehaviour.objects.count(),
        StageMove.objects.count(),
        AuditEvent.objects.count(),
    )


def _refused(actor, **overrides) -> dict[str, list[str]]:
    before = _counts()
    with pytest.raises(InvalidReferral) as caught:
        _refer(actor, **overrides)
    assert _counts() == before, "a refused referral writes nothing"
    return caught.value.fields


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _errors_near(content: bytes, field_id: str) -> list[str]:
    match = re.search(
        rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', content.decode(), re.S
    )
    return re.findall(r"<li>(.*?)</li>", match.group(1)) if match else []


def _form_data(**overrides) -> dict[str, str]:
    received = timezone.localtime() - datetime.timedelta(hours=1)
    data = {
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "source": "2A",
        "channel": "phone",
        "description": "Invented: a teaching assistant saw the behaviour at break time.",
        "parents_informed": "yes",
        "police_involved": "no",
        "behaviours-TOTAL_FORMS": "1",
        "behaviours-INITIAL_FORMS": "0",
        "behaviours-MIN_NUM_FORMS": "0",
        "behaviours-MAX_NUM_FORMS": "20",
        "behaviours-0-continuum_level": "problematic",
        "behaviours-0-traffic_light": "amber",
        "behaviours-0-setting": "school",
        "children-TOTAL_FORMS": "1",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "20",
        "children-0-involvement": "displaying_hsb",
        "children-0-first_name": "Leo",
        "children-0-last_name": "Ashdown",
        "children-0-date_of_birth": _born(11).isoformat(),
        "children-0-gender": "boy",
        "children-0-ethnicity": "not_known",
    }
    data.update(overrides)
    return data


# --- item 2: the Brook traffic light fits the continuum level --------------------------------


def test_each_continuum_level_has_the_brook_colour_the_framework_gives():
    # "Green behaviours are normal; amber, likely inappropriate or problematic; red, likely
    # abusive or violent" (the framework's Brook traffic light, shared/domain/continuum.yaml).
    assert BROOK_COLOUR == {
        "normal": "green",
        "inappropriate": "amber",
        "problematic": "amber",
        "abusive": "red",
        "violent": "red",
    }
    assert set(BROOK_COLOUR) == set(ContinuumLevel.values)
    assert set(BROOK_COLOUR.values()) == set(TrafficLight.values)
    for level, colour in BROOK_COLOUR.items():
        assert brook_colour_problem(level, colour) is None


def test_violent_behaviour_cannot_be_green(default_version, dsl):
    fields = _refused(dsl, behaviours=[_behaviour("violent", "green")])

    assert fields == {
        "behaviours[0].traffic_light": [
            f"A violent behaviour cannot be green: on the Brook traffic light it is red {GUIDE}."
        ]
    }


def test_normal_behaviour_cannot_be_red(default_version, dsl):
    fields = _refused(dsl, behaviours=[_behaviour("normal", "red")])

    assert fields == {
        "behaviours[0].traffic_light": [
            f"A normal behaviour cannot be red: on the Brook traffic light it is green {GUIDE}."
        ]
    }


def test_every_behaviour_is_checked_for_its_colour(default_version, dsl):
    fields = _refused(
        dsl,
        behaviours=[
            _behaviour("abusive", "red"),
            _behaviour("inappropriate", "green"),
            _behaviour("problematic", "amber"),
            _behaviour("abusive", "amber"),
        ],
    )

    assert set(fields) == {"behaviours[1].traffic_light", "behaviours[3].traffic_light"}
    assert fields["behaviours[1].traffic_light"][0].startswith(
        "An inappropriate behaviour cannot be green: on the Brook traffic light it is amber"
    )
    assert fields["behaviours[3].traffic_light"][0].startswith(
        "An abusive behaviour cannot be amber: on the Brook traffic light it is red"
    )


def test_every_fitting_colour_is_accepted(default_version, dsl):
    referral = _refer(
        dsl, behaviours=[_behaviour(level, colour) for level, colour in BROOK_COLOUR.items()]
    )

    assert referral.behaviours.count() == len(BROOK_COLOUR)
    assert referral.continuum_level == "violent"


def test_violent_behaviour_cannot_be_green_through_the_api(default_version, dsl):
    payload = {
        "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral.",
        "behaviours": [_behaviour(), _behaviour("violent", "green")],
        "children": [{**_child(), "date_of_birth": _born(13).isoformat()}],
        "parents_informed": True,
    }
    before = _counts()

    response = _api(dsl).post(reverse("api:cases:referral-list"), payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"] == {
        "behaviours[1].traffic_light": [
            f"A violent behaviour cannot be green: on the Brook traffic light it is red {GUIDE}."
        ]
    }
    assert _counts() == before


def test_violent_behaviour_cannot_be_green_on_the_referral_page(client, default_version, dsl):
    client.force_login(dsl)
    before = _counts()

    response = client.post(
        reverse("cases:referral_new"),
        _form_data(
            **{"behaviours-0-continuum_level": "violent", "behaviours-0-traffic_light": "green"}
        ),
    )

    assert response.status_code == 400
    assert _errors_near(response.content, "id_behaviours-0-traffic_light") == [
        f"A violent behaviour cannot be green: on the Brook traffic light it is red {GUIDE}."
    ]
    assert _counts() == before


def test_the_referral_page_says_which_colour_fits_which_level(client, dsl):
    client.force_login(dsl)

    html = client.get(reverse("cases:referral_new")).content.decode()

    assert f"Brook&#x27;s colour fits the level: {GUIDE[1:-1]}." in html


# --- item 3: ages at referral ----------------------------------------------------------------


def test_child_displaying_hsb_must_be_under_18_at_referral(default_version, dsl):
    fields = _refused(dsl, children=[_child(date_of_birth=_born(18))])

    assert fields == {
        "children[0].date_of_birth": [
            "A child displaying HSB must be under 18 at referral: this child was 18 when the "
            "referral was received. HSB is behaviour of children under 18; a young adult's "
            "support is a matter for adult services."
        ]
    }
    # The day before the 18th birthday, still 17: accepted.
    referral = _refer(dsl, children=[_child(date_of_birth=_born(18, days=-1))])
    assert referral.children.get().child.age_on(TODAY) == 17


def test_a_24_year_old_is_not_referred_as_a_child_displaying_hsb(default_version, dsl):
    fields = _refused(dsl, children=[_child(date_of_birth=_born(24))])

    assert fields["children[0].date_of_birth"][0].startswith(
        "A child displaying HSB must be under 18 at referral: this child was 24"
    )


def test_child_displaying_hsb_must_be_at_least_4_at_referral(default_version, dsl):
    fields = _refused(dsl, children=[_child(date_of_birth=_born(4, days=-1))])

    assert fields == {
        "children[0].date_of_birth": [
            "A child displaying HSB must be at least 4 at referral: this child was 3 when the "
            "referral was received. A very young child's sexual behaviour is largely "
            "exploratory; raise a concern about their care instead."
        ]
    }
    referral = _refer(dsl, children=[_child(date_of_birth=_born(4))])
    assert referral.children.get().child.age_on(TODAY) == 4


def test_child_harmed_must_be_under_18_at_referral_but_may_be_a_baby(default_version, dsl):
    adult = _child("harmed", first_name="Mia", last_name="Kettleby", date_of_birth=_born(18))
    fields = _refused(dsl, children=[_child(), adult])

    assert fields == {
        "children[1].date_of_birth": [
            "A child harmed must be under 18 at referral: this child was 18 when the referral "
            "was received. An adult harmed is for adult safeguarding."
        ]
    }
    baby = _child("harmed", first_name="Mia", last_name="Kettleby", date_of_birth=_born(0, 90))
    referral = _refer(dsl, children=[_child(), baby])
    assert referral.cases.filter(involvement=Involvement.HARMED).count() == 1


def test_the_age_is_the_age_when_the_referral_was_received(default_version, dsl):
    # 18 today, 17 when the referral came in a month ago: accepted; and the other way round,
    # 4 today but 3 when it came in: refused.
    month_ago = timezone.now() - datetime.timedelta(days=30)
    referral = _refer(
        dsl, received_at=month_ago, children=[_child(date_of_birth=_born(18, days=10))]
    )
    assert referral.children.count() == 1

    fields = _refused(
        dsl,
        received_at=month_ago,
        children=[_child(first_name="Noor", date_of_birth=_born(4, days=10))],
    )
    assert (
        "must be at least 4 at referral: this child was 3"
        in (fields["children[0].date_of_birth"][0])
    )


def test_a_linked_child_now_18_cannot_be_referred_as_displaying_hsb(default_version, dsl):
    existing = ChildFactory(
        school=AgencyFactory(), first_name="Finn", last_name="Marsh", date_of_birth=_born(18)
    )

    fields = _refused(dsl, children=[{"involvement": "displaying_hsb", "child_id": existing.pk}])

    assert fields["children[0].date_of_birth"][0].startswith(
        "A child displaying HSB must be under 18 at referral: this child was 18"
    )


def test_child_displaying_hsb_must_be_under_18_through_the_api(default_version, dsl):
    payload = {
        "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral.",
        "behaviours": [_behaviour()],
        "children": [{**_child(), "date_of_birth": _born(24).isoformat()}],
        "parents_informed": True,
    }
    before = _counts()

    response = _api(dsl).post(reverse("api:cases:referral-list"), payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["children[0].date_of_birth"]
    assert response.json()["fields"]["children[0].date_of_birth"][0].startswith(
        "A child displaying HSB must be under 18 at referral: this child was 24"
    )
    assert _counts() == before


def test_child_displaying_hsb_must_be_at_least_4_on_the_referral_page(client, default_version, dsl):
    client.force_login(dsl)
    before = _counts()

    response = client.post(
        reverse("cases:referral_new"),
        _form_data(**{"children-0-date_of_birth": _born(3).isoformat()}),
    )

    assert response.status_code == 400
    [message] = _errors_near(response.content, "id_children-0-date_of_birth")
    assert message.startswith("A child displaying HSB must be at least 4 at referral")
    assert _counts() == before


def test_an_involvement_not_chosen_is_held_to_under_18():
    problem = referral_age_problem(_born(19), "", TODAY)

    assert problem is not None and problem.startswith("A child must be under 18 at referral")
    assert referral_age_problem(_born(1), "", TODAY) is None


# --- item 3: the transition to adult services on an open case --------------------------------


def _case_of_a_child_now(years: int, days: int, actor, involvement="displaying_hsb") -> Case:
    """A case opened through the referral service a year ago, when its child was a year
    younger (and so within the bounds at referral)."""
    children = [_child(date_of_birth=_born(years, days))]
    if involvement == "harmed":
        children.append(
            _child(
                "harmed", first_name="Mia", last_name="Kettleby", date_of_birth=_born(years, days)
            )
        )
    referral = _refer(
        actor, received_at=timezone.now() - datetime.timedelta(days=366), children=children
    )
    return referral.cases.get(involvement=involvement)


def _detail(user, case) -> dict:
    response = _api(user).get(reverse("api:cases:case-detail", args=[case.pk]))
    assert response.status_code == 200
    return response.json()


def test_open_case_of_child_turned_18_shows_transition_flag(
    client, default_version, dsl, front_door
):
    case = _case_of_a_child_now(18, 20, dsl)  # turned 18 twenty days ago

    assert _detail(front_door, case)["transition_to_adult_services"] is True
    client.force_login(front_door)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    row = re.search(r'<tr id="adult-transition">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "due: 18 to 21" in row.group(1)
    assert f"Ava is 18 (an adult since {_born(0, 20):%-d %b %Y})" in row.group(1)


def test_the_transition_flag_follows_today_not_a_stored_value(default_version, dsl, front_door):
    # 17 today (18 tomorrow): no flag yet, nothing stored to go stale when the birthday comes.
    case = _case_of_a_child_now(18, -1, dsl)

    assert _detail(front_door, case)["transition_to_adult_services"] is False
    flagged_tomorrow = adult_transition(
        date_of_birth=case.child.date_of_birth,
        involvement=case.involvement,
        closed=False,
        today=TODAY + datetime.timedelta(days=1),
    )
    assert flagged_tomorrow is not None and flagged_tomorrow.age == 18


def test_the_transition_flag_is_not_shown_on_a_closed_case(default_version, dsl, front_door):
    case = _case_of_a_child_now(18, 20, dsl)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now(), closure_reason="RC6")

    assert _detail(front_door, case)["transition_to_adult_services"] is False


def test_the_transition_flag_is_for_the_child_displaying_hsb(default_version, dsl, front_door):
    # The framework's 18 to 21 transition concerns young people displaying HSB.
    harmed_case = _case_of_a_child_now(18, 20, dsl, involvement="harmed")

    assert _detail(front_door, harmed_case)["transition_to_adult_services"] is False


def test_the_case_page_shows_the_transition_overdue_past_21(client, default_version, front_door):
    # A case still open at 22 (opened directly, as after a long episode): the flag stays on.
    case = engine.open_case(
        child=ChildFactory(area=default_version.pathway.area, date_of_birth=_born(22, 5)),
        involvement="displaying_hsb",
        version_id=default_version.pk,
        referral=None,
        referral_received_at=timezone.now(),
        actor=front_door,
    )

    assert _detail(front_door, case)["transition_to_adult_services"] is True
    client.force_login(front_door)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "overdue: past 21" in html
    assert "window closed on their 22nd birthday" in html


def test_a_case_under_18_shows_no_transition_on_its_page(client, default_version, dsl, front_door):
    case = _refer(dsl).cases.get()

    client.force_login(front_door)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'id="adult-transition"' not in html
    assert _detail(front_door, case)["transition_to_adult_services"] is False


def test_a_29_february_birthday_turns_18_on_1_march():
    transition = adult_transition(
        date_of_birth=datetime.date(2008, 2, 29),
        involvement="displaying_hsb",
        closed=False,
        today=datetime.date(2026, 3, 1),
    )
    assert transition is not None
    assert transition.adult_on == datetime.date(2026, 3, 1)
    assert transition.window_ends_on == datetime.date(2030, 3, 1)
    assert (
        adult_transition(
            date_of_birth=datetime.date(2008, 2, 29),
            involvement="displaying_hsb",
            closed=False,
            today=datetime.date(2026, 2, 28),
        )
        is None
    )
