"""The restore drill: restore a pg_dump into a scratch database and verify its audit trail.

A backup is only known to be good once it has been restored and its audit trail checked
against an anchor kept outside the database. `check_backup` does that end to end:

1. creates a scratch database `hsb_restore_check_<UTC time>_<random>` as a role allowed to
   create databases (`--admin-url`, `RESTORE_CHECK_DATABASE_URL`, else the server and role of
   `DATABASES["default"]`);
2. restores the dump with `pg_restore --no-owner --no-privileges --single-transaction`: every
   object is then owned by the restoring role, so the check needs neither the cluster
   superuser nor the deployment's roles on the drill server (ownership and the serving
   role's grants are the production restore's business: `pg_restore` as hsb_owner, then
   `migrate` re-grants hsb_app). Row-level security policies name no role and are restored;
3. runs `verify_audit_trail` — the same code, in a child process whose DATABASE_URL names
   the scratch database — against one anchor (the newest in a directory, or a given file),
   so the restored chain must be intact and must still hold the seal the anchor names;
4. reports counts of a few key tables (counts only: no identifiers leave the scratch
   database) and drops the scratch database, unless asked to keep it.

Needs the chain keys (AUDIT_CHAIN_KEYS) of the trail being verified: they are not in the
dump, by design.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import environ
import psycopg2
from django.apps import apps
from django.conf import settings
from django.db import connections
from psycopg2 import sql

from .anchors import PREFIX, Anchor, latest_anchor, read_anchor

SCRATCH_PREFIX = "hsb_restore_check_"
# Counted in the restored database, by model label: the audit app sits below the case apps,
# so it names them through the app registry rather than importing them.
COUNTED_MODELS = (
    ("children", "cases.Child"),
    ("referrals", "cases.Referral"),
    ("cases", "cases.Case"),
    ("audit events", "audit.AuditEvent"),
    ("audit seals", "audit.AuditSeal"),
)
# pg_restore may take a while on a big dump; the verifier streams a million events in minutes.
RESTORE_TIMEOUT_SECONDS = 6 * 60 * 60
VERIFY_TIMEOUT_SECONDS = 6 * 60 * 60


class RestoreCheckError(Exception):
    """The backup could not be restored or checked; the message says why."""


@dataclass(frozen=True)
class Server:
    """Where and as whom to connect: a Django DATABASES entry's connection fields."""

    host: str
    port: str
    user: str
    password: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, entry: dict[str, Any]) -> Server:
        engine = str(entry.get("ENGINE", ""))
        if "postgresql" not in engine and "postgis" not in engine:
            raise RestoreCheckError(
                f"the restore check needs PostgreSQL; the database is {engine or 'unknown'}"
            )
        options = {k: v for k, v in (entry.get("OPTIONS") or {}).items() if isinstance(v, str)}
        return cls(
            host=str(entry.get("HOST") or ""),
            port=str(entry.get("PORT") or ""),
            user=str(entry.get("USER") or ""),
            password=str(entry.get("PASSWORD") or ""),
            name=str(entry.get("NAME") or ""),
            options=options,
        )

    @classmethod
    def from_url(cls, url: str) -> Server:
        return cls.from_settings(environ.Env.db_url_config(url))

    def database(self, name: str) -> Server:
        return Server(self.host, self.port, self.user, self.password, name, self.options)

    def connect(self) -> Any:
        params: dict[str, Any] = {"dbname": self.name, **self.options}
        for key, value in (
            ("host", self.host),
            ("port", self.port),
            ("user", self.user),
            ("password", self.password),
        ):
            if value:
                params[key] = value
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        return conn

    def libpq_environment(self) -> dict[str, str]:
        """PG* variables for pg_restore: the password stays out of the process list."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        for key, value in (
            ("PGHOST", self.host),
            ("PGPORT", self.port),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGDATABASE", self.name),
            ("PGSSLMODE", str(self.options.get("sslmode", ""))),
        ):
            if value:
                env[key] = value
        return env

    def url(self) -> str:
        """A DATABASE_URL for this server and database, as the settings read it."""
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        # A Unix socket directory is written percent-encoded in the host part.
        location = quote(self.host, safe="") + (f":{self.port}" if self.port else "")
        # %20, not "+", for a space: libpq reads a URI given to pg_dump and does not decode "+".
        query = f"?{urlencode(self.options, quote_via=quote)}" if self.options else ""
        at = "@" if credentials else ""
        return f"postgres://{credentials}{at}{location}/{quote(self.name, safe='')}{query}"


def admin_server(admin_url: str | None) -> Server:
    """The role that creates the scratch database: the option, the setting, else default's."""
    url = admin_url or settings.RESTORE_CHECK_DATABASE_URL
    if url:
        return Server.from_url(url)
    return Server.from_settings(connections["default"].settings_dict)


def find_pg_tool(name: str) -> str:
    """A PostgreSQL client program: the highest packaged version (Debian's layout, as
    scripts/run_tests.py looks), else PATH. pg_restore reads dumps of its own and older
    versions only, so the newest installed is the right one."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name)) or (0,)

    packaged = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    for candidate in reversed(packaged):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RestoreCheckError(f"{name} not found: install the PostgreSQL client programs")
    return found


def scratch_database_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dt%H%M%S")
    # Random suffix: two drills started in the same second never share a database.
    return f"{SCRATCH_PREFIX}{stamp}_{secrets.token_hex(3)}"


def choose_anchor(*, anchor_file: Path | None, anchor_dir: Path | None) -> Anchor:
    if anchor_file is not None:
        if not anchor_file.is_file():
            raise RestoreCheckError(f"anchor file {anchor_file} does not exist")
        try:
            return read_anchor(anchor_file)
        except (ValueError, KeyError) as exc:
            raise RestoreCheckError(f"{anchor_file} is not an audit anchor: {exc}") from exc
    directory = anchor_dir or Path(settings.AUDIT_ANCHOR_DIR)
    try:
        anchor = latest_anchor(directory)
    except (ValueError, KeyError) as exc:
        raise RestoreCheckError(f"the newest anchor in {directory} is unreadable: {exc}") from exc
    if anchor is None:
        raise RestoreCheckError(
            f"no anchor in {directory}: without one, a backup whose newest seals were removed "
            "cannot be told from a good one (give --anchor-dir or --anchor)"
        )
    return anchor


def check_checksum(dump: Path) -> str | None:
    """Compare the dump with the `.sha256` file backup.sh wrote beside it, if there is one.

    Returns a line for the report, or None when there is no checksum file."""
    sums = dump.with_suffix(".sha256")
    if not sums.is_file():
        return None
    expected = None
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        if name.strip() == dump.name:
            expected = digest.strip()
    if expected is None:
        raise RestoreCheckError(f"{sums.name} lists no checksum for {dump.name}")
    actual = hashlib.sha256()
    with dump.open("rb") as file:
        while chunk := file.read(1 << 20):
            actual.update(chunk)
    if actual.hexdigest() != expected:
        raise RestoreCheckError(
            f"{dump.name} does not match its checksum in {sums.name}: the file is corrupt or "
            "was changed after the backup"
        )
    return f"checksum matches {sums.name}"


@dataclass
class RestoredChain:
    head_seq: int
    head_sealed_at: datetime | None
    last_xid_to: int | None
    next_xid: int


@dataclass
class CheckResult:
    database: str
    anchor: Anchor
    counts: dict[str, int]
    chain: RestoredChain
    verification: str
    notes: list[str]


@contextmanager
def scratch_database(admin: Server, *, keep: bool, name: str | None = None) -> Iterator[Server]:
    """A new empty database on the admin's server, dropped afterwards unless `keep`."""
    name = name or scratch_database_name()
    conn = admin.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg2.Error as exc:
        role = admin.user or "the default role"
        raise RestoreCheckError(
            f"could not create the scratch database {name} as {role}: "
            f"{(exc.pgerror or str(exc)).strip()} (the role needs CREATEDB; see --admin-url)"
        ) from exc
    finally:
        conn.close()
    try:
        yield admin.database(name)
    finally:
        if not keep:
            drop_database(admin, name)


def drop_database(admin: Server, name: str) -> None:
    conn = admin.connect()
    try:
        with conn.cursor() as cursor:
            # FORCE (PostgreSQL 13+): a verifier killed mid-run may leave a session behind.
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        conn.close()


def restore(dump: Path, target: Server) -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv: pg_restore, its options, the dump path
        [
            find_pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            # All or nothing; and one transaction id, not one per object restored.
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            target.name,
            str(dump),
        ],
        env=target.libpq_environment(),
        capture_output=True,
        text=True,
        timeout=RESTORE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise RestoreCheckError(
            f"pg_restore failed (status {result.returncode}): {result.stderr.strip()}"
        )


def _table(label: str) -> str:
    return str(apps.get_model(label)._meta.db_table)


def count_rows(target: Server) -> dict[str, int]:
    counts: dict[str, int] = {}
    conn = target.connect()
    try:
        with conn.cursor() as cursor:
            for title, label in COUNTED_MODELS:
                cursor.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(_table(label)))
                )
                counts[title] = int(cursor.fetchone()[0])
    except psycopg2.Error as exc:
        raise RestoreCheckError(f"the restored database lacks a table: {exc.pgerror}") from exc
    finally:
        conn.close()
    return counts


def restored_chain(target: Server) -> RestoredChain:
    seals = sql.Identifier(_table("audit.AuditSeal"))
    conn = target.connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT seq, sealed_at FROM {} ORDER BY seq DESC LIMIT 1").format(seals)
            )
            head = cursor.fetchone()
            cursor.execute(sql.SQL("SELECT max(xid_to) FROM {}").format(seals))
            (last_xid_to,) = cursor.fetchone()
            # The next transaction id this cluster hands out, without taking one.
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            (next_xid,) = cursor.fetchone()
    finally:
        conn.close()
    return RestoredChain(
        head_seq=int(head[0]) if head else 0,
        head_sealed_at=head[1] if head else None,
        last_xid_to=int(last_xid_to) if last_xid_to is not None else None,
        next_xid=int(next_xid),
    )


def verify_restored(target: Server, anchor: Anchor) -> subprocess.CompletedProcess[str]:
    """`verify_audit_trail` against the scratch database and this one anchor.

    A child process rather than a second connection alias: the verifier reads through the
    default connection, and this runs it unchanged, with the settings (and chain keys) of
    this process. The anchor is copied alone into an empty directory so that it, and no
    newer file, is "the latest anchor"; under an anchor's file name whatever it was called,
    or the verifier would find no anchor, warn, and pass."""
    assert anchor.path is not None
    name = anchor.path.name
    if not (name.startswith(PREFIX) and name.endswith(".json")):
        name = f"{PREFIX}{anchor.seq:012d}-given.json"
    with tempfile.TemporaryDirectory(prefix="hsb-restore-anchor-") as directory:
        shutil.copyfile(anchor.path, Path(directory) / name)
        env = dict(os.environ)
        env["DATABASE_URL"] = target.url()
        env["AUDIT_ANCHOR_DIR"] = directory
        env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
        return subprocess.run(
            [sys.executable, "-m", "django", "verify_audit_trail"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=VERIFY_TIMEOUT_SECONDS,
            check=False,
        )


def _describe_anchor(anchor: Anchor) -> str:
    name = anchor.path.name if anchor.path else "the anchor"
    return f"{name} (seal {anchor.seq}, exported {anchor.exported_at or 'at an unknown time'})"


def check_backup(
    dump: Path,
    *,
    anchor: Anchor,
    admin: Server,
    keep: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> CheckResult:
    """Restore `dump` into a scratch database and verify its trail against `anchor`.

    Raises RestoreCheckError naming what failed; returns the figures when all is well."""
    if not dump.is_file():
        raise RestoreCheckError(f"{dump} does not exist")
    checksum = check_checksum(dump)
    if checksum:
        progress(checksum)
    try:
        return _restore_and_verify(dump, anchor=anchor, admin=admin, keep=keep, progress=progress)
    except subprocess.TimeoutExpired as exc:
        raise RestoreCheckError(f"{exc.cmd[0]} ran longer than {exc.timeout:.0f} s") from exc


def _restore_and_verify(
    dump: Path,
    *,
    anchor: Anchor,
    admin: Server,
    keep: bool,
    progress: Callable[[str], None],
) -> CheckResult:
    notes: list[str] = []
    with scratch_database(admin, keep=keep) as target:
        kept = " (kept afterwards: --keep)" if keep else ""
        progress(f"restoring {dump.name} into scratch database {target.name}{kept}")
        restore(dump, target)
        counts = count_rows(target)
        chain = restored_chain(target)
        progress(f"verifying the audit trail against anchor {_describe_anchor(anchor)}")
        verified = verify_restored(target, anchor)
        if keep:
            notes.append(f"scratch database {target.name} kept (--keep): drop it when done")
        output = (verified.stdout + verified.stderr).strip()
        if verified.returncode != 0:
            if chain.head_seq < anchor.seq:
                raise RestoreCheckError(
                    f"backup older than the anchor: its audit chain ends at seal "
                    f"{chain.head_seq}, anchor {_describe_anchor(anchor)} names seal "
                    f"{anchor.seq}. Expected for an older backup: check it against the anchor "
                    "saved with it (--anchor), and restore the newest backup. If this backup "
                    "should be the newest, seals were removed from it.\n" + output
                )
            raise RestoreCheckError(f"the restored audit trail is broken:\n{output}")
        if chain.last_xid_to is not None and chain.next_xid <= chain.last_xid_to:
            # Sealing orders events by transaction id (audit/sealing.py): on a cluster whose
            # counter is behind the restored seals, new events would fall inside old seals'
            # ranges (the trail would read as tampered) and never be sealed. A logical restore
            # into a new cluster meets this; the epoch is the high half of the 64-bit id.
            notes.append(
                f"this cluster's transaction counter ({chain.next_xid}) is behind the restored "
                f"seals ({chain.last_xid_to}): before a restore on this cluster serves, stop "
                f"it and run pg_resetwal --epoch={(chain.last_xid_to >> 32) + 1} (README, "
                "'Backups and restore')"
            )
        return CheckResult(
            database=target.name,
            anchor=anchor,
            counts=counts,
            chain=chain,
            verification=verified.stdout.strip(),
            notes=notes,
        )
