"""Case record pages: sections on the case page, their forms, and the chronology page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from audit.models import AuditEvent
from cases.models import CaseNote, InformationSharingDecision, RecordedView, TeamMember
from cases.process import engine
from cases.services import add_case_note, add_team_member, record_view
from cases.tests.factories import open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(default_version, front_door):
    return open_case(version=default_version, actor=front_door)


@pytest.fixture
def agency(area):
    return AgencyFactory(area=area, name="Northwold Academy")


@pytest.fixture
def web(client, front_door):
    client.force_login(front_door)
    return client


def _url(name, case, *args):
    return reverse(f"cases:{name}", args=[case.pk, *args])


def test_the_case_page_shows_the_record_sections_and_the_chronology_link(web, case):
    page = web.get(_url("case_detail", case)).content.decode()

    for heading in (
        "Team around the child",
        "Views of the child and family",
        "Information-sharing decisions",
        "Notes",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert _url("case_chronology", case) in page
    assert 'data-turbo="false"' in page
    assert "If without consent, why" in page
    assert "Who overrode the refusal of consent" in page


def test_adding_a_team_member_from_the_case_page(web, case, agency):
    response = web.post(
        _url("case_team_add", case),
        {"team-agency": agency.pk, "team-role_on_case": "School DSL"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#team-around-the-child")
    page = web.get(response["Location"]).content.decode()
    assert "School DSL" in page


def test_a_refused_team_member_reshows_the_form_with_errors(web, case, agency):
    response = web.post(_url("case_team_add", case), {"team-agency": agency.pk})

    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert not TeamMember.objects.exists()


def test_a_service_rule_is_shown_on_the_field(web, case, agency, make_user):
    outsider = make_user(Role.TEAM_MEMBER)  # works for another agency in the area

    response = web.post(
        _url("case_team_add", case),
        {
            "team-agency": agency.pk,
            "team-practitioner": outsider.pk,
            "team-role_on_case": "Mentor",
        },
    )

    assert response.status_code == 400
    assert b"This practitioner does not work for Northwold Academy." in response.content


def test_removing_a_team_member_needs_a_reason(web, case, agency, front_door):
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=front_door)
    url = _url("case_team_remove", case, member.pk)

    refused = web.post(url, {f"remove-{member.pk}-reason": ""})
    removed = web.post(url, {f"remove-{member.pk}-reason": "Moved school."})

    assert refused.status_code == 400
    assert b"This field is required." in refused.content
    assert removed.status_code == 302
    member.refresh_from_db()
    assert member.left_at is not None


def test_recording_a_view_from_the_case_page(web, case):
    response = web.post(
        _url("case_view_add", case),
        {"view-holder": "child", "view-view": "I like my new school."},
    )

    assert response.status_code == 302
    assert RecordedView.objects.get().view == "I like my new school."


def test_recording_a_sharing_decision_from_the_case_page(web, case, agency, manager):
    form = {
        "sharing-decision": "share",
        "sharing-information": "Safety plan.",
        "sharing-recipient_agency": agency.pk,
        "sharing-purpose": "Keep both children safe.",
        "sharing-lawful_basis": "public_task_safeguarding",
        "sharing-consent": "overridden",
        "sharing-consent_reason": "Risk to a sibling.",
    }

    refused = web.post(_url("case_sharing_decision_add", case), form)
    recorded = web.post(
        _url("case_sharing_decision_add", case), {**form, "sharing-overridden_by": manager.pk}
    )

    assert refused.status_code == 400
    assert b"Name who overrode the refusal of consent." in refused.content
    assert recorded.status_code == 302
    decision = InformationSharingDecision.objects.get()
    assert decision.overridden_by == manager


def test_adding_a_note_from_the_case_page(web, case):
    response = web.post(_url("case_note_add", case), {"note-text": "Met the family."})
    blank = web.post(_url("case_note_add", case), {"note-text": ""})

    assert response.status_code == 302
    assert blank.status_code == 400
    assert CaseNote.objects.get().text == "Met the family."


def test_a_closed_case_takes_views_and_notes_but_no_new_team_members(web, case, front_door, agency):
    engine.take_transition(
        case=case,
        transition="no_further_action",
        actor=front_door,
        reason="Advice given.",
        data={"closure_reason": "no_further_action"},
    )

    page = web.get(_url("case_detail", case)).content.decode()

    assert _url("case_team_add", case) not in page
    assert _url("case_view_add", case) in page
    assert _url("case_note_add", case) in page


def test_the_pages_of_a_case_the_user_may_not_see_are_404(client, case, make_user):
    client.force_login(make_user(Role.LEAD_PRACTITIONER))

    assert client.post(_url("case_note_add", case), {"note-text": "x"}).status_code == 404
    assert client.get(_url("case_chronology", case)).status_code == 404
    assert client.get(_url("case_chronology_csv", case)).status_code == 404
    assert not CaseNote.objects.exists()


def test_the_case_page_costs_the_same_queries_for_3_and_30_records(web, case, front_door, agency):
    def add(start, stop):
        for number in range(start, stop):
            add_case_note(case=case, text=f"Note {number}", actor=front_door)
            record_view(case=case, holder="child", view=f"View {number}", actor=front_door)
            add_team_member(
                case=case, agency=agency, role_on_case=f"Role {number}", actor=front_door
            )

    add(0, 3)
    with CaptureQueriesContext(connection) as three:
        web.get(_url("case_detail", case))
    add(3, 30)
    with CaptureQueriesContext(connection) as thirty:
        page = web.get(_url("case_detail", case))

    assert b"Note 29" in page.content
    assert len(thirty) == len(three)


# --- chronology page -------------------------------------------------------------------------


def test_the_chronology_page_shows_the_timeline_with_filters_and_exports(web, case, front_door):
    add_case_note(case=case, text="Met the family.", actor=front_door)

    page = web.get(_url("case_chronology", case))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Case opened at Initial decision") < html.index("Met the family.")
    assert 'type="checkbox"' in html and 'type="date"' in html
    assert "Export CSV" in html and "Export PDF" in html
    assert _url("case_chronology_csv", case) in html


def test_the_chronology_page_filters_by_kind(web, case, front_door):
    add_case_note(case=case, text="Met the family.", actor=front_door)

    html = web.get(_url("case_chronology", case), {"kinds": ["stage_move"]}).content.decode()

    assert "Case opened at Initial decision" in html
    assert "Met the family." not in html


def test_back_to_front_dates_reshow_the_page_with_an_error(web, case):
    response = web.get(
        _url("case_chronology", case), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert b"Must be on or after the" in response.content


def test_exports_from_the_chronology_page_are_audited(web, case, front_door):
    add_case_note(case=case, text="-1 looks like a formula", actor=front_door)

    csv_response = web.get(_url("case_chronology_csv", case), {"kinds": ["note"]})
    pdf_response = web.get(_url("case_chronology_pdf", case))

    assert csv_response.status_code == pdf_response.status_code == 200
    assert "'-1 looks like a formula" in csv_response.content.decode("utf-8-sig")
    assert pdf_response.content.startswith(b"%PDF")
    assert pdf_response["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="chronology.exported").count() == 2
