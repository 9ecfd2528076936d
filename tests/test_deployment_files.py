"""Checks on the deployment files: docker-compose.yml, Dockerfile, .env.example, pins.

They read the files as text/YAML/TOML only; no database and no Django setup is needed.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import tomllib
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from tests.environment_variables import compose_substituted_vars, env_example_vars

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_COMMAND = "gunicorn -c deploy/gunicorn.conf.py config.wsgi:application"


# --- helpers -------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    services = load_compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    svc = services[name]
    assert isinstance(svc, dict)
    return svc


def command_text(svc: dict[str, Any]) -> str:
    command = svc.get("command", "")
    text = " ".join(command) if isinstance(command, list) else str(command)
    return re.sub(r"\s+", " ", text)


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- docker-compose.yml ---------------------------------------------------------


def test_compose_has_the_four_services() -> None:
    assert {"db", "migrate", "web", "worker"} <= set(load_compose()["services"])


def test_db_is_postgres_16_on_a_declared_named_volume() -> None:
    db = service("db")
    assert db["image"] == "postgres:16"
    top_level_volumes = load_compose().get("volumes") or {}
    mounts = [str(v).split(":", 1) for v in db.get("volumes", [])]
    data_mounts = [src for src, dest in mounts if dest.startswith("/var/lib/postgresql/data")]
    assert data_mounts, "db must mount a volume on /var/lib/postgresql/data"
    assert data_mounts[0] in top_level_volumes, "the db volume must be a declared named volume"
    assert "pgdata" in top_level_volumes


def test_db_healthcheck_uses_pg_isready() -> None:
    test = service("db")["healthcheck"]["test"]
    assert "pg_isready" in (" ".join(test) if isinstance(test, list) else test)


def test_migrate_runs_once_then_web_runs_gunicorn() -> None:
    migrate = service("migrate")
    assert "manage.py migrate" in command_text(migrate)
    assert migrate.get("restart") == "no"
    command = command_text(service("web"))
    # The one gunicorn settings file, shared with the image's CMD and the smoke test.
    assert command == GUNICORN_COMMAND
    assert "manage.py migrate" not in command, "web serves as a role that cannot migrate"
    for name in ("web", "worker"):
        condition = service(name)["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_web_healthcheck_asks_the_liveness_probe_on_gunicorns_port() -> None:
    probe = " ".join(service("web")["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in probe
    gunicorn_conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert '"0.0.0.0:8000"' in gunicorn_conf, "the probe's port must be gunicorn's default bind"


def test_worker_runs_the_timer_worker_as_its_own_process() -> None:
    # Exec form, no shell in between: `docker compose stop` delivers SIGTERM to the worker
    # itself, which finishes the timer in hand and exits 0.
    assert service("worker")["command"] == ["python", "manage.py", "run_worker"]


def test_sealer_seals_the_audit_trail_and_alone_writes_the_anchors() -> None:
    sealer = service("sealer")
    command = command_text(sealer)
    assert "manage.py seal_audit_trail --export-anchor --every" in command
    anchor_dir = environment(sealer)["AUDIT_ANCHOR_DIR"]
    mounts = [str(v).split(":") for v in sealer.get("volumes", [])]
    assert [m[0] for m in mounts if m[1] == anchor_dir] == ["audit-anchors"]
    assert "audit-anchors" in (load_compose().get("volumes") or {})
    # The serving web process never mounts the anchors, so it cannot rewrite them.
    assert not any("audit-anchors" in str(v) for v in service("web").get("volumes", []))
    assert environment(sealer)["DATABASE_URL"].startswith("postgres://hsb_app:")


def test_worker_command_exists() -> None:
    from django.core.management import get_commands

    # viewflow ships the timer dispatcher; the worker depends on it staying installed.
    assert get_commands().get("workflow_timers") == "viewflow"


@pytest.mark.parametrize("name", ["migrate", "web", "worker", "sealer"])
def test_app_services_use_env_file_production_settings_and_the_db(name: str) -> None:
    svc = service(name)
    env_file = svc.get("env_file")
    env_files = env_file if isinstance(env_file, list) else [env_file]
    assert ".env" in env_files
    env = environment(svc)
    assert env.get("DJANGO_SETTINGS_MODULE") == "config.settings.production"
    assert re.fullmatch(r"postgres(ql)?://[^@]+@db:5432/\w+", env.get("DATABASE_URL", ""))
    build = svc.get("build")
    context = build.get("context", ".") if isinstance(build, dict) else build
    assert context == ".", f"{name} must build the image from the repository's Dockerfile"
    assert svc["depends_on"]["db"]["condition"] == "service_healthy"


def _url_parts(name: str) -> tuple[str, str, str]:
    url = environment(service(name))["DATABASE_URL"]
    match = re.fullmatch(r"postgres(?:ql)?://([^:]+):([^@]+)@db:5432/(\w+)", url)
    assert match, url
    user, password, database = match.groups()
    return user, password, database


def test_migrations_run_as_the_owner_and_the_app_serves_as_a_role_that_owns_nothing() -> None:
    db_env = environment(service("db"))
    owner = _url_parts("migrate")
    assert owner[0] == "hsb_owner"
    assert owner[1] == "${DATABASE_OWNER_PASSWORD:?set DATABASE_OWNER_PASSWORD in .env}"
    for name in ("web", "worker"):
        user, password, database = _url_parts(name)
        assert (user, database) == ("hsb_app", db_env["POSTGRES_DB"])
        assert password == "${DATABASE_APP_PASSWORD:?set DATABASE_APP_PASSWORD in .env}"
        assert environment(service(name))["DATABASE_SERVING_ROLE"] == user
    # Neither the owner nor the serving role is the cluster superuser.
    assert db_env["POSTGRES_USER"] not in {"hsb_owner", "hsb_app"}
    assert owner[2] == db_env["POSTGRES_DB"]


def test_the_db_init_script_creates_both_roles_with_passwords_from_env() -> None:
    mounts = [str(v) for v in service("db").get("volumes", [])]
    init = [m for m in mounts if ":/docker-entrypoint-initdb.d/" in m]
    assert init, "db must mount the roles script into /docker-entrypoint-initdb.d/"
    script = ROOT / init[0].split(":", 1)[0]
    text = script.read_text()
    assert os.access(script, os.X_OK)
    for role, variable in (
        ("hsb_owner", "DATABASE_OWNER_PASSWORD"),
        ("hsb_app", "DATABASE_APP_PASSWORD"),
    ):
        assert re.search(rf"CREATE ROLE {role} LOGIN PASSWORD", text)
        assert f"${variable}" in text
        assert variable in environment(service("db"))
    assert "NOSUPERUSER" in text and "SUPERUSER " not in text.replace("NOSUPERUSER", "")
    assert "OWNER TO hsb_owner" in text
    # The serving role never JIT-compiles (issue 15: it cost a case list 318 of 390 ms).
    assert re.search(r"ALTER ROLE hsb_app SET jit = off;", text)


# --- gunicorn settings ------------------------------------------------------------


def run_gunicorn_config() -> dict[str, Any]:
    """deploy/gunicorn.conf.py's settings; whatever it does to the environment is undone."""
    with mock.patch.dict(os.environ):
        return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    return run_gunicorn_config()


def test_gunicorn_serves_two_sync_workers_on_port_8000(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = gunicorn_settings(monkeypatch)
    assert settings["bind"] == "0.0.0.0:8000"
    assert (settings["workers"], settings["worker_class"]) == (2, "sync")
    assert settings["graceful_timeout"] < 30, "docker compose's stop_grace_period is 30 s"
    assert str(service("web").get("stop_grace_period")) == "30s"


def test_gunicorn_binds_where_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8123")
    assert run_gunicorn_config()["bind"] == "127.0.0.1:8123"


def test_gunicorns_access_log_leaves_out_query_strings_and_referers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = gunicorn_settings(monkeypatch)
    log_format = settings["access_log_format"]
    assert settings["accesslog"] == "-"
    assert "%(U)s" in log_format, "the path, without its query string"
    # %(r)s is the request line with its query, %(q)s the query, %(f)s the Referer (which
    # carries the previous page's query).
    for field in ("%(r)s", "%(q)s", "%(f)s"):
        assert field not in log_format


# --- Dockerfile, its build script and .dockerignore -----------------------------------


def dockerfile_instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_dockerfile_builds_the_pinned_app_image_with_the_shared_build_script() -> None:
    lines = dockerfile_instructions()
    assert re.fullmatch(r"FROM python:3\.11-slim\b.*", lines[0])
    assert any("libpq-dev" in line and "gcc" in line for line in lines)
    deps = lines.index("RUN sh deploy/build-app.sh deps")
    copy_all = lines.index("COPY . .")
    static = lines.index("RUN sh deploy/build-app.sh static")
    # Dependencies are a layer of their own, rebuilt only when the pins change.
    assert deps < copy_all < static
    assert "COPY deploy/build-app.sh deploy/build-app.sh" in lines[:deps]
    assert lines[-1] == "CMD " + json.dumps(GUNICORN_COMMAND.split())


def test_the_build_script_installs_the_pins_and_collects_static_under_production() -> None:
    script = ROOT / "deploy" / "build-app.sh"
    text = script.read_text()
    assert os.access(script, os.X_OK)
    assert re.search(
        r'"\$PYTHON" -m pip install .*-c requirements/constraints\.txt \.$', text, re.M
    )
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in text
    assert re.search(r'"\$PYTHON" manage\.py collectstatic --noinput$', text, re.M)
    assert "set -eu" in text, "a failed step must fail the build"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    entries = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", ".venv-runtime", "db.sqlite3"} <= entries


# --- .env.example (in step with the settings and the README: tests/test_readme.py) ---


def test_env_example_has_no_duplicates() -> None:
    names = env_example_vars()
    assert len(names) == len(set(names))


def test_every_compose_substitution_is_in_env_example() -> None:
    missing = sorted(compose_substituted_vars() - set(env_example_vars()))
    assert not missing, f"docker-compose.yml needs variables missing from .env.example: {missing}"


def test_every_env_example_variable_has_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert index > 0 and lines[index - 1].startswith("#"), f"no comment above {line!r}"


# --- pins and scripts ---------------------------------------------------------------


def test_every_declared_dependency_is_pinned_in_constraints() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"constraints.txt: not an exact pin: {line!r}"
            pins[normalise(name)] = version
    assert "hsb-pathways" not in pins
    for requirement in declared:
        name = normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])
        assert name in pins, f"{requirement!r} is not pinned in requirements/constraints.txt"


@pytest.mark.parametrize(
    "path",
    [
        "scripts/test",
        "scripts/run_tests.py",
        "scripts/check_production",
        "deploy/build-app.sh",
        ".ci/run",
    ],
)
def test_scripts_are_executable(path: str) -> None:
    assert os.access(ROOT / path, os.X_OK)
