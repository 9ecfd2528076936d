"""An invented local area for demonstrations and browser tests. Every child is fictional.

`load_demo_area` is idempotent: agencies and users are matched by name, and the children
are created only once (their references are fixed).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyType, LocalArea, User
from agencies.roles import ADMINISTRATORS, Role
from assessments.models import Assessment, AssessmentStatus, AssessmentTool
from cases.models import Case, Child
from cases.process import engine
from cases.process.timers import run_pass
from cases.referrals.services import record_referral
from cases.selectors import cases_by_role
from cases.services import designate_lead_practitioner
from demo.safety import refuse_under_production
from pathways.compiled import compiled_version
from pathways.models import Pathway, PathwayVersion
from pathways.services import create_draft_version, publish_version
from pathways.yaml_io import parse_yaml

from .paths import DEFAULT_PATHWAY_YAML

AREA_NAME = "Northwold (demo)"
DEMO_PASSWORD = "northwold-demo-2026"  # noqa: S105 - printed for the demo, synthetic users only

AGENCIES = [
    ("Brookfield Primary School", AgencyType.SCHOOL),
    ("St Aidan's CE Primary School", AgencyType.SCHOOL),
    ("Northwold Academy", AgencyType.SCHOOL),
    ("Riverside GP Practice", AgencyType.HEALTH),
    ("Northwold School Nursing Service", AgencyType.HEALTH),
    ("Northwold Police Safeguarding Hub", AgencyType.POLICE),
    ("Children's Social Care Front Door", AgencyType.CHILDRENS_SOCIAL_CARE),
    ("Northwold Early Help Team", AgencyType.EARLY_HELP),
    ("Northwold Specialist HSB Service", AgencyType.SPECIALIST_HSB),
    ("Northwold CAMHS", AgencyType.CAMHS),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    agency: str | None
    job_title: str


USERS = [
    DemoUser(
        "dsl",
        "Priya",
        "Shah",
        Role.DSL,
        "Brookfield Primary School",
        "Designated safeguarding lead",
    ),
    DemoUser(
        "dsl.academy",
        "Tom",
        "Hartley",
        Role.DSL,
        "Northwold Academy",
        "Designated safeguarding lead",
    ),
    DemoUser(
        "frontdoor",
        "Grace",
        "Okafor",
        Role.FRONT_DOOR,
        "Children's Social Care Front Door",
        "Screening social worker",
    ),
    DemoUser(
        "lead",
        "Daniel",
        "Evans",
        Role.LEAD_PRACTITIONER,
        "Northwold Early Help Team",
        "Early help practitioner",
    ),
    DemoUser(
        "lead.csc",
        "Amira",
        "Haddad",
        Role.LEAD_PRACTITIONER,
        "Children's Social Care Front Door",
        "Social worker",
    ),
    DemoUser(
        "member", "Chloe", "Brennan", Role.TEAM_MEMBER, "Northwold CAMHS", "Clinical psychologist"
    ),
    DemoUser(
        "manager", "Rachel", "Moore", Role.TEAM_MANAGER, "Northwold Early Help Team", "Team manager"
    ),
    DemoUser(
        "coordinator",
        "Sam",
        "Whitfield",
        Role.HSB_COORDINATOR,
        "Northwold Specialist HSB Service",
        "HSB coordinator",
    ),
    DemoUser("analyst", "Helen", "Price", Role.ANALYST, None, "Partnership business analyst"),
    DemoUser("admin", "Kieran", "Lowe", Role.SYSTEM_ADMINISTRATOR, None, "System administrator"),
    DemoUser("auditor", "Joanna", "Reid", Role.AUDITOR, None, "Information governance auditor"),
]

# Who refers, with the census referral-source code that goes with them (None: the child's school).
REFERRERS: list[tuple[str | None, str]] = [
    (None, "2A"),
    (None, "2A"),
    (None, "2A"),
    ("Riverside GP Practice", "3A"),
    ("Northwold School Nursing Service", "3C"),
    ("Northwold Police Safeguarding Hub", "6"),
    ("Northwold Early Help Team", "5D"),
]

FIRST_NAMES = [
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Isla",
    "Oscar",
    "Freya",
    "Arlo",
    "Zara",
    "Finn",
    "Layla",
    "Theo",
    "Evie",
    "Reuben",
    "Maya",
    "Jude",
    "Amelia",
    "Kai",
    "Nia",
    "Ezra",
]
LAST_NAMES = [
    "Fairbrook",
    "Ashdown",
    "Kettleby",
    "Marlowe",
    "Penhallow",
    "Quillfield",
    "Ravensby",
    "Sorrell",
    "Thistlewood",
    "Underhill",
    "Vantreight",
    "Wrenfield",
    "Yarrowby",
    "Brackenridge",
]

# Where the forty demo children stand: (route of transition keys, facts for the first one).
ROUTES: list[tuple[list[str], dict[str, Any]]] = [
    ([], {}),
    (["route_to_universal_support"], {"continuum_level": "normal"}),
    (["route_to_early_help"], {"continuum_level": "inappropriate"}),
    (["route_to_early_help"], {"continuum_level": "problematic"}),
    (["refer_to_hsb_panel"], {"continuum_level": "abusive"}),
    (["refer_to_hsb_panel", "agree_specialist_assessment"], {"continuum_level": "abusive"}),
    (["open_csc_assessment"], {"continuum_level": "violent", "significant_harm_suspected": True}),
    (
        ["refer_to_hsb_panel", "agree_specialist_assessment", "start_specialist_plan"],
        {"continuum_level": "abusive"},
    ),
    (
        [
            "refer_to_hsb_panel",
            "agree_specialist_assessment",
            "start_specialist_plan",
            "review_plan",
        ],
        {"continuum_level": "abusive"},
    ),
    (["route_to_early_help", "close_early_help"], {"continuum_level": "inappropriate"}),
]


def _agency_map(area: LocalArea) -> dict[str, Agency]:
    agencies = {}
    for name, agency_type in AGENCIES:
        agencies[name], _ = Agency.objects.get_or_create(
            area=area, name=name, defaults={"agency_type": agency_type}
        )
    return agencies


def _users(agencies: dict[str, Agency]) -> dict[str, User]:
    users = {}
    for spec in USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "role": spec.role,
                "agency": agencies[spec.agency] if spec.agency else None,
                "job_title": spec.job_title,
                "email": f"{spec.username}@northwold.example",
                "is_staff": spec.role in ADMINISTRATORS,
                "is_superuser": spec.role in ADMINISTRATORS,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users


def _default_version(area: LocalArea, actor: User) -> PathwayVersion:
    pathway = Pathway.objects.filter(area=area, key="default").first()
    if pathway is not None:
        published = pathway.versions.filter(status="published").order_by("-number").first()
        if published is not None:
            return published
    draft = create_draft_version(
        area=area, definition=parse_yaml(DEFAULT_PATHWAY_YAML.read_text()), actor=actor
    )
    return publish_version(version=draft, actor=actor)


def _authorise_assessment(case: Case, actor: User) -> None:
    # A completed, authorised assessment with invented content, as if the lifecycle had run.
    now = timezone.now()
    Assessment.objects.create(
        case=case,
        assessment_type="hsb_focused_risk_assessment",
        status=AssessmentStatus.AUTHORISED,
        requested_at=now,
        started_at=now,
        submitted_at=now,
        authorised_at=now,
        authorised_by=actor,
        tool=AssessmentTool.objects.filter(key="dh_assessment_framework").first(),
        harmful_behaviours="Invented: pattern of behaviour at school over two terms.",
        development="Invented: meeting milestones; some difficulty with peer relationships.",
        family="Invented: supportive parent; recent family separation.",
        environment="Invented: settled at school; unsupervised internet use at home.",
        strengths_and_protective_factors="Invented: engaged with the worker; loves football.",
        child_views="Invented: wants to stay at the same school.",
        parents_carers_views="Invented: parent wants help with online safety.",
        confirmed_continuum_level=case.confirmed_continuum_level,
        risk_level="medium",
    )


def _walk(case: Case, route: list[str], facts: dict[str, Any], users: dict[str, User]) -> Case:
    for index, key in enumerate(route):
        transition = compiled_version(case.pathway_version_id).transition(key)
        stage = transition.from_stage
        if "lead_practitioner" in stage.requires and case.lead_practitioner_id is None:
            case = designate_lead_practitioner(
                case=case, practitioner=users["lead"], actor=users["manager"]
            )
        if "authorised_assessment" in stage.requires:
            _authorise_assessment(case, users["manager"])
        allowed = [users[u.username] for u in USERS if u.role in transition.allowed_roles]
        # The engine lets only someone who works on the case move it: pick such a person.
        actor = next(
            (user for user in allowed if cases_by_role(user).filter(pk=case.pk).exists()),
            allowed[0],
        )
        data = dict(facts) if index == 0 else {}
        if transition.kind == "close":
            data["closure_reason"] = "RC7"
        case = engine.take_transition(
            case=case,
            transition=key,
            actor=actor,
            reason="Demo: agreed at the multi-agency meeting."
            if transition.reason_required
            else "",
            data=data,
        )
    if "lead_practitioner" in case.current_stage.requires and case.lead_practitioner_id is None:
        case = designate_lead_practitioner(
            case=case, practitioner=users["lead"], actor=users["manager"]
        )
    return case


TRAFFIC_LIGHTS = {
    "normal": "green",
    "inappropriate": "amber",
    "problematic": "amber",
    "abusive": "red",
    "violent": "red",
}
SETTINGS = ["school", "school", "home", "community", "online"]
ETHNICITIES = [
    "white_british",
    "asian_pakistani",
    "black_african",
    "mixed_white_black_caribbean",
    "white_other",
]


def _child_details(
    rng: random.Random, index: int, reference: str, school: Agency
) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "reference": reference,
        "first_name": FIRST_NAMES[index % len(FIRST_NAMES)],
        "last_name": LAST_NAMES[(index * 7) % len(LAST_NAMES)],
        "date_of_birth": today - datetime.timedelta(days=rng.randint(6 * 365, 17 * 365)),
        "gender": rng.choice(["girl", "boy"]),
        "ethnicity": rng.choice(ETHNICITIES),
        "special_educational_needs": rng.random() < 0.25,
        "learning_disability": rng.random() < 0.08,
        "looked_after": rng.random() < 0.1,
        "school_id": school.pk,
        "confirm_new": True,  # invented children: never a duplicate of a real record
    }


def load_demo_area(*, referrals: int = 32) -> dict[str, Any]:
    """The demo area: every fourth referral also names a child harmed (40 children in all).

    Then one pass of the timer worker, as `run_worker` would make within its interval:
    referrals go back ten weeks, so some stages are past their deadline, and without the
    pass they would show no overdue flag and nothing escalated to the team manager until a
    worker ran (the demo runs none). Fires only what is due, so a rerun fires nothing new.
    """
    refuse_under_production()
    result = _load_records(referrals=referrals)
    # After the commit: each timer fires in its own transaction, as in the worker.
    result["overdue_flagged"] = run_pass().fired
    return result


@transaction.atomic
def _load_records(*, referrals: int) -> dict[str, Any]:
    area, _ = LocalArea.objects.get_or_create(name=AREA_NAME)
    agencies = _agency_map(area)
    users = _users(agencies)
    version = _default_version(area, users["admin"])
    rng = random.Random(2026)
    created = 0
    schools = [agencies[name] for name, kind in AGENCIES if kind == AgencyType.SCHOOL]
    for index in range(referrals):
        # Draw every value whether or not the referral exists, so reruns stay identical.
        route, facts = ROUTES[index % len(ROUTES)]
        school = rng.choice(schools)
        reference = f"NW-DEMO-{index + 1:03d}"
        children = [
            {**_child_details(rng, index, reference, school), "involvement": "displaying_hsb"}
        ]
        if index % 4 == 3:
            harmed = _child_details(rng, index + 11, f"NW-DEMO-H{index + 1:03d}", school)
            children.append({**harmed, "involvement": "harmed"})
        # Spread referrals over the last ten weeks so some stages are overdue.
        received_at = timezone.now() - datetime.timedelta(
            days=rng.randint(0, 70), hours=rng.randint(0, 8)
        )
        agency_name, source = rng.choice(REFERRERS)
        level = facts.get("continuum_level") or rng.choice(["inappropriate", "problematic"])
        setting = rng.choice(SETTINGS)
        if Child.objects.filter(reference=reference).exists():
            continue
        referral = record_referral(
            actor=users["frontdoor"],
            received_at=received_at,
            source=source,
            referring_agency=agencies[agency_name] if agency_name else school,
            referrer_name="Demo referrer (invented)",
            description="Invented demo referral: behaviour observed and reported by staff.",
            behaviours=[
                {
                    "description": "Invented behaviour for the demonstration.",
                    "continuum_level": level,
                    "traffic_light": TRAFFIC_LIGHTS[level],
                    "setting": setting,
                    "technology_assisted": setting == "online",
                }
            ],
            children=children,
            immediate_safety_actions="Children separated and supervised; parents called.",
            parents_informed=True,
            police_involved=source == "6",
            crime_reference=f"NW/{index + 1:05d}/26" if source == "6" else "",
        )
        case = Case.objects.get(referral=referral, involvement="displaying_hsb")
        _walk(case, route, facts, users)
        created += len(children)
    return {"area": area, "users": users, "version": version, "children_created": created}
