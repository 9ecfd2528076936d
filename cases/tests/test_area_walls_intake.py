"""Areas are walls at referral intake (issue 12, items 1 and 2).

A referrer names, finds as a likely duplicate and joins the open case of children of their
own partnership area only. Another area's child behaves exactly like an id that does not
exist: the same status and message, nothing written, nothing of that child in the answer.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.exceptions import InvalidReferral
from cases.models import Case, Child, Referral, ReferralChild
from cases.referrals.selectors import children_nameable_by, likely_duplicates
from cases.referrals.services import record_referral
from pathways.tests.factories import published_default_version

pytestmark = pytest.mark.django_db

BORN = datetime.date.today().replace(year=datetime.date.today().year - 12)
NO_SUCH_CHILD = ["There is no child record with this id."]
REFERRALS = "/api/cases/referrals/"
DUPLICATES = "/api/cases/referrals/duplicates/"


def _child(**details):
    entry = {
        "involvement": "displaying_hsb",
        "first_name": "Nell",
        "last_name": "Harrowgate",
        "date_of_birth": BORN,
        "gender": "girl",
    }
    entry.update(details)
    return entry


def _values(**overrides):
    values = {
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "description": "Invented referral: a teacher overheard the behaviour.",
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [_child()],
        "parents_informed": True,
    }
    values.update(overrides)
    return values


def _payload(**overrides):
    values = _values(**overrides)
    values["received_at"] = values["received_at"].isoformat()
    for child in values["children"]:
        if isinstance(child.get("date_of_birth"), datetime.date):
            child["date_of_birth"] = child["date_of_birth"].isoformat()
    return values


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def dsl(make_user, default_version):
    return make_user(Role.DSL)


@pytest.fixture
def elsewhere():
    """Southmere: another partnership with its own pathway, referrer and a child on it."""
    south = LocalAreaFactory(name="Southmere")
    front_door = UserFactory(role=Role.FRONT_DOOR, agency=AgencyFactory(area=south))
    published_default_version(area=south, actor=front_door)
    referrer = UserFactory(role=Role.DSL, agency=AgencyFactory(area=south))
    referral = record_referral(actor=referrer, **_values())
    link = referral.children.get()
    return {"area": south, "referrer": referrer, "child": link.child, "case": link.case}


def _counts():
    return (
        Referral.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
        ReferralChild.objects.count(),
        AuditEvent.objects.count(),
    )


def _refusal(actor, **overrides):
    before = _counts()
    with pytest.raises(InvalidReferral) as caught:
        record_referral(actor=actor, **_values(**overrides))
    assert _counts() == before, "a refused referral writes nothing"
    return caught.value


# --- naming a child by id ---------------------------------------------------------------------


def test_another_areas_child_is_refused_exactly_like_a_child_that_does_not_exist(dsl, elsewhere):
    theirs = elsewhere["child"]
    missing = Child.objects.order_by("-pk").first().pk + 1000

    hidden = _refusal(dsl, children=[{"involvement": "displaying_hsb", "child_id": theirs.pk}])
    absent = _refusal(dsl, children=[{"involvement": "displaying_hsb", "child_id": missing}])

    assert hidden.fields == absent.fields == {"children[0].child_id": NO_SUCH_CHILD}
    assert (type(hidden), hidden.message, hidden.extra) == (
        type(absent),
        absent.message,
        absent.extra,
    )


def test_another_areas_open_case_is_not_joined_or_flagged(dsl, elsewhere):
    theirs = elsewhere["case"]
    before = Case.objects.values("repeat_concern", "lock_version").get(pk=theirs.pk)

    _refusal(dsl, children=[{"involvement": "displaying_hsb", "child_id": elsewhere["child"].pk}])

    assert Case.objects.values("repeat_concern", "lock_version").get(pk=theirs.pk) == before
    assert not AuditEvent.objects.filter(
        action="case.repeat_referral", object_id=str(theirs.pk)
    ).exists()


def test_the_api_answers_another_areas_child_and_a_missing_child_identically(dsl, elsewhere):
    client = _client(dsl)
    missing = Child.objects.order_by("-pk").first().pk + 1000

    hidden = client.post(
        REFERRALS,
        _payload(children=[{"involvement": "displaying_hsb", "child_id": elsewhere["child"].pk}]),
        format="json",
    )
    absent = client.post(
        REFERRALS,
        _payload(children=[{"involvement": "displaying_hsb", "child_id": missing}]),
        format="json",
    )

    assert hidden.status_code == absent.status_code == 400
    assert hidden.json() == absent.json()
    assert hidden.json()["fields"] == {"children[0].child_id": NO_SUCH_CHILD}
    body = hidden.content.decode()
    for secret in (elsewhere["child"].first_name, elsewhere["child"].reference):
        assert secret not in body
    assert Referral.objects.filter(recorded_by=dsl).count() == 0


def test_a_child_of_the_area_can_still_be_named_and_joins_their_open_case(
    dsl, front_door, elsewhere
):
    first = record_referral(actor=front_door, **_values(children=[_child(first_name="Ida")]))
    ours = first.children.get()

    again = record_referral(
        actor=dsl,
        **_values(children=[{"involvement": "displaying_hsb", "child_id": ours.child_id}]),
    )

    link = again.children.get()
    assert (link.case_id, link.joined_open_case) == (ours.case_id, True)


def test_a_child_known_here_with_an_open_case_elsewhere_gets_a_case_here(dsl, elsewhere):
    # A child who moved school across the border: our school makes them ours to name, but
    # their open case in Southmere is Southmere's, untouched.
    theirs = elsewhere["child"]
    Child.objects.filter(pk=theirs.pk).update(school=dsl.agency)
    before = Case.objects.values("repeat_concern", "lock_version").get(pk=elsewhere["case"].pk)

    referral = record_referral(
        actor=dsl, **_values(children=[{"involvement": "displaying_hsb", "child_id": theirs.pk}])
    )

    link = referral.children.get()
    assert link.case_id != elsewhere["case"].pk and not link.joined_open_case
    assert link.case.pathway_version.pathway.area_id == dsl.agency.area_id
    assert link.case.previous_episode_id is None
    after = Case.objects.values("repeat_concern", "lock_version").get(pk=elsewhere["case"].pk)
    assert after == before


# --- likely duplicates ------------------------------------------------------------------------


def test_likely_duplicates_never_return_another_areas_child(dsl, elsewhere):
    theirs = elsewhere["child"]

    found = likely_duplicates(
        actor=dsl,
        first_name=theirs.first_name,
        last_name=theirs.last_name,
        date_of_birth=theirs.date_of_birth,
        reference=theirs.reference,
    )

    assert found == []
    assert theirs in likely_duplicates(
        actor=elsewhere["referrer"],
        first_name=theirs.first_name,
        last_name=theirs.last_name,
        date_of_birth=theirs.date_of_birth,
    )
    assert not children_nameable_by(dsl).filter(pk=theirs.pk).exists()


def test_the_duplicates_endpoint_shows_only_the_areas_children(dsl, front_door, elsewhere):
    ours = (
        record_referral(actor=front_door, **_values(children=[_child(confirm_new=True)]))
        .children.get()
        .child
    )

    answer = _client(dsl).post(
        DUPLICATES,
        {"first_name": "Nell", "last_name": "Harrowgate", "date_of_birth": BORN.isoformat()},
        format="json",
    )

    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["candidates"]] == [ours.pk]
    assert elsewhere["child"].reference not in answer.content.decode()


def test_no_duplicate_proposal_names_another_areas_child(dsl, elsewhere):
    # Same name and date of birth as Southmere's child: here, simply a new child.
    answer = _client(dsl).post(REFERRALS, _payload(), format="json")

    assert answer.status_code == 201, answer.json()
    assert elsewhere["child"].reference not in answer.content.decode()
    new_child = Referral.objects.get(pk=answer.json()["id"]).children.get().child
    assert new_child.pk != elsewhere["child"].pk


def test_a_duplicate_proposal_lists_only_the_areas_children(dsl, front_door, elsewhere):
    ours = (
        record_referral(actor=front_door, **_values(children=[_child(confirm_new=True)]))
        .children.get()
        .child
    )

    answer = _client(dsl).post(REFERRALS, _payload(), format="json")

    assert answer.status_code == 400
    assert answer.json()["code"] == "possible_duplicate"
    candidates = answer.json()["candidates"]["children[0]"]
    assert [row["id"] for row in candidates] == [ours.pk]
    assert elsewhere["child"].reference not in answer.content.decode()


def test_roles_that_do_not_refer_may_name_no_child(make_user, elsewhere):
    for role in (Role.LEAD_PRACTITIONER, Role.ANALYST, Role.AUDITOR):
        assert not children_nameable_by(make_user(role)).exists()
    assert children_nameable_by(elsewhere["referrer"]).filter(pk=elsewhere["child"].pk).exists()


# --- the referring agency ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DOOR, Role.DSL])
def test_another_areas_agency_is_answered_as_an_agency_that_does_not_exist(
    make_user, default_version, elsewhere, role
):
    client = _client(make_user(role))
    theirs = AgencyFactory(area=elsewhere["area"])

    hidden = client.post(REFERRALS, _payload(referring_agency=theirs.pk), format="json")
    absent = client.post(REFERRALS, _payload(referring_agency=theirs.pk + 1000), format="json")

    assert hidden.status_code == absent.status_code == 400
    assert hidden.json() == absent.json()
    assert hidden.json()["fields"] == {
        "referring_agency": ["Choose an agency in your partnership area."]
    }
    assert not Referral.objects.filter(referring_agency=theirs).exists()
