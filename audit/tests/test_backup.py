"""Backups (deploy/backup.sh) restore, and check_backup verifies them against the anchor.

Real pg_dump and pg_restore against the test cluster: the data must be committed for pg_dump
to see it, hence transactional tests. Every check restores into a scratch database on the
same server, connecting as the test session's role.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.anchors import export_anchor
from audit.models import AuditEvent, AuditSeal
from audit.restore import (
    SCRATCH_PREFIX,
    Server,
    drop_database,
    find_pg_tool,
    scratch_database_name,
)
from audit.sealing import seal_pending_events
from cases.models import Case, Child, Referral
from cases.referrals.services import record_referral

from .conftest import TABLES, execute, write_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BACKUP_SCRIPT = Path(settings.BASE_DIR) / "deploy" / "backup.sh"
BORN = datetime.date.today().replace(year=datetime.date.today().year - 13)
# Invented, and unlike one another: intake proposes similar names as duplicates.
NAMES = [
    ("Ansel", "Quarrington"),
    ("Briony", "Falstead"),
    ("Cosmo", "Wetherell"),
    ("Delphine", "Ostwick"),
    ("Evander", "Pullinger"),
    ("Fenella", "Yardley"),
    ("Gulliver", "Mottram"),
    ("Henrietta", "Scawton"),
]


def _load_run_tests() -> ModuleType:
    """scripts/run_tests.py by path (as tests/production/harness.py does): its clusters."""
    name = "hsb_scripts_run_tests"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(settings.BASE_DIR) / "scripts" / "run_tests.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("backups are pg_dump archives: PostgreSQL only")


@pytest.fixture(autouse=True)
def _no_scratch_database_left_behind() -> Any:
    yield
    leftovers = scratch_databases()
    for name in leftovers:
        drop_database(source_server(), name)
    assert not leftovers, f"check_backup left scratch databases behind: {leftovers}"


def source_server() -> Server:
    return Server.from_settings(connection.settings_dict)


def scratch_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [SCRATCH_PREFIX]
        )
        return [name for (name,) in cursor.fetchall()]


def refer_children(front_door: Any, how_many: int) -> None:
    """Invented referrals, each naming one child displaying HSB and one child harmed."""
    start = Child.objects.count()
    for i in range(start, start + 2 * how_many, 2):
        record_referral(
            actor=front_door,
            received_at=timezone.now() - datetime.timedelta(hours=1),
            source="2A",
            description="Invented referral for the backup tests.",
            behaviours=[
                {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
            ],
            children=[
                {
                    "involvement": "displaying_hsb",
                    "first_name": NAMES[i][0],
                    "last_name": NAMES[i][1],
                    "date_of_birth": BORN,
                    "gender": "boy",
                },
                {
                    "involvement": "harmed",
                    "first_name": NAMES[i + 1][0],
                    "last_name": NAMES[i + 1][1],
                    "date_of_birth": BORN,
                    "gender": "girl",
                },
            ],
            parents_informed=True,
        )


def seal_and_export(anchor_dir: Path) -> Path:
    assert seal_pending_events() is not None
    path = export_anchor(anchor_dir)
    assert path is not None
    return path


def run_backup(backup_dir: Path, anchor_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    environment.update(
        DATABASE_URL=source_server().url(),
        AUDIT_ANCHOR_DIR=str(anchor_dir),
        PG_DUMP=find_pg_tool("pg_dump"),
        PG_RESTORE=find_pg_tool("pg_restore"),
    )
    environment.update(env)
    return subprocess.run(  # noqa: S603 - fixed argv: the repository's script
        [str(BACKUP_SCRIPT), str(backup_dir)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def back_up(backup_dir: Path, anchor_dir: Path) -> Path:
    result = run_backup(backup_dir, anchor_dir)
    assert result.returncode == 0, result.stderr
    (dump,) = backup_dir.glob("hsb-*.dump")
    return dump


def check(dump: Path, **options: Any) -> str:
    out, err = _Capture(), _Capture()
    call_command("check_backup", str(dump), stdout=out, stderr=err, **options)
    return out.text + err.text


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


@pytest.fixture
def trail(front_door: Any, default_version: Any, anchor_dir: Path) -> Path:
    """Three referrals (six children, six cases), their events sealed and anchored."""
    refer_children(front_door, 3)
    return seal_and_export(anchor_dir)


def test_a_backup_restores_and_its_trail_verifies_against_the_latest_anchor(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    write_events(2)  # after the last seal: verified, reported as awaiting their seal
    backups = tmp_path / "backups"

    dump = back_up(backups, anchor_dir)
    output = check(dump, anchor_dir=anchor_dir)

    stamp = dump.name.removeprefix("hsb-").removesuffix(".dump")
    assert sorted(p.name for p in backups.iterdir()) == [
        f"hsb-{stamp}.anchors.tar",
        f"hsb-{stamp}.dump",
        f"hsb-{stamp}.sha256",
    ]
    assert f"checksum matches hsb-{stamp}.sha256" in output
    seals = AuditSeal.objects.count()
    assert f"audit trail intact: {AuditEvent.objects.count()} events, {seals} seals" in output
    assert "2 awaiting their seal" in output
    assert f"against anchor {trail.name} (seal {seals}," in output
    assert f"matches anchor {trail.name}" in output
    assert Child.objects.count() == 6 and Case.objects.count() == 6
    for title, count in (
        ("children", Child.objects.count()),
        ("referrals", Referral.objects.count()),
        ("cases", Case.objects.count()),
        ("audit events", AuditEvent.objects.count()),
        ("audit seals", seals),
    ):
        assert f"  {title}: {count}\n" in output
    assert "backup check passed" in output
    # No name, date of birth or reference of a child in the report: counts only.
    assert not any(name in output for pair in NAMES for name in pair)


def test_a_backup_through_a_pg_dump_command_line_verifies_with_sha256sum(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    # PG_DUMP as a command with its own connection arguments and no DATABASE_URL, the shape
    # of "docker compose exec -T db pg_dump -U hsb_owner hsb" (README).
    server = source_server()
    pg_dump = f"{find_pg_tool('pg_dump')} -h {server.host} -p {server.port} -U {server.user}"
    result = run_backup(
        tmp_path / "backups", anchor_dir, DATABASE_URL="", PG_DUMP=f"{pg_dump} {server.name}"
    )
    assert result.returncode == 0, result.stderr
    (dump,) = (tmp_path / "backups").glob("hsb-*.dump")
    assert "backup check passed" in check(dump, anchor_dir=anchor_dir)

    result = subprocess.run(  # noqa: S603
        ["sha256sum", "-c", dump.with_suffix(".sha256").name],  # noqa: S607 - coreutils
        cwd=dump.parent,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert ".dump: OK" in result.stdout and ".anchors.tar: OK" in result.stdout


def test_a_backup_carries_the_newest_anchors_and_skips_one_not_yet_written(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    write_events(1)
    second = seal_and_export(anchor_dir)
    write_events(1)
    third = seal_and_export(anchor_dir)
    # The sealer has created its next anchor but not yet written it.
    (anchor_dir / "audit-anchor-999999999999-20991231T000000000000Z.json").touch()

    result = run_backup(tmp_path / "backups", anchor_dir, BACKUP_ANCHORS="2")

    assert result.returncode == 0, result.stderr
    assert "(anchors: 2)" in result.stdout
    (archive,) = (tmp_path / "backups").glob("hsb-*.anchors.tar")
    with tarfile.open(archive) as tar:
        names = sorted(Path(name).name for name in tar.getnames() if name.endswith(".json"))
    assert names == [second.name, third.name]
    assert trail.name not in names


def test_a_kept_restore_has_the_row_level_security_of_the_original(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    dump = back_up(tmp_path / "backups", anchor_dir)
    policies = (
        "SELECT c.relname, c.relrowsecurity, p.polname, pg_get_expr(p.polqual, p.polrelid) "
        "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid ORDER BY c.relname, p.polname"
    )
    with connection.cursor() as cursor:
        cursor.execute(policies)
        original = cursor.fetchall()

    output = check(dump, anchor_dir=anchor_dir, keep=True)

    (kept,) = scratch_databases()
    assert f"scratch database {kept} kept" in output
    try:
        restored = source_server().database(kept).connect()
        with restored.cursor() as cursor:
            cursor.execute(policies)
            assert cursor.fetchall() == original
        restored.close()
    finally:
        drop_database(source_server(), kept)
    assert len(original) >= 5 and all(enabled for _, enabled, _, _ in original)


def test_the_documented_restore_as_the_owner_keeps_ownership_grants_and_row_level_security(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    # README, "Backups and restore": a database owned by hsb_owner, pg_restore --no-owner
    # connected as hsb_owner, then migrate as hsb_owner.
    dump = back_up(tmp_path / "backups", anchor_dir)
    name = scratch_database_name()
    execute(f'CREATE DATABASE "{name}" OWNER hsb_owner')
    server = source_server()
    owner = Server(server.host, server.port, "hsb_owner", "", name, server.options)
    app = Server(server.host, server.port, "hsb_app", "", name, server.options)
    try:
        pg_restore = [find_pg_tool("pg_restore"), "--no-owner", "--single-transaction"]
        restored = subprocess.run(  # noqa: S603 - fixed argv: pg_restore and the dump
            [*pg_restore, "--exit-on-error", "--dbname", name, str(dump)],
            env=owner.libpq_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert restored.returncode == 0, restored.stderr
        env = {**os.environ, "DATABASE_URL": owner.url()}
        migrated = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        assert "No migrations to apply" in migrated.stdout

        conn = owner.connect()
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tableowner <> 'hsb_owner'"
            )
            assert cursor.fetchone() == (0,)
            cursor.execute(
                "SELECT has_table_privilege('hsb_app', 'cases_case', 'SELECT'), "
                "has_table_privilege('hsb_app', 'audit_auditevent', 'INSERT'), "
                "has_table_privilege('hsb_app', 'audit_auditevent', 'UPDATE'), "
                "has_table_privilege('hsb_app', 'audit_auditevent', 'DELETE')"
            )
            assert cursor.fetchone() == (True, True, False, False)
            cursor.execute(
                "SELECT DISTINCT tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal"
            )
            assert cursor.fetchall() == [("O",)]  # the append-only triggers, enabled
        conn.close()
        # Row-level security binds the serving role in the restored database.
        conn = app.connect()
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_case")
            assert cursor.fetchone() == (Case.objects.count(),)  # system context: unset
            cursor.execute("SELECT set_config('app.area_ids', '-1', false)")
            cursor.execute("SELECT count(*) FROM cases_case")
            assert cursor.fetchone() == (0,)
        conn.close()
    finally:
        drop_database(server, name)


def test_a_backup_older_than_the_anchor_fails_and_says_so(
    trail: Path, front_door: Any, anchor_dir: Path, tmp_path: Path
) -> None:
    old_dump = back_up(tmp_path / "old", anchor_dir)
    refer_children(front_door, 1)
    newer = seal_and_export(anchor_dir)

    with pytest.raises(CommandError) as failure:
        check(old_dump, anchor_dir=anchor_dir)

    message = str(failure.value)
    assert "backup older than the anchor" in message
    head = AuditSeal.objects.order_by("-seq").first()
    assert head is not None
    assert f"its audit chain ends at seal {head.seq - 1}" in message
    assert f"{newer.name} (seal {head.seq}," in message
    assert "restore the newest backup" in message
    # An anchor file by any other name is still the anchor (not "no anchor found").
    renamed = tmp_path / "newest.json"
    renamed.write_bytes(newer.read_bytes())
    with pytest.raises(CommandError, match="backup older than the anchor"):
        check(old_dump, anchor=renamed)
    # The same backup checked against the anchor it was taken with passes.
    assert "backup check passed" in check(old_dump, anchor=trail)


def test_a_backup_of_a_trail_with_an_edited_event_fails_verification(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    edited = AuditEvent.objects.filter(action="referral.received").order_by("id").first()
    assert edited is not None
    # As the tables' owner (here the superuser) could: lift the append-only triggers, rewrite
    # an event, put them back. The key is not in the database, so the MAC stays stale.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in TABLES:
        execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        execute(
            "UPDATE audit_auditevent SET reason = %s WHERE id = %s",
            ["Nothing was referred", edited.pk],
        )
    finally:
        for table in TABLES:
            execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    dump = back_up(tmp_path / "backups", anchor_dir)

    with pytest.raises(CommandError) as failure:
        check(dump, anchor_dir=anchor_dir)

    message = str(failure.value)
    assert "the restored audit trail is broken" in message
    assert f"event id {edited.pk} (" in message
    assert "was edited or re-signed without the key" in message


def test_a_dump_changed_after_the_backup_fails_its_checksum_before_any_restore(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    dump = back_up(tmp_path / "backups", anchor_dir)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="does not match its checksum"):
        check(dump, anchor_dir=anchor_dir)


def test_a_truncated_dump_fails_to_restore_and_its_scratch_database_is_dropped(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    dump = back_up(tmp_path / "backups", anchor_dir)
    dump.with_suffix(".sha256").unlink()  # so that pg_restore meets the damage, not sha256
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])

    with pytest.raises(CommandError, match=r"pg_restore failed \(status 1\)"):
        check(dump, anchor_dir=anchor_dir)
    # The autouse fixture fails the test if the scratch database is still there.


def test_a_check_without_any_anchor_refuses_rather_than_passing(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    dump = back_up(tmp_path / "backups", anchor_dir)
    empty = tmp_path / "no-anchors"
    empty.mkdir()

    with pytest.raises(CommandError, match="no anchor in"):
        check(dump, anchor_dir=empty)


def test_a_failed_dump_leaves_no_backup_behind(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    missing = source_server().database("hsb_no_such_database").url()

    result = run_backup(backups, anchor_dir, DATABASE_URL=missing)

    assert result.returncode != 0
    assert "backup FAILED: pg_dump exited" in result.stderr
    assert list(backups.iterdir()) == []


def test_the_serving_role_cannot_take_a_backup(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    # hsb_app may not read sequences' state, and row-level security would hide every area's
    # cases from it (pg_dump runs with row_security off, so it errors rather than filtering):
    # a backup runs as the owner, and a mistaken one leaves nothing that looks like a backup.
    server = source_server()
    as_app = Server(server.host, server.port, "hsb_app", "", server.name, server.options)
    backups = tmp_path / "backups"

    result = run_backup(backups, anchor_dir, DATABASE_URL=as_app.url())

    assert result.returncode != 0
    assert "permission denied" in result.stderr
    assert "backup FAILED: pg_dump exited with status 1" in result.stderr
    assert list(backups.iterdir()) == []


def test_a_restore_into_a_new_cluster_says_to_advance_its_transaction_counter(
    trail: Path, anchor_dir: Path, tmp_path: Path
) -> None:
    # A fresh cluster hands out transaction ids below the restored seals' (audit/sealing.py
    # orders events by them): the check passes, and says what to do before serving there.
    run_tests = _load_run_tests()
    binaries = run_tests.find_postgres()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries for a second cluster")
    dump = back_up(tmp_path / "backups", anchor_dir)
    last_xid_to = AuditSeal.objects.order_by("-seq").values_list("xid_to", flat=True)[0]

    with run_tests.throwaway_cluster(binaries) as fresh:
        conn = Server.from_url(fresh.database_url).connect()
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            (fresh_next_xid,) = cursor.fetchone()
        conn.close()
        assert fresh_next_xid + 10 < last_xid_to, "precondition: the fresh cluster is behind"
        output = check(dump, anchor_dir=anchor_dir, admin_url=fresh.database_url)

    assert "backup check passed" in output
    assert f"behind the restored seals ({last_xid_to})" in output
    assert "pg_resetwal --epoch=1" in output
