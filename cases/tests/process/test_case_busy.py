"""A case another writer holds answers 409 at once (issue 12, item 11).

viewflow's own row lock retried for 6-10 s and then failed with a 500. `CaseRowLock`
retries NOWAIT for under a second, then says the case is busy. Only PostgreSQL has real row
locks: a thread on its own connection holds the case's row while the test writes.
"""

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from viewflow.workflow.exceptions import FlowLockFailed

from audit.models import AuditEvent
from cases.models import Case, CaseNote, StageMove
from cases.process.engine import take_transition
from cases.process.flow import CASE_BUSY_MESSAGE
from cases.services import add_case_note
from cases.tests.factories import open_case
from pathways.exceptions import CaseBusy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

WITHIN = 1.5  # seconds: the issue asks for an answer within 1 s; this allows for a busy CI box
# A move that names no lead practitioner (the panel needs none).
ROUTE = {"transition": "refer_to_hsb_panel", "data": {"continuum_level": "abusive"}}


@contextmanager
def _row_held(case):
    """Another writer, on its own connection, holds the case's row lock until released."""
    locked, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk"))
                locked.set()
                release.wait(timeout=30)
        except BaseException as error:  # reported below, in the test's thread
            failure.append(error)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=10)
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def _written(case):
    return (
        Case.objects.get(pk=case.pk).lock_version,
        StageMove.objects.filter(case_id=case.pk).count(),
        CaseNote.objects.filter(case_id=case.pk).count(),
        AuditEvent.objects.count(),
    )


def test_a_transition_on_a_held_case_is_a_conflict_within_a_second(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    before = _written(case)

    with _row_held(case):
        started = time.monotonic()
        with pytest.raises(CaseBusy) as refused:
            take_transition(case=case, actor=front_door, **ROUTE)
        waited = time.monotonic() - started

    assert waited < WITHIN, f"waited {waited:.2f} s"
    assert refused.value.status_code == 409
    assert refused.value.message == CASE_BUSY_MESSAGE
    # viewflow's own callers (timers, boundary events) skip a locked task on FlowLockFailed.
    assert isinstance(refused.value, FlowLockFailed)
    assert _written(case) == before, "a refused write writes nothing"
    # Once the other writer is done, the same call goes through.
    assert take_transition(case=case, actor=front_door, **ROUTE).current_stage.key == "hsb_panel"


def test_the_api_answers_409_with_a_clear_message_within_a_second(default_version, front_door):
    case = open_case(version=default_version, actor=front_door)
    client = APIClient()
    client.force_authenticate(front_door)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 200  # warm, as a live server is
    before = _written(case)

    with _row_held(case):
        started = time.monotonic()
        answer = client.post(
            f"/api/cases/{case.pk}/transitions/",
            {**ROUTE, "expected_version": case.lock_version},
            format="json",
        )
        waited = time.monotonic() - started

    assert waited < WITHIN, f"waited {waited:.2f} s"
    assert answer.status_code == 409
    assert answer.json() == {"code": "case_busy", "detail": CASE_BUSY_MESSAGE}
    assert _written(case) == before


def test_every_write_under_the_case_lock_is_told_the_same(default_version, front_door):
    # The services of the case record take the same lock (`PathwayFlow.lock`).
    case = open_case(version=default_version, actor=front_door)

    with _row_held(case):
        started = time.monotonic()
        with pytest.raises(CaseBusy):
            add_case_note(case=case, text="Invented note.", actor=front_door)
        waited = time.monotonic() - started

    assert waited < WITHIN, f"waited {waited:.2f} s"
    assert not CaseNote.objects.filter(case_id=case.pk).exists()


def test_inside_a_larger_transaction_a_refused_lock_leaves_it_usable(default_version, front_door):
    # The lock is often taken inside a request's or a service's transaction: a refused
    # attempt rolls back to its savepoint, and the outer transaction goes on.
    case = open_case(version=default_version, actor=front_door)

    with _row_held(case), transaction.atomic():
        with pytest.raises(CaseBusy):
            take_transition(case=case, actor=front_door, **ROUTE)
        assert Case.objects.filter(pk=case.pk).exists()
