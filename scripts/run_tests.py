#!/usr/bin/env python3
"""Run pytest against a throwaway PostgreSQL cluster, or on SQLite when there is none.

Usage: python scripts/run_tests.py [pytest args...]

When PostgreSQL server binaries are found (``/usr/lib/postgresql/*/bin``, highest version
first, else ``initdb``/``pg_ctl`` on PATH) this script creates a temporary cluster on a free
loopback port, points ``DATABASE_URL`` at it, runs ``python -m pytest`` and always stops the
cluster and deletes its directory afterwards, also on Ctrl-C, SIGTERM or an error. The
cluster has the deployment's two roles, ``hsb_owner`` and ``hsb_app`` (the serving role).

As root, PostgreSQL refuses to run, so the cluster runs as an unprivileged system user:
``postgres`` when it exists, otherwise a system user ``hsb-test-pg`` created on first use.

Without server binaries the suite runs on SQLite (tests marked ``postgres`` are skipped),
unless ``REQUIRE_POSTGRES=1`` is set, in which case the script exits with status 3.

The exit status is pytest's; "no tests collected" (pytest's 5) is reported as a failure.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

REPO_ROOT = Path(__file__).resolve().parent.parent
FALLBACK_SYSTEM_USER = "hsb-test-pg"
DATABASE_NAME = "hsb_pathways"
EXIT_NO_POSTGRES = 3
PYTEST_NO_TESTS_COLLECTED = 5
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=50"
)
# The two database roles of a deployment (README, "Running in production"): the owner that
# migrates and the serving role that owns nothing. The suite itself connects as the cluster's
# superuser (pytest-django creates the test database); tests `SET ROLE hsb_app` to act as the
# serving role, which `migrate` grants its rights to (agencies/db_context.py).
OWNER_ROLE = "hsb_owner"
SERVING_ROLE = "hsb_app"
# Benchmarks measure what production pays: durable commits.
DURABLE_SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=50"


def log(message: str) -> None:
    print(f"[run_tests] {message}", flush=True)


@dataclass(frozen=True)
class PgBinaries:
    bindir: Path
    version: str

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _version_key(path: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric sort key ("15" -> (15,), "9.6" -> (9, 6)).
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def _server_version(bindir: Path) -> str:
    result = subprocess.run(
        [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
    )
    match = re.search(r"\(PostgreSQL\)\s+(\S+)", result.stdout)
    return match.group(1) if match else result.stdout.strip()


def find_postgres() -> PgBinaries | None:
    """Locate a directory holding both initdb and pg_ctl, highest packaged version first."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path:
        candidates.append(Path(initdb_on_path).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            try:
                return PgBinaries(bindir=bindir, version=_server_version(bindir))
            except (OSError, subprocess.CalledProcessError):
                continue
    return None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def choose_cluster_user() -> str | None:
    """The OS user that runs the cluster: None means "the current user" (not root)."""
    if os.geteuid() != 0:
        return None
    if _user_exists("postgres"):
        return "postgres"
    if not _user_exists(FALLBACK_SYSTEM_USER):
        log(f"creating unprivileged system user {FALLBACK_SYSTEM_USER!r} to run PostgreSQL")
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                FALLBACK_SYSTEM_USER,
            ],
            check=True,
        )
    return FALLBACK_SYSTEM_USER


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerDidNotStart(RuntimeError):
    """`pg_ctl start` failed; the message carries its output and the server log's tail."""


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, removed again by stop()."""

    def __init__(
        self, binaries: PgBinaries, os_user: str | None, server_options: str = SERVER_OPTIONS
    ) -> None:
        self.server_options = server_options
        self.binaries = binaries
        self.os_user = os_user
        self.db_user = os_user or pwd.getpwuid(os.geteuid()).pw_name
        self.tmpdir = Path(tempfile.mkdtemp(prefix="hsb-test-pg-", dir=self._parent_dir()))
        self.datadir = self.tmpdir / "data"
        self.sockdir = self.tmpdir / "sock"
        self.logfile = self.tmpdir / "server.log"
        self.port = 0
        # True while a `pg_ctl start` may have left a postmaster running (e.g. interrupted).
        self.may_be_running = False

    def _parent_dir(self) -> str | None:
        """TMPDIR, unless the cluster user could not reach into it (e.g. under /root)."""
        if self.os_user is None:
            return None
        parent = Path(tempfile.gettempdir()).resolve()
        if all(path.stat().st_mode & 0o001 for path in (parent, *parent.parents)):
            return None
        return "/tmp"  # noqa: S108 - mkdtemp makes a private 0700 directory inside it

    def _as_owner(self, argv: Sequence[str]) -> list[str]:
        if self.os_user is None:
            return list(argv)
        return ["runuser", "-u", self.os_user, "--", *argv]

    def _run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(
            self._as_owner(argv),
            cwd=self.tmpdir,  # the cluster user may not be allowed into the caller's cwd
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def start(self) -> None:
        self.sockdir.mkdir()
        if self.os_user is not None:
            owner = pwd.getpwnam(self.os_user)
            for path in (self.tmpdir, self.sockdir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        os.chmod(self.tmpdir, 0o700)

        self._run(
            [
                self.binaries.tool("initdb"),
                "--pgdata",
                str(self.datadir),
                "--username",
                self.db_user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        )
        # The port is free when probed; a rare race with another process is retried.
        last_error = ""
        for _attempt in range(3):
            try:
                self.start_server(free_loopback_port())
                break
            except ServerDidNotStart as exc:
                last_error = str(exc)
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")
        self._run(
            [
                self.binaries.tool("createdb"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--username",
                self.db_user,
                DATABASE_NAME,
            ]
        )
        for role in (OWNER_ROLE, SERVING_ROLE):
            self._run(
                [
                    self.binaries.tool("createuser"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--username",
                    self.db_user,
                    "--login",
                    "--no-superuser",
                    "--no-createdb",
                    "--no-createrole",
                    role,
                ]
            )

    def start_server(self, port: int) -> None:
        """Start the server of the initialised cluster on `port` and wait until it accepts
        connections; ServerDidNotStart (with pg_ctl's output and the server log) if pg_ctl fails."""
        self.port = port
        options = f"-p {self.port} -k {self.sockdir} {self.server_options}"
        self.may_be_running = True
        result = self._run(
            [
                self.binaries.tool("pg_ctl"),
                "--pgdata",
                str(self.datadir),
                "--log",
                str(self.logfile),
                "--options",
                options,
                "--wait",
                "--timeout",
                "60",
                "start",
            ],
            check=False,
        )
        if result.returncode != 0:
            self.may_be_running = False
            raise ServerDidNotStart(result.stdout + result.stderr + self.server_log_tail())
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL is not accepting connections:\n{self.server_log_tail()}")

    @property
    def database_url(self) -> str:
        return f"postgres://{self.db_user}@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def server_log_tail(self, lines: int = 30) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop_server(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL); the cluster stays on disk."""
        if self.may_be_running:
            # An interrupted `pg_ctl start` may leave a postmaster that has not yet
            # written its pid file; give it a moment so that it can be stopped too.
            deadline = time.monotonic() + 5
            while self._postmaster_pid() is None and time.monotonic() < deadline:
                time.sleep(0.1)
        if self._postmaster_pid() is not None:
            for mode in ("fast", "immediate"):
                result = self._run(
                    [
                        self.binaries.tool("pg_ctl"),
                        "--pgdata",
                        str(self.datadir),
                        "--mode",
                        mode,
                        "--wait",
                        "--timeout",
                        "30",
                        "stop",
                    ],
                    check=False,
                )
                if result.returncode == 0:
                    break
            pid = self._postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        self.may_be_running = False

    def stop(self) -> None:
        """Stop the server (stop_server) and delete the directory."""
        try:
            self.stop_server()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_cluster(
    binaries: PgBinaries, server_options: str = SERVER_OPTIONS
) -> Iterator[ThrowawayCluster]:
    cluster = ThrowawayCluster(binaries, choose_cluster_user(), server_options)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _raise_keyboard_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_pytest(args: Sequence[str], env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode


def print_sqlite_notice() -> None:
    bar = "=" * 78
    print(
        f"{bar}\n"
        "NOTICE: no PostgreSQL server binaries (initdb, pg_ctl) were found.\n"
        "        The test suite runs on SQLite: tests marked `postgres` (row locks,\n"
        "        database triggers) will be SKIPPED, so this run is not a full check.\n"
        "        Install PostgreSQL (Debian: apt-get install postgresql) for a full run,\n"
        "        or set REQUIRE_POSTGRES=1 to make a missing PostgreSQL an error.\n"
        f"{bar}",
        flush=True,
    )


def main(argv: Sequence[str]) -> int:
    # SIGTERM/SIGHUP take the same path as Ctrl-C so the cluster is always cleaned up.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, _raise_keyboard_interrupt)

    env = dict(os.environ)
    binaries = find_postgres()
    try:
        if binaries is None:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                print(
                    "ERROR: REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found\n"
                    "       (looked in /usr/lib/postgresql/*/bin and for initdb/pg_ctl on PATH).",
                    file=sys.stderr,
                    flush=True,
                )
                return EXIT_NO_POSTGRES
            print_sqlite_notice()
            env.pop("DATABASE_URL", None)
            print("Test database: SQLite (no PostgreSQL server binaries found)", flush=True)
            code = run_pytest(argv, env)
        else:
            log(f"starting a throwaway PostgreSQL {binaries.version} from {binaries.bindir}")
            with throwaway_cluster(binaries) as cluster:
                env["DATABASE_URL"] = cluster.database_url
                print(
                    f"Test database: PostgreSQL {binaries.version} "
                    f"(throwaway cluster on 127.0.0.1:{cluster.port})",
                    flush=True,
                )
                code = run_pytest(argv, env)
            log("throwaway PostgreSQL cluster stopped and removed")
    except KeyboardInterrupt:
        print("\n[run_tests] interrupted", file=sys.stderr, flush=True)
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        detail = ""
        if isinstance(exc, subprocess.CalledProcessError):
            detail = f"\n{exc.stdout or ''}{exc.stderr or ''}"
        print(f"ERROR: could not set up the test database: {exc}{detail}", file=sys.stderr)
        return 2

    if code == PYTEST_NO_TESTS_COLLECTED:
        print("ERROR: pytest collected no tests; treating this as a failure.", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
