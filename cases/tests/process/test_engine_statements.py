"""What opening and moving a case cost in round trips (issue 15), and why the cost is safe.

A move is two statements: the case locked and read within the actor's role rule, then every
row of the move, its audit event included, in one statement. Opening a case is three, with no
savepoint inside the caller's transaction (intake's). The locked read's SQL is compiled once
per user, so the rule must be a function of the user alone: the tests hold it to that, and
show that what the rule reads is read afresh each time.
"""

from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.roles import CASEWORK
from audit.chain import chain_keys, event_mac
from audit.models import AuditEvent
from cases.models import Case
from cases.process import engine
from cases.process.engine import take_transition
from cases.selectors import role_scope
from cases.tests.factories import ChildFactory
from cases.tests.factories import open_case as open_test_case
from pathways.compiled import compiled_version
from pathways.exceptions import NotAllowedOnCase

# A plain move: the panel needs no lead practitioner named with it.
ROUTE = {"transition": "refer_to_hsb_panel", "data": {"continuum_level": "abusive"}}


def _to_early_help(lead):
    """Routing into early help, which needs a lead practitioner: named in the same step."""
    data = {"continuum_level": "problematic", "lead_practitioner": lead.pk}
    return {"transition": "route_to_early_help", "data": data}


pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="statement counts and prepared statements are PostgreSQL's",
)


def _statements(captured):
    """The statements sent, leaving out the transaction's own BEGIN and COMMIT, each as the
    text it runs: the engine's are prepared (PREPARE with the first EXECUTE, then EXECUTE)."""
    prepared = getattr(connection, "_case_process_prepared", None)
    texts = {name: sql for sql, name in (prepared.names.items() if prepared else [])}
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql in ("BEGIN", "COMMIT"):
            continue
        if sql.startswith(("PREPARE case_process_", "EXECUTE case_process_")):
            name = sql.split()[1]
            assert sql.count("EXECUTE ") == 1, "one round trip: PREPARE, if any, with EXECUTE"
            sql = texts[name]
        statements.append(sql)
    return statements


@pytest.mark.django_db(transaction=True)
def test_a_move_is_two_statements_in_its_own_transaction(default_version, front_door):
    case = open_test_case(version=default_version, actor=front_door)

    with CaptureQueriesContext(connection) as captured:
        take_transition(case=case, actor=front_door, **ROUTE)

    locked_read, move = _statements(captured)  # no savepoint, no other statement
    assert locked_read.startswith("SELECT ")
    assert locked_read.endswith('FOR UPDATE OF "cases_case" NOWAIT')
    assert move.startswith("WITH left_stage AS (UPDATE")
    assert 'audit_event AS (INSERT INTO "audit_auditevent"' in move
    assert not any(query["sql"].startswith("WITH") for query in captured.captured_queries)
    # The event the statement wrote is the one record_event would have: signed, with the
    # writing transaction's id from the column's default, so the sealer and verify take it.
    event = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).latest("id")
    assert event.xid is not None
    assert event.mac == event_mac(event, event.key_id, dict(chain_keys())[event.key_id])
    assert event.changes["transition"] == ROUTE["transition"]


@pytest.mark.django_db(transaction=True)
def test_routing_with_a_lead_named_adds_one_statement_the_practitioners_read(
    default_version, front_door, lead_practitioner
):
    case = open_test_case(version=default_version, actor=front_door)

    with CaptureQueriesContext(connection) as captured:
        moved = take_transition(case=case, actor=front_door, **_to_early_help(lead_practitioner))

    locked_read, practitioner, move = _statements(captured)
    assert locked_read.endswith('FOR UPDATE OF "cases_case" NOWAIT')
    assert practitioner.startswith("SELECT ") and '"agencies_user"' in practitioner
    # The designation, the case's lead and its audit event join the move's statement.
    assert move.startswith("WITH left_stage AS (UPDATE")
    assert 'lead_designation AS (INSERT INTO "cases_leaddesignation"' in move
    assert 'lead_event AS (INSERT INTO "audit_auditevent"' in move
    saved = Case.objects.get(pk=case.pk)
    assert saved.lead_practitioner_id == lead_practitioner.pk == moved.lead_practitioner_id
    assert saved.lock_version == case.lock_version + 1
    designation = saved.lead_designations.get()
    assert (designation.practitioner, designation.designated_by) == (lead_practitioner, front_door)
    events = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "case.opened",
        "case.route",
        "case.lead_designated",
    ]


@pytest.mark.django_db(transaction=True)
def test_closing_and_reopening_are_two_statements_too(
    default_version, front_door, lead_practitioner
):
    case = open_test_case(version=default_version, actor=front_door)
    case = take_transition(case=case, actor=front_door, **_to_early_help(lead_practitioner))

    with CaptureQueriesContext(connection) as closing:
        case = take_transition(
            case=case,
            transition="close_early_help",
            actor=lead_practitioner,
            data={"closure_reason": "support_completed"},
        )
    with CaptureQueriesContext(connection) as reopening:
        take_transition(case=case, transition="reopen", actor=front_door, reason="New concern")

    assert len(_statements(closing)) == len(_statements(reopening)) == 2


@pytest.mark.django_db
def test_opening_a_case_in_intakes_transaction_is_three_statements_and_no_savepoint(
    default_version, front_door
):
    child = ChildFactory(area=default_version.pathway.area)
    compiled_version(default_version.pk)  # published versions are compiled once per process
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        case = engine.open_case(
            child=child,
            involvement="displaying_hsb",
            version_id=default_version.pk,
            referral=None,
            referral_received_at=timezone.now(),
            actor=front_door,
            facts={"continuum_level": "problematic"},
        )

    rows, first_move, event = _statements(captured)
    assert rows.startswith("WITH process AS (INSERT")
    assert first_move.startswith('INSERT INTO "cases_stagemove"')
    assert event.startswith('INSERT INTO "audit_auditevent"')
    assert not any("SAVEPOINT" in sql for sql in _statements(captured))
    saved = Case.objects.get(pk=case.pk)
    assert (saved.current_task_id, saved.confirmed_continuum_level) == (
        case.current_task_id,
        "problematic",
    )


@pytest.mark.django_db
def test_the_role_rule_is_compiled_once_but_read_afresh_each_move(
    default_version, front_door, lead_practitioner, make_user
):
    def led_in_early_help():
        return take_transition(
            case=open_test_case(version=default_version, actor=front_door),
            actor=front_door,
            **_to_early_help(lead_practitioner),
        )

    step_up = {
        "transition": "step_up_to_hsb_panel",
        "reason": "Escalate",
        "data": {"continuum_level": "abusive"},
    }
    first, second = led_in_early_help(), led_in_early_help()
    take_transition(case=first, actor=lead_practitioner, **step_up)
    assert engine._scoped_read_key(lead_practitioner) in engine._SCOPED_READS

    # Handed over: the same compiled rule no longer gives them the second case.
    Case.objects.filter(pk=second.pk).update(lead_practitioner=make_user())
    with pytest.raises(NotAllowedOnCase):
        take_transition(case=second, actor=lead_practitioner, **step_up)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(CASEWORK))
def test_the_role_rule_is_a_function_of_the_user_alone(role, make_user):
    """The engine caches the locked read's SQL per (user, role, agency, active): a rule that
    read the clock (or anything else at build time) would be frozen into it. Build it at two
    times a year apart: the same SQL and parameters."""
    user = make_user(role)

    def compiled():
        rows = Case.objects.filter(role_scope(user))
        return rows.query.get_compiler(using=rows.db).as_sql()

    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):
        first = compiled()
    with mock.patch("django.utils.timezone.now", return_value=now.replace(year=now.year + 1)):
        second = compiled()
    assert first == second


@pytest.mark.django_db(transaction=True)
def test_statements_deallocated_behind_the_engines_back_are_prepared_again(
    default_version, front_door, lead_practitioner
):
    first, second = (open_test_case(version=default_version, actor=front_door) for _ in "ab")
    take_transition(case=first, actor=front_door, **ROUTE)  # prepares the read and the move
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")

    moved = take_transition(case=second, actor=front_door, **ROUTE)

    assert moved.current_stage.key == "hsb_panel"
    assert Case.objects.get(pk=second.pk).lock_version == second.lock_version + 1
