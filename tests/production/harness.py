"""The production stack on loopback, for the production tests: a throwaway PostgreSQL cluster
with the deployment's two roles, migrated as the owner, static files collected by the
production storage, and gunicorn started with deploy/gunicorn.conf.py under
config.settings.production, serving as hsb_app.

    with ProductionStack() as stack:
        client = stack.client()          # sends what the TLS proxy sends
        client.login("lead", PASSWORD)
        client.get("/")

Which Python runs gunicorn and manage.py: ``HSB_PRODUCTION_PYTHON`` (the runtime-only venv
that deploy/build-app.sh builds, as the image does), else this interpreter. ``run_python``
always uses this interpreter, so test factories are importable. ``HSB_STATIC_COLLECTED``
names a STATIC_ROOT that collectstatic already filled (scripts/check_production); without it
collectstatic runs into a temporary directory.

Everything started here is stopped, and every temporary directory removed, when the ``with``
block ends, also when starting fails halfway.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookies
import importlib.util
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"
OWNER_ROLE = "hsb_owner"
SERVING_ROLE = "hsb_app"
# What the TLS proxy adds: the scheme it terminated and the client it was connected from
# (TEST-NET-3, a documentation address).
CLIENT_ADDRESS = "203.0.113.7"
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT_ADDRESS}
# Django runs code from stdin once set up (run_python).
_RUN_PYTHON_BOOTSTRAP = "import sys, django; django.setup(); exec(sys.stdin.read())"
# Variables of the caller's environment that must not leak into the stack's processes.
_INHERITED_SETTINGS = (
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "AUDIT_CHAIN_KEYS",
    "AUDIT_ANCHOR_DIR",
    "STATIC_ROOT",
    "DEBUG",
    "DJANGO_ALLOW_INSECURE_KEY",
)


def _load_run_tests() -> ModuleType:
    """scripts/run_tests.py, imported by path: its throwaway cluster is the suite's own."""
    name = "hsb_scripts_run_tests"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / "run_tests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run_tests = _load_run_tests()


class StackError(RuntimeError):
    """The stack could not be started; the message carries the process's output."""


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


class ProxiedClient:
    """An HTTP client that talks to gunicorn the way the TLS proxy does.

    It keeps cookies itself: Django marks the session and CSRF cookies Secure, and a browser-like
    cookie jar would not send them over the plain-HTTP hop between proxy and gunicorn.
    """

    def __init__(self, base_url: str, *, forwarded: bool = True) -> None:
        self.base_url = base_url
        self.forwarded = forwarded
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(PROXY_HEADERS) if self.forwarded else {}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent.update(headers or {})
        kwargs.setdefault("allow_redirects", False)
        timeout = kwargs.pop("timeout", 30)
        response = requests.request(
            method, self.base_url + path, headers=sent, timeout=timeout, **kwargs
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        # Django checks a secure request's Origin against its host (CSRF).
        headers = {"Origin": "https://" + self.base_url.split("://", 1)[1]}
        headers.update(kwargs.pop("headers", None) or {})
        return self.request("POST", path, headers=headers, **kwargs)

    def csrf_token(self, path: str) -> str:
        """The CSRF form token of the page at path (which also sets the CSRF cookie)."""
        response = self.get(path)
        response.raise_for_status()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert match, f"no CSRF token in {path}"
        return match.group(1)

    def login(self, username: str, password: str) -> requests.Response:
        """Log in through the login form; returns the response to the form's POST (a 302)."""
        token = self.csrf_token("/accounts/login/")
        response = self.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302, f"login failed: {response.status_code}"
        return response


class ProductionStack:
    """PostgreSQL, migrate, collectstatic and gunicorn under production settings (module doc)."""

    url: str

    def __init__(self, *, server_options: str | None = None) -> None:
        # PostgreSQL's settings: the suite's fast, non-durable ones unless given (the HTTP
        # benchmark passes run_tests.DURABLE_SERVER_OPTIONS).
        self.server_options = server_options or run_tests.SERVER_OPTIONS
        self.python = os.environ.get("HSB_PRODUCTION_PYTHON") or sys.executable
        self.static_collected = os.environ.get("HSB_STATIC_COLLECTED") or None
        binaries = run_tests.find_postgres()
        if binaries is None:
            raise StackError("no PostgreSQL server binaries (initdb, pg_ctl) were found")
        self._binaries = binaries
        self._exit_stack = contextlib.ExitStack()
        self._gunicorn: subprocess.Popen[bytes] | None = None
        self.tmpdir = Path()
        self.gunicorn_log = Path()
        self.url = ""

    # --- the stack's life ----------------------------------------------------------

    def __enter__(self) -> ProductionStack:
        with contextlib.ExitStack() as starting:
            starting.callback(self._exit_stack.close)  # undone unless everything started
            self._start()
            starting.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._exit_stack.close()

    def _start(self) -> None:
        stack = self._exit_stack
        # SIGTERM (CI's timeout, a cancelled job) unwinds like Ctrl-C, so teardown runs.
        if _in_main_thread():
            previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
            stack.callback(signal.signal, signal.SIGTERM, previous)
        self.tmpdir = Path(tempfile.mkdtemp(prefix="hsb-production-"))
        stack.callback(shutil.rmtree, self.tmpdir, ignore_errors=True)
        self.cluster = stack.enter_context(
            run_tests.throwaway_cluster(self._binaries, self.server_options)
        )
        self._give_the_database_to_the_owner()
        self._base_env = self._environment()
        self.manage("migrate", "--noinput", owner=True)
        if self.static_collected is None:
            self._base_env["STATIC_ROOT"] = str(self.tmpdir / "static")
            self.manage("collectstatic", "--noinput")
        elif not (Path(self.static_collected) / "staticfiles.json").is_file():
            raise StackError(f"HSB_STATIC_COLLECTED={self.static_collected} has no manifest")
        self._start_gunicorn()

    def _give_the_database_to_the_owner(self) -> None:
        # As in a deployment (deploy/postgres/init-roles.sh): hsb_owner owns the database and
        # so, on PostgreSQL 15+, its public schema (owned by pg_database_owner); the GRANT
        # covers older servers, whose public schema belongs to the superuser.
        database = run_tests.DATABASE_NAME
        self.psql(
            f"ALTER DATABASE {database} OWNER TO {OWNER_ROLE};"
            f" GRANT CREATE ON SCHEMA public TO {OWNER_ROLE};"
        )

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_SETTINGS}
        anchors = self.tmpdir / "audit-anchors"
        anchors.mkdir()
        chain_key = base64.b64encode(secrets.token_bytes(32)).decode()
        self.port = run_tests.free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=secrets.token_urlsafe(48),
            AUDIT_CHAIN_KEYS=f"smoke:{chain_key}",
            AUDIT_ANCHOR_DIR=str(anchors),
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="1",
            TRUSTED_PROXY_COUNT="1",
            DATABASE_SERVING_ROLE=SERVING_ROLE,
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            PYTHONUNBUFFERED="1",
        )
        if self.static_collected is not None:
            env["STATIC_ROOT"] = self.static_collected
        return env

    def _database_url(self, role: str) -> str:
        # The cluster trusts loopback connections (initdb --auth trust): no password.
        return f"postgres://{role}@127.0.0.1:{self.cluster.port}/{run_tests.DATABASE_NAME}"

    def env(self, *, owner: bool = False) -> dict[str, str]:
        """The environment of a process of the stack, connecting as hsb_app (or hsb_owner)."""
        env = dict(self._base_env)
        env["DATABASE_URL"] = self._database_url(OWNER_ROLE if owner else SERVING_ROLE)
        return env

    def _start_gunicorn(self) -> None:
        self.gunicorn_log = self.tmpdir / "gunicorn.log"
        with self.gunicorn_log.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed argv: the stack's Python, gunicorn
                [
                    self.python,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(GUNICORN_CONFIG),
                    "config.wsgi:application",
                ],
                cwd=REPO_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._gunicorn = process
        self._exit_stack.callback(self._stop_gunicorn)
        self._wait_for_gunicorn()

    def _wait_for_gunicorn(self, timeout: float = 60.0) -> None:
        assert self._gunicorn is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._gunicorn.poll() is not None:
                raise StackError(f"gunicorn exited:\n{self.read_gunicorn_log()}")
            # A first answer slower than 5 s (a busy machine) is waited for like a refusal.
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                # Any answer means a worker is serving; the status is the tests' business.
                requests.get(self.url + "/accounts/login/", headers=PROXY_HEADERS, timeout=5)
                return
            time.sleep(0.2)
        raise StackError(f"gunicorn did not answer within {timeout}s:\n{self.read_gunicorn_log()}")

    def _stop_gunicorn(self) -> None:
        process = self._gunicorn
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: graceful shutdown of the arbiter and its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def gunicorn_pid(self) -> int | None:
        """The gunicorn arbiter's process id (its workers are its children)."""
        return None if self._gunicorn is None else self._gunicorn.pid

    def read_gunicorn_log(self) -> str:
        """gunicorn's output so far: its access log and error log (stdout)."""
        try:
            return self.gunicorn_log.read_text(errors="replace")
        except OSError:
            return ""

    # --- what tests call -----------------------------------------------------------

    def client(self, *, forwarded: bool = True) -> ProxiedClient:
        """An HTTP client; forwarded=False talks plain HTTP without the proxy's headers."""
        return ProxiedClient(self.url, forwarded=forwarded)

    def manage(
        self, *args: str, owner: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """manage.py under production settings, as hsb_app (or hsb_owner)."""
        return self._run(
            [self.python, "manage.py", *args],
            owner=owner,
            check=check,
            what=f"manage.py {' '.join(args)}",
        )

    def run_python(self, code: str, owner: bool = True) -> str:
        """Runs code after django.setup() under production settings with this interpreter
        (tests' factories importable), as hsb_owner by default; returns its stdout."""
        result = self._run(
            [sys.executable, "-c", _RUN_PYTHON_BOOTSTRAP],
            owner=owner,
            input=code,
            what="run_python",
        )
        return result.stdout

    def _run(
        self,
        argv: list[str],
        *,
        owner: bool,
        what: str,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """argv in the project with the stack's environment, as hsb_app (or hsb_owner); a
        StackError naming `what`, with the output's tail, if it fails and check is set."""
        result = subprocess.run(  # noqa: S603 - the stack's Python or this interpreter
            argv,
            input=input,
            cwd=REPO_ROOT,
            env=self.env(owner=owner),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check and result.returncode != 0:
            raise StackError(
                f"{what} exited {result.returncode}:\n"
                f"{_tail(result.stdout)}\n{_tail(result.stderr)}"
            )
        return result

    def psql(self, sql: str) -> str:
        """SQL as the cluster's superuser (setup and inspection only, never the app's role)."""
        result = self.cluster._run(
            [
                self._binaries.tool("psql"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.cluster.port),
                "--username",
                self.cluster.db_user,
                "--dbname",
                run_tests.DATABASE_NAME,
                "--no-psqlrc",
                "--tuples-only",
                "--set",
                "ON_ERROR_STOP=1",
                "--command",
                sql,
            ]
        )
        return str(result.stdout)

    def stop_database(self) -> None:
        """Stops PostgreSQL (pg_ctl stop -m fast: open connections are cut; immediate, then
        SIGKILL, should that fail)."""
        self.cluster.stop_server()

    def start_database(self) -> None:
        """Starts PostgreSQL again on the same port; returns once it accepts connections."""
        self.cluster.start_server(self.cluster.port)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_keyboard_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
