"""Repeat referrals (issue 16, item 5): a referral about a child already on an open case joins
that case and gets the front door's decision, due within one working day (Working Together:
every referral is decided within one working day); the lead practitioner sees the new
incident; the case shows the pattern of referrals and their continuum levels."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.exceptions import (
    InvalidRepeatReferralDecision,
    NotAllowedToDecideReferral,
    RepeatReferralAlreadyDecided,
    RepeatReferralDecisionNotFound,
)
from cases.models import Case, RepeatReferralDecision, StageMove
from cases.process import engine
from cases.referrals.selectors import case_referral_pattern, repeat_decisions_for
from cases.referrals.services import decide_repeat_referral, record_referral
from cases.tests.factories import ChildFactory
from pathways.deadlines import local_date
from pathways.tests.factories import published_default_version
from pathways.working_days import add_working_days

pytestmark = pytest.mark.django_db

LOCAL = ZoneInfo(settings.TIME_ZONE)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)


def _behaviour(level="problematic", colour="amber", description="Invented: a new incident."):
    return {
        "description": description,
        "continuum_level": level,
        "traffic_light": colour,
        "setting": "school",
    }


def _refer(actor, children, *, received_at=None, behaviours=None):
    return record_referral(
        actor=actor,
        received_at=received_at or timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        channel="phone",
        description="Invented referral about a child at Brookfield.",
        behaviours=behaviours or [_behaviour()],
        children=children,
        parents_informed=True,
    )


def _new_child(**details):
    return {
        "involvement": "displaying_hsb",
        "first_name": "Invented",
        "last_name": "Ashcombe",
        "date_of_birth": datetime.date.today() - datetime.timedelta(days=13 * 365),
        "gender": "boy",
        **details,
    }


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


@pytest.fixture
def opened(default_version, dsl):
    """A child displaying HSB whose first referral opened a case (an amber incident)."""
    child = ChildFactory(school=AgencyFactory())
    first = _refer(
        dsl,
        [{"involvement": "displaying_hsb", "child_id": child.pk}],
        received_at=_at(datetime.date(2026, 8, 3)),
        behaviours=[_behaviour(description="Invented: the first incident.")],
    )
    return first.children.get().case


def _repeat(dsl, case, **kwargs):
    return _refer(dsl, [{"involvement": "displaying_hsb", "child_id": case.child_id}], **kwargs)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _decide_url(decision):
    return reverse("api:cases:repeat-decision-decide", args=[decision.pk])


def _to_universal_support(case, front_door):
    return engine.take_transition(
        case=case,
        transition="route_to_universal_support",
        actor=front_door,
        data={"continuum_level": "normal"},
    )


def _written():
    return (
        RepeatReferralDecision.objects.filter(decided_at__isnull=False).count(),
        # Every write's event; a refused request's own security event (access.refused) is
        # the record of the refusal, not a write.
        AuditEvent.objects.exclude(action="access.refused").count(),
        StageMove.objects.count(),
        list(Case.objects.order_by("pk").values_list("lock_version", "current_stage_id")),
    )


# --- a decision for every referral, due in one working day ------------------------------------


def test_repeat_referral_gets_front_door_decision_due_in_one_working_day(dsl, opened):
    # Friday 28 August 2026; Monday 31 August is England's summer bank holiday.
    received = _at(datetime.date(2026, 8, 28), hour=16)

    referral = _repeat(dsl, opened, received_at=received)

    link = referral.children.get()
    assert link.case == opened and link.joined_open_case
    decision = RepeatReferralDecision.objects.get(referral=referral)
    assert decision.case == opened
    assert decision.area_id == opened.area_id
    assert decision.decided_at is None and decision.outcome == ""
    assert decision.due_on == datetime.date(2026, 9, 1)
    assert decision.due_on == add_working_days(local_date(received), 1, "ENG")
    event = AuditEvent.objects.get(action="case.repeat_referral", object_id=str(opened.pk))
    assert event.changes["decision_due_on"] == "2026-09-01"


def test_repeat_referral_decision_follows_the_areas_bank_holidays(dsl):
    # In Scotland the summer bank holiday is the first Monday of August, so Monday 31 August
    # is a working day there.
    area = LocalAreaFactory(name="Invented Glen", bank_holiday_region="SCT")
    front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=area))
    referrer = UserFactory(role=Role.DSL, agency=AgencyFactory(area=area))
    published_default_version(area=area, actor=front_door)
    child = ChildFactory(area=area, school=referrer.agency)
    _refer(referrer, [{"involvement": "displaying_hsb", "child_id": child.pk}])

    referral = _refer(
        referrer,
        [{"involvement": "displaying_hsb", "child_id": child.pk}],
        received_at=_at(datetime.date(2026, 8, 28)),
    )

    assert RepeatReferralDecision.objects.get(referral=referral).due_on == datetime.date(
        2026, 8, 31
    )


def test_a_new_childs_referral_is_decided_at_the_first_stage_within_one_working_day(
    default_version, dsl
):
    referral = _refer(dsl, [_new_child()], received_at=_at(datetime.date(2026, 11, 27)))

    case = referral.children.get().case
    assert case.current_stage.key == "initial_decision"
    assert case.current_stage.responsible_role == Role.FRONT_DOOR
    assert case.stage_due_on == datetime.date(2026, 11, 30)  # Friday's referral: Monday
    assert not RepeatReferralDecision.objects.filter(referral=referral).exists()


def test_repeat_referral_decision_overdue_after_one_working_day(dsl, opened, front_door):
    late = _repeat(dsl, opened, received_at=_at(datetime.date(2026, 8, 28)))
    fresh = _repeat(dsl, opened)

    answer = _client(front_door).get(reverse("api:cases:repeat-decision-list"))

    assert answer.status_code == 200
    rows = {row["referral"]["id"]: row for row in answer.json()["results"]}
    assert rows[late.pk]["overdue"] is True
    assert rows[late.pk]["due_on"] == "2026-09-01"
    today = timezone.localdate()
    assert rows[fresh.pk]["overdue"] is (
        add_working_days(local_date(fresh.received_at), 1, "ENG") < today
    )
    assert rows[fresh.pk]["overdue"] is False
    # Soonest due first.
    assert [row["referral"]["id"] for row in answer.json()["results"]] == [late.pk, fresh.pk]

    client = APIClient()
    client.force_login(front_door)
    landing = client.get(reverse("cases:index"))
    card = landing.content.decode().split('id="repeat-referrals"')[1]
    decision = RepeatReferralDecision.objects.get(referral=late)
    assert f'data-decision="{decision.pk}"' in card
    assert "overdue" in card.split(f'data-decision="{decision.pk}"')[1].split("</tr>")[0]


def test_a_decision_made_after_its_due_day_is_recorded_as_late(dsl, opened, front_door):
    referral = _repeat(dsl, opened, received_at=_at(datetime.date(2026, 8, 28)))
    decision = RepeatReferralDecision.objects.get(referral=referral)

    decide_repeat_referral(
        decision=decision, actor=front_door, outcome="no_change", reason="Invented: seen late."
    )

    event = AuditEvent.objects.get(action="case.repeat_referral_decided")
    assert event.changes["late"] is True
    assert repeat_decisions_for(front_door).get(pk=decision.pk).decided_at is not None


# --- deciding -----------------------------------------------------------------------------------


def test_front_door_decides_no_change_and_the_decision_is_audited(dsl, opened, front_door):
    referral = _repeat(dsl, opened)
    decision = RepeatReferralDecision.objects.get(referral=referral)
    stage_before = Case.objects.get(pk=opened.pk).current_stage_id

    answer = _client(front_door).post(
        _decide_url(decision),
        {"outcome": "no_change", "reason": "Invented: within the current plan's concerns."},
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["outcome"] == "no_change" and body["transition"] is None
    assert body["decided_by"] == str(front_door)
    decision.refresh_from_db()
    assert decision.decided_by == front_door and decision.decided_at is not None
    assert Case.objects.get(pk=opened.pk).current_stage_id == stage_before
    event = AuditEvent.objects.get(action="case.repeat_referral_decided")
    assert event.object_id == str(opened.pk)
    assert event.actor_id == front_door.pk
    assert event.changes["outcome"] == "no_change"
    assert event.changes["referral"] == referral.pk
    assert event.reason == "Invented: within the current plan's concerns."


def test_a_step_up_decision_takes_the_cases_step_up_through_the_engine(
    dsl, opened, front_door, lead_practitioner
):
    case = _to_universal_support(opened, front_door)
    referral = _repeat(dsl, case, behaviours=[_behaviour("problematic", "amber")])
    decision = RepeatReferralDecision.objects.get(referral=referral)

    answer = _client(front_door).post(
        _decide_url(decision),
        {
            "outcome": "step_up",
            "transition": "step_up_to_early_help",
            "continuum_level": "problematic",
            # Early help needs a lead practitioner, named with the step-up (issue 16, item 10).
            "lead_practitioner": lead_practitioner.pk,
            "reason": "Invented: a second incident in a month; advice has not been enough.",
        },
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["transition"] == "step_up_to_early_help"
    case.refresh_from_db()
    assert case.current_stage.key == "early_help"
    move = StageMove.objects.filter(case=case).order_by("-pk").first()
    assert move.kind == "step_up" and move.actor == front_door
    assert move.transition.key == "step_up_to_early_help"
    actions = list(
        AuditEvent.objects.filter(object_id=str(case.pk))
        .order_by("-pk")
        .values_list("action", flat=True)[:3]
    )
    assert actions == ["case.repeat_referral_decided", "case.lead_designated", "case.step_up"]


def test_repeat_decision_refusals_are_400_with_field_messages_and_write_nothing(
    dsl, opened, front_door
):
    case = _to_universal_support(opened, front_door)
    decision = RepeatReferralDecision.objects.get(referral=_repeat(dsl, case))
    client = _client(front_door)
    before = _written()

    cases = [
        ({"outcome": "no_change"}, "reason", "a decision on a repeat referral weighs the pattern"),
        ({"outcome": "step_up", "reason": "Invented."}, "transition", "step_up_to_early_help"),
        (
            {"outcome": "step_up", "reason": "Invented.", "transition": "close_universal_support"},
            "transition",
            "A step-up names one of the step-ups your role may take",
        ),
        (
            {"outcome": "no_change", "reason": "Invented.", "transition": "step_up_to_early_help"},
            "transition",
            "moves nothing",
        ),
        ({"outcome": "close", "reason": "Invented."}, "outcome", "not a valid choice"),
        (
            {"outcome": "no_change", "reason": "Invented \u202ereason."},
            "reason",
            "text-direction overrides are not allowed",
        ),
    ]
    for payload, field, message in cases:
        answer = client.post(_decide_url(decision), payload, format="json")
        assert answer.status_code == 400, (payload, answer.json())
        assert message in " ".join(answer.json()["fields"][field]), answer.json()

    assert _written() == before


def test_a_step_up_the_engine_refuses_rolls_the_whole_decision_back(dsl, opened, front_door):
    case = _to_universal_support(opened, front_door)
    decision = RepeatReferralDecision.objects.get(referral=_repeat(dsl, case))
    before = _written()

    answer = _client(front_door).post(
        _decide_url(decision),
        {
            "outcome": "step_up",
            "transition": "step_up_to_early_help",
            "reason": "Invented.",
            "expected_version": 1,  # the case has moved on since
        },
        format="json",
    )

    assert answer.status_code == 409
    assert _written() == before


def test_repeat_decision_refused_for_other_area(dsl, opened):
    decision = RepeatReferralDecision.objects.get(referral=_repeat(dsl, opened))
    elsewhere = LocalAreaFactory(name="Invented Elsewhere")
    their_front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=elsewhere))
    before = _written()

    answer = _client(their_front_door).post(
        _decide_url(decision), {"outcome": "no_change", "reason": "Invented."}, format="json"
    )
    written = _written()
    listed = _client(their_front_door).get(
        reverse("api:cases:repeat-decision-list"), {"status": "all"}
    )

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    assert written == before
    assert listed.json()["results"] == []
    with pytest.raises(RepeatReferralDecisionNotFound):
        decide_repeat_referral(
            decision=decision.pk, actor=their_front_door, outcome="no_change", reason="Invented."
        )


def test_only_the_front_door_or_a_manager_decides_and_only_once(
    dsl, opened, front_door, lead_practitioner
):
    Case.objects.filter(pk=opened.pk).update(lead_practitioner=lead_practitioner)
    decision = RepeatReferralDecision.objects.get(referral=_repeat(dsl, opened))

    with pytest.raises(NotAllowedToDecideReferral):
        decide_repeat_referral(
            decision=decision, actor=lead_practitioner, outcome="no_change", reason="Invented."
        )
    answer = _client(lead_practitioner).post(
        _decide_url(decision), {"outcome": "no_change", "reason": "Invented."}, format="json"
    )
    assert answer.status_code == 403

    with pytest.raises(InvalidRepeatReferralDecision) as refused:
        decide_repeat_referral(decision=decision, actor=front_door, outcome="", reason="")
    assert set(refused.value.fields) == {"outcome", "reason"}
    decide_repeat_referral(
        decision=decision, actor=front_door, outcome="no_change", reason="Invented."
    )
    with pytest.raises(RepeatReferralAlreadyDecided):
        decide_repeat_referral(
            decision=decision, actor=front_door, outcome="no_change", reason="Invented again."
        )
    again = _client(front_door).post(
        _decide_url(decision), {"outcome": "no_change", "reason": "Again."}, format="json"
    )
    assert again.status_code == 409


def test_the_front_door_decides_on_the_decision_page(dsl, opened, front_door):
    decision = RepeatReferralDecision.objects.get(referral=_repeat(dsl, opened))
    client = APIClient()
    client.force_login(front_door)
    url = reverse("cases:repeat_decision", args=[decision.pk])

    page = client.get(url)
    refused = client.post(url, {"outcome": "no_change", "reason": ""})
    done = client.post(url, {"outcome": "no_change", "reason": "Invented: no change needed."})

    assert page.status_code == 200
    assert 'id="repeat-decision-form"' in page.content.decode()
    assert "Invented: a new incident." in page.content.decode()
    assert refused.status_code == 400
    assert "weighs the pattern across incidents" in refused.content.decode()
    assert done.status_code == 302
    decision.refresh_from_db()
    assert decision.outcome == "no_change" and decision.decided_by == front_door
    listing = client.get(reverse("cases:repeat_decisions"))
    assert listing.status_code == 200
    assert f'data-decision="{decision.pk}"' in listing.content.decode().split("repeat-decided")[1]


# --- the lead practitioner and the pattern ------------------------------------------------------


def test_lead_practitioner_sees_new_incident_on_case(dsl, opened, lead_practitioner):
    Case.objects.filter(pk=opened.pk).update(lead_practitioner=lead_practitioner)
    referral = _repeat(
        dsl,
        opened,
        behaviours=[_behaviour("abusive", "red", "Invented: coercion of a younger pupil.")],
    )
    client = APIClient()
    client.force_login(lead_practitioner)

    page = client.get(reverse("cases:case_detail", args=[opened.pk])).content.decode()
    pattern = _client(lead_practitioner).get(reverse("api:cases:case-referrals", args=[opened.pk]))
    listed = _client(lead_practitioner).get(reverse("api:cases:repeat-decision-list"))
    landing = client.get(reverse("cases:index")).content.decode()

    section = page.split('id="referral-pattern"')[1]
    row = section.split(f'data-referral="{referral.pk}"')[1].split("</tr>")[0]
    assert 'data-status="new_undecided"' in row
    assert "new · undecided" in row
    assert "Invented: coercion of a younger pupil." in row
    assert 'id="new-incidents"' in section
    body = pattern.json()
    assert body["undecided"] == 1
    new = next(row for row in body["referrals"] if row["referral"] == referral.pk)
    assert new["status"] == "new_undecided"
    assert new["behaviours"][0]["description"] == "Invented: coercion of a younger pupil."
    assert new["behaviours"][0]["continuum_level"] == "abusive"
    assert new["decision"]["outcome"] is None
    assert [row["referral"]["id"] for row in listed.json()["results"]] == [referral.pk]
    assert 'id="repeat-referrals"' in landing
    assert "awaiting the front door&#x27;s decision" in landing or "front door's" in landing


def test_case_shows_referral_pattern(dsl, opened, front_door):
    second = _repeat(
        dsl,
        opened,
        received_at=_at(datetime.date(2026, 9, 14)),
        behaviours=[_behaviour("problematic", "amber"), _behaviour("abusive", "red")],
    )
    third = _repeat(
        dsl,
        opened,
        received_at=_at(datetime.date(2026, 10, 5)),
        behaviours=[_behaviour("violent", "red")],
    )
    decide_repeat_referral(
        decision=RepeatReferralDecision.objects.get(referral=second),
        actor=front_door,
        outcome="no_change",
        reason="Invented: within the plan.",
    )

    rows = case_referral_pattern(opened)
    answer = _client(front_door).get(reverse("api:cases:case-referrals", args=[opened.pk]))
    client = APIClient()
    client.force_login(front_door)
    page = client.get(reverse("cases:case_detail", args=[opened.pk])).content.decode()

    assert [row.levels for row in rows] == [
        ["problematic"],
        ["problematic", "abusive"],
        ["violent"],
    ]
    assert [row.status for row in rows] == ["opened", "decided", "new_undecided"]
    body = answer.json()
    assert [row["continuum_level"] for row in body["referrals"]] == [
        "problematic",
        "abusive",
        "violent",
    ]
    assert [row["levels"] for row in body["referrals"]] == [r.levels for r in rows]
    assert body["referrals"][1]["decision"]["outcome"] == "no_change"
    assert body["referrals"][2]["referral"] == third.pk
    table = page.split('id="referral-pattern"')[1].split("</table>")[0]
    assert table.index("Problematic") < table.index("Abusive") < table.index("Violent")
    assert "No change to the current route" in table


def test_a_case_the_user_may_not_see_has_no_pattern_for_them(dsl, opened):
    elsewhere = LocalAreaFactory(name="Invented Elsewhere")
    their_front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=elsewhere))

    answer = _client(their_front_door).get(reverse("api:cases:case-referrals", args=[opened.pk]))

    assert answer.status_code == 404


# --- query counts -------------------------------------------------------------------------------


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_decision_list_costs_the_same_queries_for_one_decision_or_five(dsl, opened, front_door):
    client = _client(front_door)
    url = reverse("api:cases:repeat-decision-list")
    _repeat(dsl, opened)
    one = _queries(lambda: client.get(url))
    for _ in range(4):
        _repeat(dsl, opened)

    five = _queries(lambda: client.get(url))

    assert len(client.get(url).json()["results"]) == 5
    assert five == one


def test_the_case_pattern_costs_the_same_queries_for_two_referrals_or_six(dsl, opened, front_door):
    client = _client(front_door)
    url = reverse("api:cases:case-referrals", args=[opened.pk])
    _repeat(dsl, opened)
    two = _queries(lambda: client.get(url))
    for _ in range(4):
        _repeat(dsl, opened)

    six = _queries(lambda: client.get(url))

    assert len(client.get(url).json()["referrals"]) == 6
    assert six == two


def test_the_decision_lists_read_only_the_columns_they_show(dsl, opened, front_door):
    _repeat(dsl, opened)
    pages = APIClient()
    pages.force_login(front_door)
    for client, url in (
        (_client(front_door), reverse("api:cases:repeat-decision-list")),
        (pages, reverse("cases:repeat_decisions")),
        (pages, reverse("cases:index")),
    ):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        read = " ".join(q["sql"] for q in captured if q["sql"].startswith("SELECT"))
        for column in ("flow_class", "outcome_summary", "pathway_version_id"):
            assert column not in read, (url, column)
