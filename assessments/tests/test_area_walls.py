"""Areas are walls for assessments (issue 12, "Areas as walls": assessments and contributions).

Requesting, contributing to, authorising and reading assessments happen only on cases the
actor may see; an assessor, a contribution's agency or practitioner named by id must be of the
case's area. Anything else answers exactly like an id that does not exist.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from assessments.exceptions import AssessmentNotFound
from assessments.models import Assessment, AssessmentContribution, ToolCertification
from assessments.services import (
    add_contribution,
    authorise_assessment,
    request_assessment,
    start_assessment,
)
from audit.models import AuditEvent
from pathways.tests.factories import published_default_version

from .factories import early_help_case, requested, submitted

pytestmark = pytest.mark.django_db

MISSING = 987654
TOOL = "brook_traffic_light"


@pytest.fixture
def south(db):
    return LocalAreaFactory(name="Southmere")


@pytest.fixture
def south_people(south):
    agency = AgencyFactory(area=south)

    def person(role):
        return UserFactory(role=role, agency=agency)

    return {
        "agency": agency,
        "front_door": person(Role.FRONT_DOOR),
        "lead": person(Role.LEAD_PRACTITIONER),
        "manager": person(Role.TEAM_MANAGER),
    }


@pytest.fixture
def south_case(south, south_people):
    version = published_default_version(area=south)
    return early_help_case(
        version=version,
        front_door=south_people["front_door"],
        lead=south_people["lead"],
        manager=south_people["manager"],
    )


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name, *args):
    return reverse(f"api:assessments:{name}", args=args)


def _same_as_missing(theirs, missing):
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


# --- cases and assessments of another area ----------------------------------------------------


def test_requesting_on_another_areas_case_reads_like_a_missing_case(
    case, lead_practitioner, south_case
):
    client = _client(lead_practitioner)

    def post(case_id):
        body = {"case": case_id, "assessment_type": "nice_early_help_assessment"}
        return client.post(_url("assessment-list"), body, format="json")

    _same_as_missing(post(south_case.pk), post(MISSING))
    assert not Assessment.objects.filter(case=south_case).exists()


def test_the_service_refuses_another_areas_case_as_not_found(manager, south_case):
    with pytest.raises(AssessmentNotFound):
        request_assessment(
            case=south_case.pk, assessment_type="nice_early_help_assessment", actor=manager
        )


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("get", "assessment-detail", None),
        ("post", "assessment-start", {"tool": TOOL}),
        ("post", "assessment-sections", {"family": "Invented."}),
        ("post", "assessment-contributions", {"agency": 1, "summary": "Invented."}),
        ("post", "assessment-submit", {}),
        ("post", "assessment-authorise", {}),
        ("post", "assessment-return", {"comments": "Invented."}),
    ],
)
def test_another_areas_assessment_reads_and_writes_like_a_missing_one(
    manager, south_case, south_people, tools, method, route, body
):
    theirs = submitted(south_case, south_people["lead"], tools[TOOL])
    client = _client(manager)

    def call(pk):
        return getattr(client, method)(_url(route, pk), body, format="json")

    _same_as_missing(call(theirs.pk), call(MISSING))
    theirs.refresh_from_db()
    assert theirs.status == "submitted"


def test_the_list_never_shows_another_areas_assessments(manager, south_case, south_people):
    requested(south_case, south_people["lead"])

    response = _client(manager).get(_url("assessment-list"), {"case": south_case.pk})
    missing = _client(manager).get(_url("assessment-list"), {"case": MISSING})

    # An empty page, as for a case that does not exist: neither a 400 nor a 404.
    assert response.status_code == missing.status_code == 200
    assert response.json()["results"] == missing.json()["results"] == []


def test_the_services_answer_an_unseen_assessment_as_not_found(
    manager, lead_practitioner, south_case, south_people, tools
):
    theirs = requested(south_case, south_people["lead"])
    done = submitted(
        early_help_case(
            version=south_case.pathway_version,
            front_door=south_people["front_door"],
            lead=south_people["lead"],
            manager=south_people["manager"],
        ),
        south_people["lead"],
        tools[TOOL],
    )

    with pytest.raises(AssessmentNotFound):
        start_assessment(assessment=theirs, tool=tools[TOOL], actor=lead_practitioner)
    with pytest.raises(AssessmentNotFound):
        authorise_assessment(assessment=done, actor=manager)
    assert not AuditEvent.objects.filter(
        action__in=["assessment.started", "assessment.authorised"], actor=manager
    ).exists()


# --- people and agencies named by id ---------------------------------------------------------


def test_an_assessor_of_another_area_reads_like_a_missing_user(case, manager, south_people):
    client = _client(manager)

    def post(user_id):
        body = {
            "case": case.pk,
            "assessment_type": "nice_early_help_assessment",
            "requested_for": user_id,
        }
        return client.post(_url("assessment-list"), body, format="json")

    theirs, missing = post(south_people["lead"].pk), post(MISSING)

    _same_as_missing(theirs, missing)
    # Nothing about the outsider comes back, and nothing was written.
    assert str(south_people["lead"]) not in theirs.content.decode()
    assert not Assessment.objects.filter(case=case).exists()


def test_the_service_refuses_an_assessor_of_another_area(case, manager, south_people):
    with pytest.raises(AssessmentNotFound):
        request_assessment(
            case=case,
            assessment_type="nice_early_help_assessment",
            actor=manager,
            requested_for=south_people["lead"],
        )


def test_a_contribution_from_another_areas_agency_or_practitioner_reads_like_a_missing_one(
    case, lead_practitioner, south_people
):
    assessment = requested(case, lead_practitioner)
    own_agency = lead_practitioner.agency
    client = _client(lead_practitioner)

    def post(**body):
        body.setdefault("summary", "Invented summary of the school's observations.")
        return client.post(_url("assessment-contributions", assessment.pk), body, format="json")

    _same_as_missing(post(agency=south_people["agency"].pk), post(agency=MISSING))
    _same_as_missing(
        post(agency=south_people["agency"].pk, practitioner=south_people["lead"].pk),
        post(agency=own_agency.pk, practitioner=MISSING),
    )
    _same_as_missing(
        post(agency=own_agency.pk, practitioner=south_people["lead"].pk),
        post(agency=own_agency.pk, practitioner=MISSING),
    )
    assert not AssessmentContribution.objects.exists()


def test_the_service_refuses_another_areas_agency(case, lead_practitioner, south_people):
    assessment = requested(case, lead_practitioner)

    with pytest.raises(AssessmentNotFound):
        add_contribution(
            assessment=assessment,
            agency=south_people["agency"],
            summary="Invented.",
            actor=lead_practitioner,
        )


def test_an_own_area_contribution_is_still_recorded(case, lead_practitioner, make_user):
    assessment = requested(case, lead_practitioner)
    colleague = make_user(Role.TEAM_MEMBER)

    response = _client(lead_practitioner).post(
        _url("assessment-contributions", assessment.pk),
        {
            "agency": colleague.agency_id,
            "practitioner": colleague.pk,
            "summary": "Invented: CAMHS saw the child twice.",
        },
        format="json",
    )

    assert response.status_code == 201


# --- tool certifications --------------------------------------------------------------------


def test_an_area_administrator_certifies_only_their_own_areas_practitioners(
    client, make_user, tools, south_people
):
    admin = make_user(Role.SYSTEM_ADMINISTRATOR, is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(content_type__app_label="assessments"))
    own = make_user(Role.LEAD_PRACTITIONER)
    ToolCertification.objects.create(
        practitioner=south_people["lead"], tool=tools[TOOL], certified_on="2026-01-05"
    )
    mine = ToolCertification.objects.create(
        practitioner=own, tool=tools[TOOL], certified_on="2026-01-05"
    )
    client.force_login(admin)

    listing = client.get(reverse("admin:assessments_toolcertification_changelist"))
    added = client.post(
        reverse("admin:assessments_toolcertification_add"),
        {
            "practitioner": south_people["lead"].pk,
            "tool": tools[TOOL].pk,
            "certified_on": "2026-01-05",
        },
    )

    assert list(listing.context["cl"].result_list) == [mine]
    assert added.status_code == 200  # the form again, with an error: not saved
    assert "practitioner" in added.context["adminform"].form.errors
    assert ToolCertification.objects.filter(practitioner=south_people["lead"]).count() == 1
