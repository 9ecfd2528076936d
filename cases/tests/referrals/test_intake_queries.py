"""What referral intake and the lead designation cost in statements (issue 15): pinned, so a
change that adds a round trip or a savepoint to them fails here first.

Real transactions (`transaction=True`): inside a test's own transaction every service
transaction would be a savepoint, and a savepoint is what these tests look for.
"""

import datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.roles import Role
from agencies.tests.factories import AgencyFactory, LocalAreaFactory, UserFactory
from audit.models import AuditEvent
from cases.exceptions import ReferralConflict
from cases.models import Case, Child, Referral
from cases.process.engine import take_transition
from cases.referrals import selectors, services
from cases.referrals.services import record_referral
from cases.services import designate_lead_practitioner
from cases.tests.factories import ChildFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="statement counts and prepared statements are PostgreSQL's",
    ),
]

# Intake of a referral about one new child, inside its transaction: the agency with the
# pathway version, the likely duplicates, then two statements of data-modifying CTEs (the
# referral, the child and the case's rows; then what row-level security checks against
# them: the behaviours, the child's link, the case's first move and both audit events).
INTAKE_STATEMENTS = 4
INTAKE_MAX_STATEMENTS = 12  # the acceptance line of issue 15
# Designating a lead: the case locked and read with the actor's role rule (one statement),
# the practitioner, then the designation, the case's lead and the audit event in one.
LEAD_STATEMENTS = 3

TRANSACTION_CONTROL = {"BEGIN", "COMMIT"}


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements of the service's transaction (BEGIN to COMMIT, neither counted)."""
    sqls = [query["sql"] for query in captured.captured_queries]
    assert sqls.count("BEGIN") == 1 and sqls.count("COMMIT") == 1, sqls
    return sqls[sqls.index("BEGIN") + 1 : sqls.index("COMMIT")]


def _savepoints(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if "SAVEPOINT" in query["sql"].upper().split(" ", 2)[:2]
    ]


def _child(number: int, **details):
    return {
        "involvement": "displaying_hsb",
        "first_name": f"Invented{'abcdefghij'[number]}",
        "last_name": f"Child{'klmnopqrst'[number]}",
        "date_of_birth": datetime.date.today() - datetime.timedelta(days=4000 + 40 * number),
        "gender": "girl",
        **details,
    }


def _refer(actor, children):
    return record_referral(
        actor=actor,
        received_at=timezone.now() - datetime.timedelta(hours=1),
        source="2A",
        description="Invented referral for the query counts.",
        behaviours=[
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        children=children,
        parents_informed=True,
    )


@pytest.fixture
def dsl(make_user):
    return make_user(Role.DSL)


def test_intake_of_one_new_child_is_twelve_statements_at_most_and_no_savepoint(
    default_version, dsl
):
    _refer(dsl, [_child(0)])  # the compiled pathway, as a live server has it
    with CaptureQueriesContext(connection) as captured:
        _refer(dsl, [_child(1)])

    statements = _statements(captured)
    assert len(statements) <= INTAKE_MAX_STATEMENTS, "\n".join(statements)
    assert len(statements) == INTAKE_STATEMENTS, "\n".join(statements)
    assert _savepoints(captured) == []


def test_intake_of_two_children_and_a_joined_case_takes_no_savepoint(default_version, dsl):
    known = ChildFactory(school=dsl.agency, first_name="Noor", last_name="Tamsin")
    _refer(dsl, [{"involvement": "displaying_hsb", "child_id": known.pk}])
    captured_from = AuditEvent.objects.order_by("pk").last().pk
    with CaptureQueriesContext(connection) as captured:
        referral = _refer(
            dsl,
            [
                {"involvement": "displaying_hsb", "child_id": known.pk},
                _child(2, involvement="harmed"),
            ],
        )

    assert _savepoints(captured) == []
    joined, opened = [link.case for link in referral.children.order_by("pk")]
    assert joined.repeat_concern
    assert list(opened.linked_cases.all()) == [joined]
    assert list(joined.linked_cases.all()) == [opened]
    assert opened.moves.get().kind == "start"
    # The events in the order they were recorded, each signed and of this transaction.
    events = AuditEvent.objects.filter(pk__gt=captured_from).order_by("pk")
    assert [(e.action, e.object_id) for e in events] == [
        ("case.repeat_referral", str(joined.pk)),
        ("case.opened", str(opened.pk)),
        ("referral.received", str(referral.pk)),
    ]
    assert all(e.mac and e.xid for e in events)
    assert len({e.xid for e in events}) == 1


def test_a_generated_reference_that_is_taken_is_retried_once(default_version, dsl):
    taken = ChildFactory(reference="HSB-TAKEN001")
    fresh = iter(["HSB-TAKEN001", "HSB-FRESH001"])
    with mock.patch.object(services, "_new_reference", lambda: next(fresh)):
        referral = _refer(dsl, [_child(3)])

    child = referral.children.get().child
    assert child.reference == "HSB-FRESH001"
    assert Child.objects.filter(reference="HSB-TAKEN001").get() == taken


def test_a_reference_taken_twice_is_a_conflict_and_writes_nothing(default_version, dsl):
    ChildFactory(reference="HSB-TAKEN002")
    before = (Referral.objects.count(), Child.objects.count(), Case.objects.count())
    with (
        mock.patch.object(services, "_new_reference", lambda: "HSB-TAKEN002"),
        pytest.raises(ReferralConflict),
    ):
        _refer(dsl, [_child(4)])

    assert (Referral.objects.count(), Child.objects.count(), Case.objects.count()) == before


def test_designating_the_lead_of_a_routed_case_is_three_statements(
    default_version, dsl, front_door, manager, lead_practitioner
):
    referral = _refer(dsl, [_child(5)])
    # At the panel, which needs no lead named with the routing: the manager designates one.
    case = take_transition(
        case=Case.objects.get(referral=referral),
        transition="refer_to_hsb_panel",
        actor=front_door,
        data={"continuum_level": "abusive"},
    )
    with CaptureQueriesContext(connection) as captured:
        designate_lead_practitioner(case=case, practitioner=lead_practitioner.pk, actor=manager)

    assert len(_statements(captured)) == LEAD_STATEMENTS, "\n".join(_statements(captured))
    assert _savepoints(captured) == []
    stored = Case.objects.get(pk=case.pk)
    assert stored.lead_practitioner == lead_practitioner
    assert stored.lock_version == case.lock_version + 1  # anyone holding the older state reloads
    (designation,) = stored.lead_designations.all()
    assert (designation.practitioner, designation.designated_by) == (lead_practitioner, manager)
    assert designation.ended_at is None
    event = AuditEvent.objects.get(action="case.lead_designated", object_id=str(case.pk))
    assert event.changes == {"lead_practitioner": [None, lead_practitioner.pk]}
    assert event.actor_id == manager.pk and event.mac and event.xid


def test_intakes_reads_are_compiled_once_per_shape_and_answer_for_their_values(
    default_version, dsl
):
    born = datetime.date.today() - datetime.timedelta(days=4321)
    ours = ChildFactory(
        first_name="Wren", last_name="Ashby", date_of_birth=born, area=dsl.agency.area
    )
    elsewhere = LocalAreaFactory(name="Elsewhere (invented)")
    their_dsl = UserFactory(role=Role.DSL, agency=AgencyFactory(area=elsewhere))
    theirs = ChildFactory(first_name="Wren", last_name="Ashby", date_of_birth=born, area=elsewhere)
    selectors._COMPILED.clear()

    def duplicates(actor):
        wanted = selectors.ChildDetails("Wren", "Ashby", born)
        return selectors.likely_duplicates_of(
            actor=actor, children=[wanted], area_id=actor.agency.area_id
        )[0]

    assert duplicates(dsl) == [ours]
    assert duplicates(their_dsl) == [theirs]  # the same SQL, the other area's value
    assert len(selectors._COMPILED) == 1


def test_intake_prepares_its_reads_again_when_the_session_lost_them(default_version, dsl):
    _refer(dsl, [_child(6)])  # its reads prepared on this connection
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler or a DISCARD ALL would

    referral = _refer(dsl, [_child(7)])

    assert referral.children.get().case.current_stage.key == "initial_decision"
