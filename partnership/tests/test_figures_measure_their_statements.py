"""Each dashboard figure measures its statement, with its denominator named (issue 16, item 9):
3.3 has a figure, 3.7 compares the referrer's level with the confirmed one, 3.8 counts
feedback on the process, 3.6 counts schools at referral, assessment and support, 3.5's
45-day figure counts children's social care assessments only and its lead designation counts
among the cases that need a lead. Built on the fixed dataset (`dataset.py`), with rows added."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.models import Assessment, AssessmentStatus
from audit.models import AuditEvent
from cases.models import Case, RecordedView
from partnership.figures import FIGURES, DashboardFilters, dashboard_scope, figure_cases
from partnership.models import ProcessFeedback
from partnership.services import record_process_feedback

from .dataset import PERIOD, _Builder, at

pytestmark = pytest.mark.django_db


def _figure(dataset, key):
    scope = dashboard_scope(
        area_id=dataset.area.pk,
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        filters=DashboardFilters(),
    )
    figure = FIGURES[key].compute(scope)
    return figure.numerator, figure.denominator


def _names(dataset, key, part):
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])
    by_pk = {case.pk: name for name, case in dataset.cases.items()}
    return {by_pk.get(pk, pk) for pk in figure_cases(scope, key, part).values_list("pk", flat=True)}


def _builder(dataset, actor):
    return _Builder(area=dataset.area, version=dataset.version, actor=actor)


def test_figure_3_3_measures_school_referrals_taken_up_beyond_universal_advice(dataset, front_door):
    assert FIGURES["school_referrals_taken_up"].statement == "3.3"
    assert "designated safeguarding lead" in FIGURES["school_referrals_taken_up"].definition
    # C1 C2 C4b C6: school referrals past the initial decision, all given a service.
    assert _figure(dataset, "school_referrals_taken_up") == (4, 4)

    build = _builder(dataset, front_door)
    school = dataset.agencies["school"]
    for number, moves in enumerate(
        [
            (("no_further_action", at("2025-05-14 10:00")),),  # returned at the door
            (("route_to_universal_support", at("2025-05-14 10:00")),),  # advice only
            (),  # still waiting: not yet decided, not counted
        ]
    ):
        child = build.child(
            f"PT-S{number}", "Invented", dataset.children["K2"].date_of_birth, "boy"
        )
        referral = build.referral(at("2025-05-13 10:00"), "2A", school, level="problematic")
        build.case(child, referral, moves=moves)
    # A police referral returned at the door is not the school's.
    child = build.child("PT-S9", "Invented", dataset.children["K2"].date_of_birth, "boy")
    referral = build.referral(at("2025-05-13 10:00"), "6", dataset.agencies["police"])
    build.case(child, referral, moves=(("no_further_action", at("2025-05-14 10:00")),))

    assert _figure(dataset, "school_referrals_taken_up") == (4, 6)


def test_figure_3_7_measures_level_agreement(dataset):
    # Both levels known on C1 C2 C4b C6 C9; C2 was referred as abusive, confirmed problematic.
    assert _figure(dataset, "continuum_level_agreement") == (4, 5)
    assert _names(dataset, "continuum_level_agreement", "denominator") == {
        "C1",
        "C2",
        "C4b",
        "C6",
        "C9",
    }

    Case.objects.filter(pk=dataset.cases["C2"].pk).update(confirmed_continuum_level="abusive")
    assert _figure(dataset, "continuum_level_agreement") == (5, 5)

    # Not yet confirmed after screening: not compared (not 100% by construction).
    Case.objects.filter(pk=dataset.cases["C6"].pk).update(confirmed_continuum_level="")
    assert _figure(dataset, "continuum_level_agreement") == (4, 4)
    # A child harmed has no level of their own to compare.
    Case.objects.filter(pk=dataset.cases["C7"].pk).update(confirmed_continuum_level="abusive")
    assert _figure(dataset, "continuum_level_agreement") == (4, 4)


@pytest.fixture
def led_case(dataset, make_user):
    """C5 (in the period, no feedback yet) with its lead practitioner."""
    lead = make_user(Role.LEAD_PRACTITIONER)
    case = dataset.cases["C5"]
    Case.objects.filter(pk=case.pk).update(lead_practitioner=lead)
    case.refresh_from_db()
    return case, lead


def test_feedback_recorded_counts_for_3_8(dataset, led_case):
    case, lead = led_case
    assert _figure(dataset, "child_process_feedback") == (2, 10)
    assert _figure(dataset, "family_process_feedback") == (2, 10)

    # A view about the child's own case is not feedback on the process.
    RecordedView.objects.create(
        case=case,
        holder="child",
        view="Invented.",
        recorded_at=at("2025-06-05 10:00"),
        recorded_by=lead,
    )
    assert _figure(dataset, "child_process_feedback") == (2, 10)

    row = record_process_feedback(
        case=case,
        given_by="child",
        aspect="referral",
        feedback="Invented: nobody told me what the meeting was for.",
        found_accessible=False,
        actor=lead,
    )

    assert _figure(dataset, "child_process_feedback") == (3, 10)
    assert _figure(dataset, "family_process_feedback") == (2, 10)
    assert (row.area_id, row.recorded_by_id) == (case.area_id, lead.pk)
    event = AuditEvent.objects.get(action="partnership.process_feedback_recorded")
    assert event.changes == {"case": case.pk, "given_by": "child", "aspect": "referral"}


def test_feedback_api_records_it_and_refuses_naming_the_rule(dataset, led_case, make_user):
    case, lead = led_case
    url = reverse("api:partnership:process-feedback")
    payload = {
        "case": case.pk,
        "given_by": "parent_carer",
        "aspect": "assessment",
        "feedback": "Invented: the assessment was explained clearly.",
        "found_accessible": True,
    }

    def client(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    before = ProcessFeedback.objects.count()
    blank = client(lead).post(url, {**payload, "feedback": "  "}, format="json")
    assert blank.status_code == 400
    assert blank.json()["fields"]["feedback"] == ["Write down the feedback on the process."]
    # Not the case's lead (a lead practitioner of another case): refused, naming the rule.
    other = client(make_user(Role.LEAD_PRACTITIONER)).post(url, payload, format="json")
    assert other.status_code in (403, 404)
    # Another area's case, named in the payload: as if it did not exist.
    elsewhere = make_user(
        Role.TEAM_MANAGER, agency=AgencyFactory(area=LocalAreaFactory(name="Invented Eastbrook"))
    )
    assert client(elsewhere).post(url, payload, format="json").status_code == 404
    assert ProcessFeedback.objects.count() == before  # nothing written

    made = client(lead).post(url, payload, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["given_by"] == "parent_carer" and made.json()["case"] == case.pk
    listed = client(lead).get(url, {"case": case.pk}).json()
    assert [row["feedback"] for row in listed] == [payload["feedback"]]
    assert _figure(dataset, "family_process_feedback") == (3, 10)


def test_feedback_page_lets_the_lead_practitioner_record_it(dataset, led_case, client, make_user):
    case, lead = led_case
    client.force_login(lead)
    url = reverse("cases:case_process_feedback", args=[case.pk])

    # Another lead practitioner's case they cannot see: a 404, not an error.
    client.force_login(make_user(Role.LEAD_PRACTITIONER))
    assert client.get(url).status_code == 404
    client.force_login(lead)
    # The case page leads to it.
    assert url.encode() in client.get(reverse("cases:case_detail", args=[case.pk])).content
    page = client.get(url)
    assert page.status_code == 200
    assert b"Record feedback" in page.content

    refused = client.post(url, {"given_by": "child", "aspect": "", "feedback": "Invented."})
    assert refused.status_code == 400
    assert b"Say which part of the process the feedback is about." in refused.content

    done = client.post(
        url,
        {"given_by": "child", "aspect": "overall", "feedback": "Invented: it felt quick."},
    )
    assert done.status_code == 302
    assert ProcessFeedback.objects.filter(case=case, given_by="child").count() == 1
    assert b"Invented: it felt quick." in client.get(url).content


def test_figure_3_6_counts_school_contributions(dataset, front_door):
    # Referral (identification and referral), assessment and support via multi-agency work.
    for key in ("education_share", "school_assessment_contributions", "school_on_team"):
        assert FIGURES[key].statement == "3.6"
    assert _figure(dataset, "education_share") == (6, 11)
    assert _figure(dataset, "school_assessment_contributions") == (2, 3)  # A3, A6 of 3
    assert _figure(dataset, "school_on_team") == (2, 6)  # C1, C6 of the served six
    assert _names(dataset, "school_on_team", "denominator") == {
        "C1",
        "C2",
        "C3",
        "C4b",
        "C6",
        "C10",
    }

    build = _builder(dataset, front_door)
    school = dataset.agencies["school"]
    build.team(dataset.cases["C3"], school, at("2025-05-08 10:00"))
    # Universal advice only (C9): no multi-agency team to count it in.
    build.team(dataset.cases["C9"], school, at("2025-05-22 10:00"))

    assert _figure(dataset, "school_on_team") == (3, 6)


def test_45_day_figure_counts_only_csc_assessments(dataset, front_door):
    # A3 (C3) is the one children's social care assessment: started in 4 working days,
    # authorised in 47. A2 and A6 (HSB-focused risk assessments) are not counted.
    assert _figure(dataset, "assessment_started_within_45_days") == (1, 1)
    assert _figure(dataset, "assessment_authorised_within_45_days") == (0, 1)

    build = _builder(dataset, front_door)
    # Another type, started long after referral: still not counted.
    build.assessment(
        dataset.cases["C4b"],
        assessment_type="comprehensive_assessment",
        status=AssessmentStatus.STARTED,
        requested_at=at("2025-06-18 09:00"),
        started_at=at("2025-06-18 09:00") + timedelta(days=120),
    )
    assert _figure(dataset, "assessment_started_within_45_days") == (1, 1)

    # A CSC assessment of C6 started in time counts.
    build.assessment(
        dataset.cases["C6"],
        assessment_type="csc_assessment",
        status=AssessmentStatus.STARTED,
        requested_at=at("2025-06-11 09:00"),
        started_at=at("2025-06-13 09:00"),
    )
    assert _figure(dataset, "assessment_started_within_45_days") == (2, 2)
    assert Assessment.objects.filter(assessment_type="csc_assessment").count() == 2


def test_lead_designation_denominator_excludes_harmed_nfa_universal(dataset, front_door):
    assert _figure(dataset, "lead_practitioner_designated") == (4, 6)

    build = _builder(dataset, front_door)
    # A child harmed (C7), no further action at the door (C4), universal advice (C9), and a
    # case still waiting for its decision (C5): none needs a lead, so none is counted,
    # whether or not one was designated.
    for name in ("C7", "C4", "C9", "C5"):
        build.lead(dataset.cases[name], at("2025-06-20 10:00"))

    assert _figure(dataset, "lead_practitioner_designated") == (4, 6)
    denominator = _names(dataset, "lead_practitioner_designated", "denominator")
    assert denominator == {"C1", "C2", "C3", "C4b", "C6", "C10"}
    assert "no further action" in FIGURES["lead_practitioner_designated"].definition


def test_reading_feedback_on_the_process_is_audited_as_a_read_of_the_case(
    dataset, led_case, client
):
    """Children's and families' own words about a case are read as its record is: each read
    (the case's page, the API for the case, the API's list) appends its event."""
    case, lead = led_case
    record_process_feedback(
        case=case,
        given_by="child",
        aspect="overall",
        feedback="Invented: it felt quick.",
        found_accessible=True,
        actor=lead,
    )
    reads = AuditEvent.objects.filter(actor=lead, action="case.read")
    before = reads.count()

    client.force_login(lead)
    assert client.get(reverse("cases:case_process_feedback", args=[case.pk])).status_code == 200
    page_read = reads.order_by("-pk").first()
    assert (page_read.object_id, page_read.changes["section"]) == (str(case.pk), "process_feedback")

    api = APIClient()
    api.force_authenticate(lead)
    url = reverse("api:partnership:process-feedback")
    assert api.get(url, {"case": case.pk}).status_code == 200
    assert reads.order_by("-pk").first().changes["section"] == "process_feedback"
    assert api.get(url).status_code == 200
    listed = reads.order_by("-pk").first()
    assert listed.object_id == "list" and case.pk in listed.changes["ids"]
    assert reads.count() == before + 3


def test_45_day_figure_counts_from_the_referral_to_childrens_social_care(dataset):
    """A case stepped up into children's social care is timed from the step-up (item 4's
    anchor, `Case.csc_referred_at`), not from its first referral."""
    case = dataset.cases["C3"]  # its CSC assessment authorised 47 working days from referral
    assert _figure(dataset, "assessment_authorised_within_45_days") == (0, 1)

    stepped_up = Case.objects.get(pk=case.pk).referral_received_at + timedelta(days=7)
    Case.objects.filter(pk=case.pk).update(csc_referred_at=stepped_up)

    # Five working days later on the clock: 42, within the timescale.
    assert _figure(dataset, "assessment_authorised_within_45_days") == (1, 1)
    assert _figure(dataset, "assessment_started_within_45_days") == (1, 1)


def test_the_feedback_lists_ask_as_many_statements_for_one_row_as_for_five(dataset, led_case):
    case, lead = led_case
    api = APIClient()
    api.force_authenticate(lead)
    url = reverse("api:partnership:process-feedback")

    queries = {"newest": {}, "one case": {"case": case.pk}}

    def statements(name):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url, queries[name])
        assert response.status_code == 200
        return len(response.json()), len(captured)

    def feedback():
        record_process_feedback(
            case=case,
            given_by="child",
            aspect="overall",
            feedback="Invented: it felt quick.",
            found_accessible=True,
            actor=lead,
        )

    feedback()
    one = {name: statements(name) for name in queries}
    for _ in range(4):
        feedback()
    five = {name: statements(name) for name in queries}

    for name in queries:
        assert five[name][0] == one[name][0] + 4
        assert five[name][1] == one[name][1], name
