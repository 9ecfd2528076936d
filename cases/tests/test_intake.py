import datetime

import pytest
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory
from audit.models import AuditEvent
from cases.exceptions import (
    InvalidReferral,
    NoPublishedPathway,
    NotAllowedToRefer,
    PossibleDuplicateChild,
)
from cases.models import Case, Child, Referral, ReferralChild
from cases.process import engine
from cases.referrals.selectors import default_pathway_version, likely_duplicates
from cases.referrals.services import record_referral
from cases.tests.factories import ChildFactory, open_case

pytestmark = pytest.mark.django_db


def _area_child(**details):
    """A child of the test area (their school is in it): one a referrer there may name."""
    return ChildFactory(school=AgencyFactory(), **details)


TODAY = datetime.date.today()


def _years_ago(years: int, days: int = 0) -> datetime.date:
    return TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=days)


def _child(involvement="displaying_hsb", **details):
    entry = {
        "involvement": involvement,
        "first_name": "Ava",
        "last_name": "Fairbrook",
        "date_of_birth": _years_ago(13),
        "gender": "girl",
    }
    entry.update(details)
    return entry


def _behaviour(**values):
    behaviour = {
        "description": "Invented: sexualised language towards a younger pupil.",
        "continuum_level": "problematic",
        "traffic_light": "amber",
        "setting": "school",
    }
    behaviour.update(values)
    return behaviour


def _refer(actor, **overrides):
    values = {
        "actor": actor,
        "received_at": timezone.now() - datetime.timedelta(hours=1),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral: a lunchtime supervisor saw the behaviour.",
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
        AuditEvent.objects.count(),
    )


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def _refused(actor, error_class=InvalidReferral, **overrides):
    before = _counts()
    with pytest.raises(error_class) as caught:
        _refer(actor, **overrides)
    assert _counts() == before, "a refused referral must write nothing"
    return caught.value


# --- a referral about two children --------------------------------------------------------------


def test_a_referral_about_two_children_opens_two_cases_linked_both_ways(default_version, dsl):
    referral = _refer(
        dsl,
        behaviours=[
            _behaviour(continuum_level="inappropriate"),
            _behaviour(continuum_level="abusive", traffic_light="red"),
        ],
        children=[
            _child(first_name="Leo", last_name="Ashdown"),
            _child("harmed", first_name="Mia", last_name="Kettleby", date_of_birth=_years_ago(9)),
        ],
    )

    links = {link.involvement: link for link in referral.children.select_related("case", "child")}
    displaying, harmed = links["displaying_hsb"].case, links["harmed"].case
    assert displaying.pk != harmed.pk
    assert displaying.involvement == "displaying_hsb"
    assert harmed.involvement == "harmed"
    assert harmed.child.first_name == "Mia"
    assert list(displaying.linked_cases.all()) == [harmed]
    assert list(harmed.linked_cases.all()) == [displaying]
    assert referral.continuum_level == "abusive"
    # The referrer's level stays on the referral: the confirmed level is asked for after
    # screening, not copied (issue 16).
    assert displaying.confirmed_continuum_level == ""
    assert harmed.confirmed_continuum_level == ""
    assert displaying.pathway_version_id == default_version.pk
    assert displaying.current_stage.key == "initial_decision"
    assert displaying.referral_id == referral.pk
    assert referral.behaviours.count() == 2
    assert referral.referring_agency_id == dsl.agency_id
    assert referral.referrer_id == dsl.pk and referral.recorded_by_id == dsl.pk
    assert not links["displaying_hsb"].joined_open_case
    event = AuditEvent.objects.get(action="referral.received")
    assert event.object_id == str(referral.pk)
    assert {row["case"] for row in event.changes["children"]} == {displaying.pk, harmed.pk}


def test_new_children_get_a_unique_pseudonymous_reference(default_version, dsl):
    referral = _refer(
        dsl,
        children=[
            _child(first_name="Leo", last_name="Ashdown"),
            _child("harmed", first_name="Mia", last_name="Kettleby", reference="LA-0042"),
        ],
    )

    references = dict(referral.children.values_list("involvement", "child__reference"))
    assert references["harmed"] == "LA-0042"
    generated = references["displaying_hsb"]
    assert generated.startswith("HSB-") and len(generated) == 12


def test_the_case_opens_on_the_areas_latest_published_default_pathway(default_version, front_door):
    assert default_pathway_version(area_id=front_door.agency.area_id) == default_version
    assert default_pathway_version(area_id=LocalAreaFactory(name="Elsewhere").pk) is None


def test_without_a_published_pathway_nothing_is_written(make_user):
    dsl = make_user(Role.DSL)

    error = _refused(dsl, NoPublishedPathway)

    assert error.status_code == 409


# --- field-level refusals, nothing written -----------------------------------------------------


def test_a_date_of_birth_in_the_future_is_refused(default_version, dsl):
    tomorrow = TODAY + datetime.timedelta(days=1)

    error = _refused(
        dsl, children=[_child(), _child("harmed", first_name="Mia", date_of_birth=tomorrow)]
    )

    assert error.fields == {
        "children[1].date_of_birth": ["The date of birth cannot be in the future."]
    }


def test_a_child_of_18_at_referral_is_refused(default_version, dsl):
    error = _refused(dsl, children=[_child(date_of_birth=_years_ago(18))])

    assert "children[0].date_of_birth" in error.fields
    assert "must be under 18 at referral" in error.fields["children[0].date_of_birth"][0]


def test_age_is_counted_on_the_day_the_referral_was_received(default_version, dsl):
    # 18 today, but 17 when the referral came in a year ago: accepted.
    referral = _refer(
        dsl,
        received_at=timezone.now() - datetime.timedelta(days=366),
        children=[_child(date_of_birth=_years_ago(18, days=30))],
    )

    assert referral.children.count() == 1


def test_a_referral_with_no_child_displaying_hsb_is_refused(default_version, dsl):
    error = _refused(dsl, children=[_child("harmed")])

    assert error.fields == {"children": ["Name at least one child displaying HSB."]}


def test_a_referral_with_no_children_is_refused(default_version, dsl):
    error = _refused(dsl, children=[])

    assert "children" in error.fields


def test_an_unknown_referral_source_code_is_refused(default_version, dsl):
    error = _refused(dsl, source="2Z")

    assert error.fields == {"source": ["'2Z' is not a census referral-source code (1A to 10)."]}


def test_a_referral_received_in_the_future_is_refused(default_version, dsl):
    error = _refused(dsl, received_at=timezone.now() + datetime.timedelta(hours=3))

    assert list(error.fields) == ["received_at"]


def test_each_behaviour_needs_a_level_a_traffic_light_and_a_setting(default_version, dsl):
    error = _refused(
        dsl, behaviours=[_behaviour(), _behaviour(continuum_level="", traffic_light="blue")]
    )

    assert set(error.fields) == {"behaviours[1].continuum_level", "behaviours[1].traffic_light"}
    assert "behaviours" in _refused(dsl, behaviours=[]).fields


def test_parents_not_informed_needs_a_reason(default_version, dsl):
    error = _refused(dsl, parents_informed=False)

    assert list(error.fields) == ["parents_not_informed_reason"]
    referral = _refer(
        dsl,
        parents_informed=False,
        parents_not_informed_reason="Informing them could put the child at risk.",
    )
    assert referral.parents_informed is False


def test_whether_parents_were_informed_must_be_answered(default_version, dsl):
    error = _refused(dsl, parents_informed=None)

    assert error.fields == {
        "parents_informed": ["Say whether the parents or carers were informed."]
    }


def test_police_involvement_needs_a_crime_reference_or_an_outcome(default_version, dsl):
    assert list(_refused(dsl, police_involved=True).fields) == ["crime_reference"]
    assert list(_refused(dsl, crime_reference="NW/123/26").fields) == ["police_involved"]

    referral = _refer(dsl, police_involved=True, police_outcome="Invented: words of advice.")

    assert referral.police_involved


def test_the_same_child_twice_in_one_referral_is_refused(default_version, dsl):
    error = _refused(dsl, children=[_child(), _child("harmed", first_name=" ava ")])

    assert error.fields == {
        "children[1]": ["This child is already named in the referral (child 1)."]
    }


def test_every_problem_is_reported_at_once(default_version, dsl):
    error = _refused(
        dsl,
        source="99",
        description="",
        children=[_child("harmed", first_name="", date_of_birth=None)],
    )

    assert {"source", "description", "children", "children[0].first_name"} <= set(error.fields)
    assert error.fields["children[0].date_of_birth"] == ["Enter the child's date of birth."]


def test_a_school_outside_the_area_is_refused(default_version, dsl):
    school = AgencyFactory(area=dsl.agency.area)
    elsewhere = AgencyFactory(area=LocalAreaFactory(name="Elsewhere"))

    error = _refused(dsl, children=[_child(school_id=elsewhere.pk)])

    assert list(error.fields) == ["children[0].school_id"]
    assert _refer(dsl, children=[_child(school_id=school.pk)]).children.get().child.school == school


# --- who may refer --------------------------------------------------------------------------


def test_a_dsl_refers_only_for_their_own_agency(default_version, dsl):
    other = AgencyFactory(area=dsl.agency.area)

    error = _refused(dsl, NotAllowedToRefer, referring_agency=other)

    assert error.status_code == 403


@pytest.mark.parametrize("role", [Role.LEAD_PRACTITIONER, Role.ANALYST, Role.HSB_COORDINATOR])
def test_other_roles_may_not_record_referrals(default_version, make_user, role):
    _refused(make_user(role), NotAllowedToRefer)


def test_the_front_door_records_a_referral_from_another_agency_in_its_area(
    default_version, front_door
):
    gp = AgencyFactory(area=front_door.agency.area, name="Riverside GP (invented)")

    referral = _refer(front_door, source="3A", referring_agency=gp, referrer_name="Dr Invented")

    assert referral.referring_agency == gp
    assert referral.referrer is None and referral.recorded_by == front_door
    outside = AgencyFactory(area=LocalAreaFactory(name="Elsewhere"))
    another_child = [_child(first_name="Kai", last_name="Wrenfield")]
    error = _refused(front_door, referring_agency=outside, children=another_child)
    assert list(error.fields) == ["referring_agency"]


# --- likely duplicates ----------------------------------------------------------------------


def test_likely_duplicates_match_a_similar_name_on_the_same_date_of_birth(
    django_assert_num_queries, dsl
):
    born = _years_ago(12)
    # Children of the DSL's area: their school is in it.
    school = dsl.agency
    same_surname = ChildFactory(
        first_name="Zara", last_name="Marlowe", date_of_birth=born, school=school
    )
    shared_prefix = ChildFactory(
        first_name="Jonathan", last_name="Quill", date_of_birth=born, school=school
    )
    close_spelling = ChildFactory(
        first_name="Isla", last_name="Penhallowe", date_of_birth=born, school=school
    )
    ChildFactory(first_name="Oscar", last_name="Underhill", date_of_birth=born, school=school)
    ChildFactory(
        first_name="Jon",
        last_name="Marlowe",
        date_of_birth=born - datetime.timedelta(1),
        school=school,
    )

    with django_assert_num_queries(1):
        by_surname = likely_duplicates(
            actor=dsl, first_name="Arlo", last_name="MARLOWE", date_of_birth=born
        )
    assert by_surname == [same_surname]
    assert likely_duplicates(
        actor=dsl, first_name="jon", last_name="Quilter", date_of_birth=born
    ) == [shared_prefix]
    assert likely_duplicates(
        actor=dsl, first_name="Isla", last_name="Penhalow", date_of_birth=born
    ) == [close_spelling]


def test_likely_duplicates_match_the_same_reference_whatever_the_name(dsl):
    child = ChildFactory(
        reference="NW-0007", first_name="Theo", last_name="Sorrell", school=dsl.agency
    )

    found = likely_duplicates(
        actor=dsl,
        first_name="Somebody",
        last_name="Else",
        date_of_birth=_years_ago(3),
        reference="nw-0007",
    )

    assert found == [child]


def test_a_similar_child_is_proposed_not_silently_created(default_version, dsl):
    existing = _area_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))

    error = _refused(
        dsl,
        PossibleDuplicateChild,
        children=[
            _child(),
            _child(
                "harmed",
                first_name="freya",
                last_name="Ravensbye",
                date_of_birth=existing.date_of_birth,
            ),
        ],
    )

    assert error.code == "possible_duplicate"
    assert list(error.fields) == ["children[1]"]
    assert error.extra["candidates"] == {
        "children[1]": [
            {
                "id": existing.pk,
                "reference": existing.reference,
                "name": "Freya Ravensby",
                "date_of_birth": existing.date_of_birth.isoformat(),
            }
        ]
    }


def test_a_duplicate_is_proposed_alongside_other_messages(default_version, dsl):
    existing = _area_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))

    error = _refused(
        dsl,
        source="2Z",
        children=[_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))],
    )

    assert error.code == "invalid"
    assert set(error.fields) == {"source", "children[0]"}
    assert [c["id"] for c in error.extra["candidates"]["children[0]"]] == [existing.pk]


def test_the_same_reference_is_proposed_as_the_same_child(default_version, dsl):
    existing = _area_child(reference="NW-0101")

    error = _refused(dsl, PossibleDuplicateChild, children=[_child(reference="NW-0101")])

    assert [c["id"] for c in error.extra["candidates"]["children[0]"]] == [existing.pk]


def test_linking_to_the_existing_record_creates_no_new_child(default_version, dsl):
    existing = _area_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))
    children_before = Child.objects.count()

    referral = _refer(
        dsl,
        children=[
            _child(),
            {"child_id": existing.pk, "involvement": "harmed"},
        ],
    )

    assert Child.objects.count() == children_before + 1  # only Ava is new
    link = referral.children.get(involvement="harmed")
    assert link.child == existing
    assert link.case.child == existing and link.case.involvement == "harmed"


def test_confirming_a_different_child_creates_a_new_record(default_version, dsl):
    existing = _area_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))

    referral = _refer(
        dsl,
        children=[
            _child(
                first_name="Freya",
                last_name="Ravensby",
                date_of_birth=existing.date_of_birth,
                confirm_new=True,
            )
        ],
    )

    assert referral.children.get().child != existing


def test_a_confirmed_new_child_cannot_reuse_another_childs_reference(default_version, dsl):
    _area_child(reference="NW-0101")

    error = _refused(dsl, children=[_child(reference="NW-0101", confirm_new=True)])

    assert list(error.fields) == ["children[0].reference"]


def test_a_link_that_no_longer_matches_the_details_is_refused(default_version, dsl):
    existing = _area_child(first_name="Freya", last_name="Ravensby", date_of_birth=_years_ago(11))

    error = _refused(
        dsl,
        children=[_child(child_id=existing.pk, first_name="Kai", last_name="Wrenfield")],
    )

    assert list(error.fields) == ["children[0].child_id"]
    assert list(_refused(dsl, children=[_child(child_id=987654)]).fields) == [
        "children[0].child_id"
    ]


# --- repeat referrals and later episodes ----------------------------------------------------


def test_a_repeat_referral_joins_the_open_case_and_flags_a_repeat_concern(
    default_version, dsl, front_door
):
    child = _area_child()
    case = open_case(version=default_version, actor=front_door, child=child)
    cases_before = Case.objects.count()

    referral = _refer(dsl, children=[{"child_id": child.pk, "involvement": "displaying_hsb"}])

    link = referral.children.get()
    assert link.case == case and link.joined_open_case
    assert Case.objects.count() == cases_before
    case.refresh_from_db()
    assert case.repeat_concern
    assert case.lock_version == 2  # anyone acting on the older state reloads first
    assert AuditEvent.objects.filter(action="case.repeat_referral", object_id=str(case.pk)).exists()


def test_a_repeat_referral_about_two_children_links_the_joined_case_to_the_new_one(
    default_version, dsl, front_door
):
    child = _area_child()
    case = open_case(version=default_version, actor=front_door, child=child)

    referral = _refer(
        dsl,
        children=[
            {"child_id": child.pk, "involvement": "displaying_hsb"},
            _child("harmed", first_name="Nia", last_name="Yarrowby"),
        ],
    )

    harmed = referral.children.get(involvement="harmed").case
    assert list(case.linked_cases.all()) == [harmed]
    assert list(harmed.linked_cases.all()) == [case]


def test_a_referral_after_closure_opens_a_new_episode(default_version, dsl, front_door):
    child = _area_child()
    earlier = open_case(version=default_version, actor=front_door, child=child)
    engine.take_transition(
        case=earlier,
        transition="no_further_action",
        actor=front_door,
        reason="Invented: no further action after screening.",
        data={"closure_reason": "no_further_action"},
    )

    referral = _refer(dsl, children=[{"child_id": child.pk, "involvement": "displaying_hsb"}])

    link = referral.children.get()
    assert not link.joined_open_case
    assert link.case != earlier
    assert link.case.previous_episode == earlier
    assert not link.case.repeat_concern
