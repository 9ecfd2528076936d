"""A fixed synthetic partnership for the dashboard tests: invented children, explicit dates.

Cases open through the pathway engine (so the viewflow rows are real); their history (stage
moves, assessments, designations, views) is then written row by row with the dates below,
since the figures read exactly those rows. The period is April to June 2025 in England,
which holds Good Friday (18 April), Easter Monday (21 April) and the early May and spring
bank holidays (5 and 26 May): the working-day figures must skip them.

Every expected figure is worked out by hand in `EXPECTED` (see the comments by each case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from agencies.models import Agency, AgencyType
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from assessments.models import Assessment, AssessmentContribution, AssessmentStatus
from cases.models import (
    Case,
    Child,
    LeadDesignation,
    RecordedView,
    Referral,
    ReferralChild,
    StageMove,
    TeamMember,
)
from cases.process import engine
from partnership.models import ProcessAspect, ProcessFeedback
from pathways.tests.factories import published_default_version

LONDON = ZoneInfo("Europe/London")
PERIOD = (date(2025, 4, 1), date(2025, 6, 30))
SECTIONS = {
    "harmful_behaviours": "Touching another pupil over clothing at break, twice.",
    "development": "Meeting milestones; some speech and language delay.",
    "family": "Lives with mother and a younger brother.",
    "environment": "Unsupervised phone use at home.",
}


def at(text: str) -> datetime:
    """A London wall-clock time: '2025-04-01 10:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@dataclass
class Dataset:
    area: Any
    version: Any
    agencies: dict[str, Agency]
    children: dict[str, Child] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [child.full_name for child in self.children.values()] + [
            child.first_name for child in self.children.values()
        ]

    @property
    def references(self) -> list[str]:
        return [child.reference for child in self.children.values()]

    @property
    def dates_of_birth(self) -> list[str]:
        formats = ("%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d %B %Y", "%-d %B %Y", "%-d %b %Y")
        return [
            child.date_of_birth.strftime(f) for child in self.children.values() for f in formats
        ]


class _Builder:
    def __init__(self, *, area: Any, version: Any, actor: Any) -> None:
        self.area = area
        self.version = version
        self.actor = actor
        self.stages = {stage.key: stage for stage in version.stages.all()}
        self.transitions = {
            t.key: t for t in version.transitions.select_related("from_stage", "to_stage")
        }

    def child(
        self,
        reference: str,
        first_name: str,
        born: date,
        gender: str,
        ethnicity: str = "white_british",
        *,
        sen: bool = False,
        learning_disability: bool = False,
    ) -> Child:
        return Child.objects.create(
            area=self.area,
            reference=reference,
            first_name=first_name,
            last_name="Invented",
            date_of_birth=born,
            gender=gender,
            ethnicity=ethnicity,
            special_educational_needs=sen,
            learning_disability=learning_disability,
        )

    def referral(
        self,
        received: datetime,
        source: str,
        agency: Agency | None,
        *,
        level: str = "",
        police: bool = False,
    ) -> Referral:
        return Referral.objects.create(
            area=self.area,
            received_at=received,
            source=source,
            referring_agency=agency,
            description="Synthetic referral for the partnership tests.",
            continuum_level=level,
            police_involved=police,
            crime_reference="INVENTED/1" if police else "",
        )

    def case(
        self,
        child: Child,
        referral: Referral,
        *,
        involvement: str = "displaying_hsb",
        moves: tuple[tuple[str, datetime], ...] = (),
        due_on: date | None = None,
        opened: datetime | None = None,
        confirmed: str = "",
    ) -> Case:
        case = engine.open_case(
            child=child,
            involvement=involvement,
            version_id=self.version.pk,
            referral=referral,
            referral_received_at=referral.received_at,
            actor=self.actor,
        )
        ReferralChild.objects.create(
            referral=referral, child=child, involvement=involvement, case=case
        )
        opened = opened or referral.received_at + timedelta(minutes=5)
        Case.objects.filter(pk=case.pk).update(created=opened, stage_entered_at=opened)
        StageMove.objects.filter(case=case, kind="start").update(moved_at=opened)
        stage = self.stages["initial_decision"]
        last = opened
        for key, moment in moves:
            transition = self.transitions[key]
            StageMove.objects.create(
                case=case,
                transition=transition,
                kind=transition.kind,
                from_stage=transition.from_stage,
                to_stage=transition.to_stage,
                moved_at=moment,
            )
            stage, last = transition.to_stage, moment
        # The level confirmed after screening, as the front door or an assessment records it.
        updates: dict[str, Any] = {
            "current_stage": stage,
            "stage_due_on": due_on,
            "confirmed_continuum_level": confirmed,
        }
        if stage.is_terminal:
            updates.update(closed_at=last, closure_reason="RC8", stage_due_on=None)
        Case.objects.filter(pk=case.pk).update(**updates)
        case.refresh_from_db()
        return case

    def join(self, child: Child, referral: Referral, case: Case) -> ReferralChild:
        """A later referral about a child with an open case joins it (no new case)."""
        Case.objects.filter(pk=case.pk).update(repeat_concern=True)
        return ReferralChild.objects.create(
            referral=referral,
            child=child,
            involvement=case.involvement,
            case=case,
            joined_open_case=True,
        )

    def lead(self, case: Case, started: datetime, ended: datetime | None = None) -> None:
        LeadDesignation.objects.create(
            case=case,
            practitioner=self.actor,
            designated_by=self.actor,
            started_at=started,
            ended_at=ended,
        )

    def view(self, case: Case, holder: str, when: datetime) -> None:
        RecordedView.objects.create(
            case=case,
            holder=holder,
            view="Invented view.",
            recorded_at=when,
            recorded_by=self.actor,
        )

    def feedback(self, case: Case, given_by: str, when: datetime) -> None:
        ProcessFeedback.objects.create(
            area=case.area,
            case=case,
            given_by=given_by,
            aspect=ProcessAspect.REFERRAL,
            feedback="Invented feedback on the process.",
            recorded_at=when,
            recorded_by=self.actor,
        )

    def team(self, case: Case, agency: Agency, joined: datetime) -> None:
        TeamMember.objects.create(
            case=case,
            agency=agency,
            role_on_case="Invented role",
            joined_at=joined,
            added_by=self.actor,
        )

    def assessment(self, case: Case, **fields: Any) -> Assessment:
        sections = fields.pop("sections", {})
        agencies = fields.pop("contributors", [])
        assessment = Assessment.objects.create(case=case, **sections, **fields)
        for agency in agencies:
            AssessmentContribution.objects.create(
                assessment=assessment,
                agency=agency,
                summary="Invented contribution.",
                recorded_at=fields["requested_at"],
                recorded_by=self.actor,
            )
        return assessment


def build_dataset(*, actor: Any, area: Any = None) -> Dataset:
    """The fixed partnership: see the module docstring and `EXPECTED`."""
    area = area or LocalAreaFactory()
    version = published_default_version(area=area, actor=actor)
    agencies = {
        "school": AgencyFactory(area=area, name="Invented Primary", agency_type=AgencyType.SCHOOL),
        "police": AgencyFactory(area=area, name="Invented Police", agency_type=AgencyType.POLICE),
        "health": AgencyFactory(area=area, name="Invented GP", agency_type=AgencyType.HEALTH),
        "early_help": AgencyFactory(
            area=area, name="Invented Early Help", agency_type=AgencyType.EARLY_HELP
        ),
        "camhs": AgencyFactory(area=area, name="Invented CAMHS", agency_type=AgencyType.CAMHS),
    }
    build = _Builder(area=area, version=version, actor=actor)
    data = Dataset(area=area, version=version, agencies=agencies)
    kids, cases = data.children, data.cases
    school, police, health = agencies["school"], agencies["police"], agencies["health"]
    today = timezone.localdate()
    future = today + timedelta(days=30)

    kids["K1"] = build.child("PT-K1", "Ottilie", date(2015, 6, 15), "girl", sen=True)  # 9
    kids["K2"] = build.child("PT-K2", "Barnaby", date(2013, 8, 1), "boy")  # 11
    kids["K3"] = build.child(
        "PT-K3",
        "Cassius",
        date(2010, 12, 1),
        "boy",
        "asian_pakistani",
        sen=True,
        learning_disability=True,
    )  # 14
    kids["K4"] = build.child("PT-K4", "Delphine", date(2009, 6, 1), "girl")  # 15, then 16
    kids["K5"] = build.child("PT-K5", "Evander", date(2009, 1, 10), "boy", "black_african")  # 16
    kids["K6"] = build.child("PT-K6", "Florian", date(2007, 9, 9), "boy", sen=True)  # 17
    kids["K7"] = build.child("PT-K7", "Georgiana", date(2012, 10, 10), "girl")  # 12, harmed
    kids["K9"] = build.child("PT-K9", "Henrietta", date(2010, 1, 20), "girl", "mixed_other")  # 15
    kids["K10"] = build.child("PT-K10", "Ignatius", date(2007, 6, 30), "boy", "white_other")  # 18
    kids["K11"] = build.child("PT-K11", "Juniper", date(2012, 2, 2), "girl")
    kids["K12"] = build.child("PT-K12", "Leopold", date(2012, 3, 3), "boy")

    # C1: 2A, decided next working day (1), early help, lead after 2 days then handed over.
    r1 = build.referral(at("2025-04-01 10:00"), "2A", school, level="problematic")
    cases["C1"] = build.case(
        kids["K1"],
        r1,
        moves=(("route_to_early_help", at("2025-04-02 10:00")),),
        due_on=future,
        confirmed="problematic",
    )
    build.team(cases["C1"], school, at("2025-04-03 10:00"))
    build.feedback(cases["C1"], "child", at("2025-05-10 12:00"))
    build.lead(cases["C1"], at("2025-04-03 09:00"), ended=at("2025-05-01 09:00"))
    build.lead(cases["C1"], at("2025-05-01 09:00"))
    build.view(cases["C1"], "child", at("2025-04-10 12:00"))
    build.assessment(
        cases["C1"],
        assessment_type="nice_early_help_assessment",
        requested_at=at("2025-04-03 12:00"),
        type_warnings=[{"rule": "type_level", "message": "Invented warning."}],
    )

    # C2 and C7: one police-involved 2A referral about two children on Maundy Thursday. The
    # next working day is Tuesday 22 April (Good Friday and Easter Monday are holidays).
    r2 = build.referral(at("2025-04-17 15:00"), "2A", school, level="abusive", police=True)
    cases["C2"] = build.case(
        kids["K2"],
        r2,
        moves=(
            ("refer_to_hsb_panel", at("2025-04-22 09:00")),  # 1 working day
            ("panel_steps_down_to_early_help", at("2025-05-06 10:00")),  # within 90 days
        ),
        due_on=future,
        confirmed="problematic",  # the referrer said abusive
    )
    build.team(cases["C2"], health, at("2025-05-07 11:00"))
    build.feedback(cases["C2"], "family", at("2025-06-10 12:00"))
    build.lead(cases["C2"], at("2025-05-07 11:00"))  # 20 days after opening
    build.view(cases["C2"], "family", at("2025-05-08 12:00"))
    build.assessment(
        cases["C2"],
        assessment_type="hsb_focused_risk_assessment",
        status=AssessmentStatus.STARTED,
        requested_at=at("2025-04-25 09:00"),
        started_at=at("2025-04-28 09:00"),  # 5 working days after referral
        tool_warnings=[{"rule": "age", "message": "Invented warning."}],
        tool_justification="Invented justification.",
        sections={**SECTIONS, "family": ""},  # the family section is not written
        contributors=[health, health],  # one agency, twice
    )
    cases["C7"] = build.case(
        kids["K7"],
        r2,
        involvement="harmed",
        moves=(("route_to_universal_support", at("2025-04-24 10:00")),),  # 3 working days
        due_on=future,
    )

    # C3: 2B, no level recorded, decided after 2 working days (5 May is a holiday); a CSC
    # assessment started after 4 working days and authorised after 47; overdue now.
    r3 = build.referral(at("2025-05-02 09:00"), "2B", None)
    cases["C3"] = build.case(
        kids["K3"],
        r3,
        moves=(("open_csc_assessment", at("2025-05-07 09:00")),),
        due_on=date(2025, 7, 7),
        confirmed="abusive",
    )
    build.feedback(cases["C3"], "child", at("2025-06-20 12:00"))
    build.view(cases["C3"], "child", at("2025-05-20 12:00"))
    build.assessment(
        cases["C3"],
        assessment_type="csc_assessment",
        status=AssessmentStatus.AUTHORISED,
        requested_at=at("2025-05-07 10:00"),
        started_at=at("2025-05-09 10:00"),
        submitted_at=at("2025-06-20 10:00"),
        authorised_at=at("2025-07-10 10:00"),
        sections=SECTIONS,
        contributors=[school, health],
    )

    # C4: police referral closed at the door with no further action; C4b: the same child
    # re-referred by her school five weeks later (a new episode), aged 16 by then.
    r4 = build.referral(at("2025-05-12 11:00"), "6", police, level="violent", police=True)
    cases["C4"] = build.case(kids["K4"], r4, moves=(("no_further_action", at("2025-05-13 10:00")),))
    r4b = build.referral(at("2025-06-16 09:30"), "2A", school, level="problematic")
    cases["C4b"] = build.case(
        kids["K4"],
        r4b,
        moves=(("route_to_early_help", at("2025-06-17 09:00")),),
        due_on=future,
        confirmed="problematic",
    )

    # C5: a GP referral still waiting at the initial decision, long past its due date.
    r5 = build.referral(at("2025-06-02 14:00"), "3A", health, level="inappropriate")
    cases["C5"] = build.case(kids["K5"], r5, due_on=date(2025, 6, 3))

    # C6: police-involved 2A referral decided the same day; stepped up 113 days later (not
    # within 90); an assessment with an unjustified tool warning, authorised in 14 days.
    r6 = build.referral(at("2025-06-10 09:00"), "2A", school, level="problematic", police=True)
    cases["C6"] = build.case(
        kids["K6"],
        r6,
        moves=(
            ("route_to_early_help", at("2025-06-10 16:00")),
            ("step_up_to_hsb_panel", at("2025-10-01 10:00")),
        ),
        due_on=date(2025, 10, 8),
        opened=at("2025-06-10 09:05"),
        confirmed="problematic",
    )
    build.team(cases["C6"], school, at("2025-06-11 09:00"))
    build.lead(cases["C6"], at("2025-06-10 17:00"))  # the same day
    build.assessment(
        cases["C6"],
        assessment_type="hsb_focused_risk_assessment",
        status=AssessmentStatus.AUTHORISED,
        requested_at=at("2025-06-11 09:00"),
        started_at=at("2025-06-12 09:00"),
        submitted_at=at("2025-06-25 09:00"),
        authorised_at=at("2025-06-30 09:00"),
        tool_warnings=[{"rule": "gender", "message": "Invented warning."}],
        sections=SECTIONS,
        contributors=[school, health, agencies["camhs"]],
    )

    # C9: an early help referral about a girl whose earlier case (September 2024) closed:
    # a re-referral within 12 months; routed to universal support and closed there.
    r9a = build.referral(at("2024-09-01 10:00"), "5D", agencies["early_help"], level="normal")
    cases["C9a"] = build.case(
        kids["K9"],
        r9a,
        moves=(
            ("route_to_universal_support", at("2024-09-02 10:00")),
            ("close_universal_support", at("2024-10-01 10:00")),
        ),
    )
    r9 = build.referral(at("2025-05-20 10:00"), "5D", agencies["early_help"], level="normal")
    cases["C9"] = build.case(
        kids["K9"],
        r9,
        moves=(
            ("route_to_universal_support", at("2025-05-21 10:00")),
            ("close_universal_support", at("2025-06-01 10:00")),
        ),
        confirmed="normal",
    )
    build.feedback(cases["C9"], "parent_carer", at("2025-06-01 11:00"))
    build.view(cases["C9"], "child", at("2025-05-25 10:00"))
    build.view(cases["C9"], "parent_carer", at("2025-05-25 11:00"))

    # C10: a family referral at 23:30 on the period's last day, on the boy's 18th birthday.
    r10 = build.referral(at("2025-06-30 23:30"), "1A", None)
    cases["C10"] = build.case(
        kids["K10"],
        r10,
        moves=(("route_to_early_help", at("2025-07-01 09:00")),),
        due_on=future,
        opened=at("2025-06-30 23:35"),
        confirmed="inappropriate",  # no level in the referral to compare
    )
    build.lead(cases["C10"], at("2025-07-02 10:00"))  # 2 days

    # R8: a school nurse's referral about K1 joins her open case (a re-referral).
    r8 = build.referral(at("2025-06-20 10:00"), "3C", health)
    build.join(kids["K1"], r8, cases["C1"])

    # C11: referred half an hour after the period; open and overdue (counts only "now").
    r11 = build.referral(at("2025-07-01 00:30"), "2A", school, level="problematic")
    cases["C11"] = build.case(kids["K11"], r11, due_on=date(2025, 7, 2))
    build.assessment(
        cases["C11"],
        assessment_type="brief_assessment",
        status=AssessmentStatus.STARTED,
        requested_at=at("2025-07-02 09:00"),
        started_at=at("2025-07-03 09:00"),
    )

    # C12: another partnership's case in the period: never counted here.
    other_area = LocalAreaFactory(name="Invented Southmere")
    other_version = published_default_version(area=other_area, actor=actor)
    other = _Builder(area=other_area, version=other_version, actor=actor)
    other_school = AgencyFactory(area=other_area, agency_type=AgencyType.SCHOOL)
    r12 = other.referral(at("2025-05-05 10:00"), "2A", other_school, level="normal")
    cases["C12"] = other.case(kids["K12"], r12, due_on=date(2025, 5, 6))
    return data


# Worked out by hand from the cases above, for April-June 2025 with no filters:
# (numerator, denominator); None where the figure has no such part.
EXPECTED: dict[str, tuple[int | None, int | None]] = {
    # 11 referrals of children: the 10 period cases' own (C1 C2 C3 C4 C4b C5 C6 C7 C9 C10)
    # and R8, which joined C1. Education (2A, 2B): C1 C2 C3 C4b C6 C7.
    "referral_sources": (None, 11),
    "education_share": (6, 11),
    # Served (entered early help or above): C1 C2 C3 C4b C6 C10. Schools on their teams: C1 C6.
    "school_on_team": (2, 6),
    # Started assessments A2 A3 A6; a school contributed to A3 and A6.
    "school_assessment_contributions": (2, 3),
    # School (2A) referrals of children displaying HSB past the initial decision: C1 C2 C4b
    # C6 (C7 is a child harmed); all four given a service beyond universal advice.
    "school_referrals_taken_up": (4, 4),
    # Referral level and confirmed level both known (displaying HSB): C1 C2 C4b C6 C9; the
    # same: all but C2 (abusive at referral, problematic confirmed).
    "continuum_level_agreement": (4, 5),
    # C4b (after C4), C9 (after C9a in 2024), R8 (after C1).
    "re_referrals": (3, 11),
    # Decided: all but C5 (9); within 1 working day: all but C3 (2) and C7 (3).
    "initial_decision_within_one_working_day": (7, 9),
    # Children's social care assessments only: A3 on C3, started after 4 working days and
    # authorised after 47 (A2 and A6 are HSB-focused risk assessments: not counted).
    "assessment_started_within_45_days": (1, 1),
    "assessment_authorised_within_45_days": (0, 1),
    # Routed: C1 C2 C3 C4b C6 C7 C9 C10; stepped within 90 days: C2.
    "stepped_within_90_days": (1, 8),
    # Police involved: C2 C4 C6 C7 of the 10 period cases.
    "police_involved_routes": (4, 10),
    # Children displaying HSB given a service beyond universal advice: C1 C2 C3 C4b C6 C10
    # (not C7, harmed; C4, no further action; C9, universal; C5, waiting). Leads designated
    # on C1 (2 days), C2 (20), C6 (0), C10 (2).
    "lead_practitioner_designated": (4, 6),
    # Open now: C1 C2 C3 C4b C5 C6 C7 C10 C11; overdue: C3 C5 C6 C11.
    "stages_overdue_now": (4, 9),
    # Started assessments A2 (C2), A3 (C3), A6 (C6); no tool warning: A3.
    "suitable_tool": (1, 3),
    # Warned: A1 (type, unjustified), A2 (tool, justified), A6 (tool, unjustified).
    "warnings_justified": (1, 3),
    # All four sections: A3 and A6 (A2 lacks family).
    "holistic_sections_complete": (2, 3),
    # Two or more agencies: A3 (2), A6 (3); A2 has one agency twice.
    "multi_agency_contributions": (2, 3),
    # Feedback on the process (not views on the case: C9's child view is not counted).
    "child_process_feedback": (2, 10),  # C1 C3
    "family_process_feedback": (2, 10),  # C2 (family), C9 (parent or carer)
    # Children displaying HSB: K1 K2 K3 K4 K5 K6 K9 K10 (K4 once; K7 was harmed).
    "children_displaying_hsb": (8, None),
    # Displaying-HSB cases (9, C4 and C4b both): C4 closed at the door, C5 waiting.
    "not_receiving_service": (2, 9),
    "children_by_age_band": (None, 8),
    "children_by_gender": (None, 8),
    "children_by_ethnicity": (None, 8),
    "children_with_sen": (3, 8),  # K1 K3 K6
    "children_with_learning_disability": (1, 8),  # K3
}
EXPECTED_MEDIANS = {
    "initial_decision_within_one_working_day": 1.0,  # 0 1 1 1 1 1 1 2 3
    "assessment_started_within_45_days": 4.0,  # A3's 4
    "assessment_authorised_within_45_days": 47.0,  # A3's 47
    "lead_practitioner_designated": 2.0,  # 0 2 2 20
}
EXPECTED_CELLS = {
    "referral_sources": {"1A": 1, "2A": 5, "2B": 1, "3A": 1, "3C": 1, "5D": 1, "6": 1},
    "police_involved_routes": {
        "refer_to_hsb_panel": 1,
        "route_to_universal_support": 1,
        "no_further_action": 1,
        "route_to_early_help": 1,
    },
    # K4 counts at her first case (15), not at C4b (16); K10 turned 18 on the day.
    "children_by_age_band": {"under_10": 1, "10_12": 1, "13_15": 3, "16_17": 2, "18_plus": 1},
    "children_by_gender": {"girl": 3, "boy": 5, "non_binary": 0, "not_known": 0},
    "children_by_ethnicity": {
        "white_british": 4,
        "asian_pakistani": 1,
        "black_african": 1,
        "mixed_other": 1,
        "white_other": 1,
    },
}
