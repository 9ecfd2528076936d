"""The child's chronology: one timeline across their cases, its filters and its exports."""

import base64
import csv
import datetime
import io
import re
import zlib

import pytest
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory
from assessments.models import Assessment
from audit.models import AuditEvent
from cases.chronology.entries import ChronologyEntry, EntryKind
from cases.chronology.export import export_chronology
from cases.chronology.render import chronology_csv, chronology_pdf
from cases.chronology.timeline import child_chronology
from cases.exceptions import InvalidChronologyFilter
from cases.models import CaseNote, Referral, ReferralChild
from cases.process import engine
from cases.services import (
    add_case_note,
    add_team_member,
    designate_lead_practitioner,
    record_information_sharing_decision,
    record_view,
    remove_team_member,
)
from cases.tests.factories import ChildFactory, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency(area):
    return AgencyFactory(area=area, name="Northwold Academy")


@pytest.fixture
def child():
    return ChildFactory(reference="CH-70001", first_name="Ayla", last_name="Brookfield")


def _move(case, key, actor, **data):
    reason = data.pop("reason", "")
    return engine.take_transition(
        case=case, transition=key, actor=actor, reason=reason, data=data or None
    )


def _share(case, actor, agency, **overrides):
    values = {
        "case": case,
        "decision": "share",
        "information": "Safety plan for school.",
        "recipient_agency": agency,
        "purpose": "Keep both children safe at school.",
        "lawful_basis": "public_task_safeguarding",
        "consent": "given",
        "actor": actor,
    }
    values.update(overrides)
    return record_information_sharing_decision(**values)


def _full_history(child, version, front_door, manager, make_user, agency):
    """Every kind of entry, across two cases of the same child, in a known order."""
    # Leads of the manager's own team, so the manager keeps seeing the case.
    lead = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)
    second_lead = make_user(Role.LEAD_PRACTITIONER, agency=manager.agency)
    received = timezone.now() - datetime.timedelta(minutes=5)
    referral = Referral.objects.create(
        received_at=received,
        source="2A",
        referring_agency=agency,
        area=agency.area,
        description="Invented incident in the playground.",
        continuum_level="problematic",
        recorded_by=front_door,
    )
    case = open_case(version=version, actor=front_door, child=child, received_at=received)
    ReferralChild.objects.create(
        referral=referral, child=child, involvement="displaying_hsb", case=case
    )
    # The lead named with the routing (issue 16, item 10), then handed over.
    _move(
        case,
        "route_to_early_help",
        front_door,
        continuum_level="problematic",
        lead_practitioner=lead.pk,
    )
    designate_lead_practitioner(
        case=case, practitioner=second_lead, actor=manager, reason="Lead on leave."
    )
    case.refresh_from_db()
    _move(
        case,
        "step_up_to_hsb_panel",
        manager,
        reason="Behaviour escalated.",
        continuum_level="abusive",
    )
    assessment = Assessment.objects.create(
        case=case, assessment_type="AIM3", requested_at=timezone.now()
    )
    Assessment.objects.filter(pk=assessment.pk).update(
        status="authorised", authorised_at=timezone.now(), authorised_by=manager
    )
    member = add_team_member(case=case, agency=agency, role_on_case="School", actor=manager)
    remove_team_member(member=member, actor=manager, reason="Child moved school.")
    _share(case, manager, agency)
    _share(case, manager, agency, decision="not_share", purpose="Not proportionate.")
    record_view(case=case, holder="child", view="I feel safer now.", actor=manager)
    add_case_note(case=case, text="Spoke with the DSL.", actor=manager)
    second = open_case(version=version, actor=front_door, child=child)
    _move(
        second,
        "no_further_action",
        front_door,
        reason="Advice given.",
        closure_reason="no_further_action",
    )
    return case, second


EXPECTED_KINDS = [
    "referral",
    "stage_move",  # opened
    "stage_move",  # early help
    "lead",
    "lead",
    "stage_move",  # stepped up
    "assessment",
    "assessment",
    "team",
    "team",
    "sharing",
    "sharing",
    "view",
    "note",
    "stage_move",  # second case opened
    "closure",
]


def test_the_chronology_merges_every_kind_in_time_order(
    child, default_version, front_door, manager, make_user, agency
):
    case, second = _full_history(child, default_version, front_door, manager, make_user, agency)

    entries = child_chronology(child=child, user=front_door)

    assert [entry.kind for entry in entries] == EXPECTED_KINDS
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    titles = [entry.title for entry in entries]
    assert titles[0] == "Referral received from Northwold Academy"
    assert titles[1] == "Case opened at Initial decision"
    assert "Stepped up to Multi-agency HSB panel" in titles
    assert titles[4].startswith("Lead practitioner handed over to ")
    assert titles[8].startswith("Joined the team around the child: Northwold Academy")
    assert titles[9].startswith("Left the team around the child")
    assert titles[11] == "Decision not to share with Northwold Academy"
    assert titles[-1] == "Case closed: No further action at the front door"
    assert entries[9].actor == str(manager)  # who removed the member, from the audit trail
    assert "Reason: Child moved school." in entries[9].detail
    assert {entry.case_id for entry in entries} == {case.pk, second.pk}


def test_entries_follow_time_not_the_order_they_were_written(child, default_version, front_door):
    case = open_case(version=default_version, actor=front_door, child=child)
    note = add_case_note(case=case, text="Written up later.", actor=front_door)
    CaseNote.objects.filter(pk=note.pk).update(
        written_at=timezone.now() - datetime.timedelta(days=2)
    )

    entries = child_chronology(child=child, user=front_door)

    assert [entry.kind for entry in entries] == ["note", "stage_move"]


def test_entries_at_the_same_moment_keep_a_stable_order(child, default_version, front_door):
    case = open_case(version=default_version, actor=front_door, child=child)
    moment = case.stage_entered_at
    first = add_case_note(case=case, text="First.", actor=front_door)
    second = add_case_note(case=case, text="Second.", actor=front_door)
    CaseNote.objects.filter(pk__in=[first.pk, second.pk]).update(written_at=moment)
    referral = Referral.objects.create(
        received_at=moment, source="6", description="Police.", area=case.area
    )
    ReferralChild.objects.create(referral=referral, child=child, involvement="harmed", case=case)

    entries = child_chronology(child=child, user=front_door)

    assert [entry.kind for entry in entries] == ["referral", "stage_move", "note", "note"]
    assert [entry.detail for entry in entries[2:]] == ["First.", "Second."]


def test_only_cases_the_user_may_see_are_in_the_chronology(
    child, default_version, front_door, manager, lead_practitioner
):
    led = open_case(version=default_version, actor=front_door, child=child)
    designate_lead_practitioner(case=led, practitioner=lead_practitioner, actor=manager)
    other = open_case(version=default_version, actor=front_door, child=child)
    add_case_note(case=other, text="Not for the lead of the first case.", actor=front_door)

    entries = child_chronology(child=child, user=lead_practitioner)

    assert {entry.case_id for entry in entries} == {led.pk}
    everything = child_chronology(child=child, user=manager)  # an area role sees both
    assert {entry.case_id for entry in everything} == {led.pk, other.pk}


def test_filters_by_kind(child, default_version, front_door, manager, make_user, agency):
    _full_history(child, default_version, front_door, manager, make_user, agency)

    entries = child_chronology(child=child, user=front_door, kinds=["sharing", "closure"])

    assert [entry.kind for entry in entries] == ["sharing", "sharing", "closure"]


def test_filters_by_date_range_inclusive(child, default_version, front_door):
    case = open_case(version=default_version, actor=front_door, child=child)
    today = timezone.localdate()
    for days_ago in (10, 5, 1):
        note = add_case_note(case=case, text=f"{days_ago} days ago", actor=front_door)
        at = timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=days_ago), datetime.time(12))
        )
        CaseNote.objects.filter(pk=note.pk).update(written_at=at)

    entries = child_chronology(
        child=child,
        user=front_door,
        date_from=today - datetime.timedelta(days=5),
        date_to=today - datetime.timedelta(days=1),
    )

    assert [entry.detail for entry in entries] == ["5 days ago", "1 days ago"]


def test_unknown_kinds_and_back_to_front_dates_are_refused(child, front_door):
    with pytest.raises(InvalidChronologyFilter) as unknown:
        child_chronology(child=child, user=front_door, kinds=["gossip"])
    with pytest.raises(InvalidChronologyFilter) as backwards:
        child_chronology(
            child=child,
            user=front_door,
            date_from=datetime.date(2026, 2, 1),
            date_to=datetime.date(2026, 1, 1),
        )

    assert "kinds" in unknown.value.fields
    assert "to" in backwards.value.fields


def _events(case, actor, agency, count):
    for number in range(count):
        kind = number % 3
        if kind == 0:
            add_case_note(case=case, text=f"Note {number}", actor=actor)
        elif kind == 1:
            record_view(case=case, holder="child", view=f"View {number}", actor=actor)
        else:
            _share(case, actor, agency)


def test_the_chronology_costs_the_same_queries_for_3_and_30_events(
    child, default_version, front_door, manager, make_user, agency, django_assert_num_queries
):
    case = open_case(version=default_version, actor=front_door, child=child)
    _events(case, front_door, agency, 3)
    # visible cases + referrals + stage moves + assessments + leads + team + sharing + views
    # + notes
    with django_assert_num_queries(9):
        few = child_chronology(child=child, user=front_door)
    _full_history(child, default_version, front_door, manager, make_user, agency)
    _events(case, front_door, agency, 27)
    with django_assert_num_queries(9):
        many = child_chronology(child=child, user=front_door)

    assert len(few) == 4
    assert len(many) > 40


def test_asking_for_fewer_kinds_runs_fewer_queries(
    child, default_version, front_door, django_assert_num_queries
):
    open_case(version=default_version, actor=front_door, child=child)

    with django_assert_num_queries(2):
        child_chronology(child=child, user=front_door, kinds=["note"])


# --- exports ---------------------------------------------------------------------------------


def _entry(title="Case note", detail="", actor="Sam Example"):
    return ChronologyEntry(
        at=timezone.now(), kind=EntryKind.NOTE, title=title, detail=detail, actor=actor, case_id=7
    )


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas():
    entries = [
        _entry(detail='=HYPERLINK("http://example.invalid","click")'),
        _entry(detail="+44 1234"),
        _entry(detail="-2+3"),
        _entry(detail="@SUM(A1)"),
        _entry(detail="\tTabbed"),
        _entry(detail="\rReturn"),
        _entry(detail="Plain words = fine", actor="=cmd|' /C calc'!A0"),
    ]

    rows = list(csv.reader(io.StringIO(chronology_csv(entries))))

    assert rows[0] == ["When", "Age", "Kind", "What happened", "Detail", "By", "Case"]
    details = [row[4] for row in rows[1:]]
    assert details == [
        '\'=HYPERLINK("http://example.invalid","click")',
        "'+44 1234",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTabbed",
        "'\rReturn",
        "Plain words = fine",
    ]
    assert rows[-1][5] == "'=cmd|' /C calc'!A0"
    assert rows[1][2] == "Note"


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: reportlab's streams are ASCII85 then Flate encoded."""
    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        texts.append(zlib.decompress(base64.a85decode(match.group(1).strip(), adobe=True)))
    return b"\n".join(texts).decode("latin-1")


def test_the_pdf_names_the_child_marks_every_page_and_numbers_them(child):
    entries = [_entry(detail="Line of detail.\n" * 20) for _ in range(40)]

    pdf = chronology_pdf(child, entries)

    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "CH-70001" in text
    assert "Chronology: Ayla Brookfield" in text
    pages = re.findall(r"Page (\d+) of (\d+)", text)
    assert len(pages) > 1
    total = pages[0][1]
    assert [number for number, _ in pages] == [str(n) for n in range(1, int(total) + 1)]
    assert text.count("OFFICIAL-SENSITIVE") == 2 * int(total)  # header and footer


def test_the_pdf_copes_with_markup_like_text_and_no_entries(child):
    assert chronology_pdf(child, [_entry(title="<b>unclosed & odd")]).startswith(b"%PDF")
    assert "No entries match." in _pdf_text(chronology_pdf(child, []))


@pytest.mark.parametrize("export_format", ["csv", "pdf"])
def test_each_export_is_audited_against_the_child(
    child, default_version, front_door, export_format
):
    open_case(version=default_version, actor=front_door, child=child)

    export = export_chronology(
        child=child, user=front_door, export_format=export_format, kinds=["stage_move"]
    )

    event = AuditEvent.objects.get(action="chronology.exported")
    assert (event.object_type, event.object_id, event.actor) == (
        "cases.child",
        str(child.pk),
        front_door,
    )
    assert event.changes["format"] == export_format
    assert event.changes["kinds"] == ["stage_move"]
    assert event.changes["entries"] == 1
    assert export.filename == f"chronology-ch-70001-{timezone.localdate():%Y-%m-%d}.{export_format}"


def test_each_entry_carries_the_childs_age_when_it_happened(default_version, front_door):
    born = timezone.localdate().replace(year=timezone.localdate().year - 10, month=1, day=1)
    child = ChildFactory(date_of_birth=born)
    open_case(version=default_version, actor=front_door, child=child)

    entries = child_chronology(child=child, user=front_door)

    expected = child.age_on(timezone.localdate())
    assert expected == 10
    assert entries and all(entry.age == expected for entry in entries)
