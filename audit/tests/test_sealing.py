"""The sealer links every finished event, in order, into exactly one signed seal."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from agencies.models import LocalArea
from audit.chain import chain_keys, seal_mac
from audit.models import AuditEvent, AuditSeal, SealBasis
from audit.sealing import seal_pending_events
from audit.services import record_event
from audit.verification import verify_trail

from .conftest import write_events

pytestmark = pytest.mark.django_db(transaction=True)


def _sealed_ids() -> list[int]:
    """Every event id once per seal whose range holds it."""
    ids: list[int] = []
    after_id = 0
    for seal in AuditSeal.objects.order_by("seq"):
        if seal.basis == SealBasis.XID:
            events = AuditEvent.objects.filter(xid__gte=seal.xid_from, xid__lt=seal.xid_to)
        else:
            events = AuditEvent.objects.filter(
                xid__isnull=True, id__gt=after_id, id__lte=seal.last_id
            )
            after_id = seal.last_id
        in_seal = list(events.values_list("id", flat=True))
        assert len(in_seal) == seal.event_count
        ids += in_seal
    return ids


def test_a_seal_links_every_finished_event_once_and_is_signed():
    events = write_events(5)

    seal = seal_pending_events()

    assert seal is not None
    assert (seal.seq, seal.event_count, seal.total_count) == (1, 5, 5)
    assert (seal.first_id, seal.last_id) == (events[0].pk, events[-1].pk)
    assert seal.hash == seal_mac(seal, seal.key_id, chain_keys()[seal.key_id])
    assert seal_pending_events() is None
    more = write_events(2)
    second = seal_pending_events()
    assert second is not None
    assert (second.seq, second.prev_hash, second.event_count) == (2, seal.hash, 2)
    assert second.last_id == more[-1].pk
    assert sorted(_sealed_ids()) == sorted(e.pk for e in events + more)
    assert verify_trail().intact


def test_the_command_seals_and_exports_an_anchor(anchor_dir, capsys):
    write_events(3)

    call_command("seal_audit_trail", "--export-anchor")

    out = capsys.readouterr().out
    assert "sealed 3 events as seal 1" in out
    assert len(list(anchor_dir.glob("audit-anchor-*.json"))) == 1


@pytest.mark.postgres
def test_an_event_of_an_open_transaction_waits_for_a_later_seal():
    # Its transaction id is below later ones already committed; sealing those first must
    # not skip it.
    if connection.vendor != "postgresql":
        pytest.skip("transaction horizons are PostgreSQL's")
    area = LocalArea.objects.create(name="Slow writer")
    inserted, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                record_event(actor=None, action="test.slow", target=area)
                inserted.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    inserted.wait(timeout=10)
    fast = write_events(3, action="test.fast")

    first = seal_pending_events()
    release.set()
    thread.join(timeout=10)
    second = seal_pending_events()

    assert first is None  # the open transaction holds the horizon below every event
    assert second is not None
    assert second.event_count == 4
    slow = AuditEvent.objects.get(action="test.slow")
    assert slow.xid < min(e.xid for e in fast)
    assert verify_trail().intact


def _writers(count: int, events_each: int, errors: list[BaseException]) -> list[threading.Thread]:
    area = LocalArea.objects.create(name="Busy area")
    start = threading.Barrier(count)

    def write(n: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(events_each):
                # Two events per transaction, so transactions overlap mid-way.
                with transaction.atomic():
                    record_event(actor=None, action="test.busy", target=area, changes={"i": i})
                    record_event(actor=None, action="test.busy", target=area, changes={"n": n})
        except BaseException as exc:  # pragma: no cover - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return [threading.Thread(target=write, args=(n,)) for n in range(count)]


@pytest.mark.postgres
def test_eight_concurrent_writers_and_a_running_sealer_seal_every_event_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    errors: list[BaseException] = []
    writers = _writers(8, 15, errors)
    done = threading.Event()

    def keep_sealing() -> None:
        try:
            while not done.is_set():
                seal_pending_events()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    sealer = threading.Thread(target=keep_sealing)
    sealer.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    done.set()
    sealer.join(timeout=60)
    seal_pending_events()

    assert errors == []
    ids = _sealed_ids()
    assert len(ids) == len(set(ids)) == AuditEvent.objects.count() == 8 * 15 * 2
    assert AuditSeal.objects.order_by("-seq").first().total_count == 240
    report = verify_trail()
    assert report.problems == []
    assert report.pending == 0


@pytest.mark.postgres
def test_two_sealers_at_once_never_seal_an_event_twice():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sealers need PostgreSQL")
    errors: list[BaseException] = []
    writers = _writers(4, 10, errors)
    sealers_start = threading.Barrier(2)
    stop = threading.Event()
    made: list[int] = []

    def seal_repeatedly() -> None:
        try:
            sealers_start.wait(timeout=10)
            while not stop.is_set():
                seal = seal_pending_events()
                if seal is not None:
                    made.append(seal.seq)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    sealers = [threading.Thread(target=seal_repeatedly) for _ in range(2)]
    for thread in sealers + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    stop.set()
    for thread in sealers:
        thread.join(timeout=60)
    seal_pending_events()

    assert errors == []
    assert len(made) == len(set(made))  # no seal number handed out twice
    ids = _sealed_ids()
    assert len(ids) == len(set(ids)) == 80
    assert verify_trail().problems == []


@pytest.mark.postgres
def test_the_worker_seals_and_verifies_as_the_serving_role():
    # The serving role may only INSERT and SELECT audit rows (agencies/db_context.py): that
    # is all sealing needs, so the worker need not hold the owner's rights.
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hsb_app'")
        if cursor.fetchone() is None:
            pytest.skip("no serving role in this cluster (scripts/run_tests.py creates it)")
    write_events(3)
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE hsb_app")
    try:
        seal = seal_pending_events()
        report = verify_trail(check_anchor=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    assert seal is not None and seal.event_count == 3
    assert report.problems == []
