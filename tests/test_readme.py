"""The README tells the truth, and these tests keep it so.

- Configuration: every variable the settings (and deploy/*.py) read is in .env.example and in
  the README's configuration table, and neither documents a variable nothing reads.
- Commands and files: every `manage.py <command>` is a real management command taking the
  options given, every repository path exists, and every script it names is executable.
- URLs: every site path it names resolves (relative API paths under their collection), and
  each one without a record in it answers a GET with 200 for the first role, in ROLE_ORDER,
  that may see it, none of the roles tried before it meeting a 404 or a server error.
- The demo: its table of logins is exactly the users the demo loader creates.

The README is read as text: inline code spans and fenced blocks are what it names.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core.management import get_commands, load_command_class
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from agencies.roles import Role
from config.health import HEALTH_PATH, READY_PATH
from config.metrics import METRICS_PATH
from demo.area import DEMO_PASSWORD, USERS
from tests.environment_variables import (
    READ_ELSEWHERE,
    ROOT,
    compose_substituted_vars,
    env_example_vars,
    readme_config_vars,
    readme_section,
    settings_env_vars,
)

README = (ROOT / "README.md").read_text()

# Top-level directories a path may start with and not exist: state created at run time.
RUNTIME_DIRS = {
    "var": "audit anchors and other state the app writes (var/audit-anchors/)",
    "staticfiles": "collectstatic's output",
}
# Absolute paths that are files in a container or on the host, not the site's URLs.
FILESYSTEM_PREFIXES = ("/app/", "/var/", "/etc/", "/usr/", "/docker-entrypoint-initdb.d/")
# Roles in the order the URL walk tries them: the team manager reaches the most routes.
ROLE_ORDER = [
    Role.TEAM_MANAGER,
    Role.HSB_COORDINATOR,
    Role.ANALYST,
    Role.LEAD_PRACTITIONER,
    Role.FRONT_DOOR,
    Role.DSL,
    Role.TEAM_MEMBER,
    Role.SYSTEM_ADMINISTRATOR,
    Role.AUDITOR,
]
# Roles whose users belong to the partnership or installation, not to an agency.
AGENCY_LESS = {Role.ANALYST, Role.SYSTEM_ADMINISTRATOR, Role.AUDITOR}


# --- reading the README ---------------------------------------------------------------------


def code_spans() -> list[str]:
    """The text of every fenced block and every inline code span."""
    text = README
    fence = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
    fenced = fence.findall(text)
    inline = re.findall(r"`([^`]+)`", fence.sub("", text))
    return fenced + inline


def code_tokens() -> list[str]:
    """Whitespace-separated words of the code spans, without surrounding punctuation."""
    tokens = []
    for span in code_spans():
        for word in span.split():
            word = word.lstrip("('\"").rstrip(".,;:)'\"")
            if word:
                tokens.append(word)
    return tokens


def top_level_dirs() -> set[str]:
    return {
        entry.name
        for entry in ROOT.iterdir()
        if entry.is_dir()
        and entry.name not in {".git", ".venv", "__pycache__"}
        and not entry.name.endswith(".egg-info")
    } - set(RUNTIME_DIRS)


def repository_paths() -> set[str]:
    """Words naming a file or folder of the repository: `dir/…` under a top-level folder."""
    tops = top_level_dirs()
    paths = set()
    for token in code_tokens():
        path = token.removeprefix("./")
        if "/" not in path or any(mark in path for mark in "*…<>{}$"):
            continue  # not a path, or a pattern standing for several
        if path.split("/", 1)[0] in tops:
            paths.add(token)
    return paths


def site_paths() -> set[str]:
    return {
        token
        for token in code_tokens()
        # "/" alone is prose ("403 / 400"), not a path.
        if re.fullmatch(r"/[\w.{}<>:-][\w.{}<>:/-]*", token)
        and not token.startswith(FILESYSTEM_PREFIXES)
    }


def concrete(path: str) -> str:
    """An example path with its parameters (`{id}`, `<id>`, `<int:pk>`) filled in."""
    return re.sub(r"\{\w+\}|<(?:\w+:)?\w+>", "1", path)


def api_bullet_paths() -> list[tuple[str, str]]:
    """(collection, relative path) for each relative path in an API section bullet such as
    "**Cases** (`/api/cases/`): … inbox (`tasks/`) …"."""
    pairs = []
    for bullet in re.split(r"^- ", readme_section("API"), flags=re.M)[1:]:
        bullet = bullet.split("\n\n", 1)[0]
        head = re.match(r"\*\*[^*]+\*\* \(`(/api/[^`]*)`[^)]*\)", bullet)
        if not head:
            continue
        for span in re.findall(r"`([^`]+)`", bullet[head.end() :]):
            if re.fullmatch(r"[a-z][\w.-]*(/|\.[a-z]+)", span):
                pairs.append((head.group(1), span))
    return pairs


def resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def table_rows(section: str, header: str) -> list[list[str]]:
    """The cells of each body row of the table in `section` whose header row is `header`."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


# --- configuration: settings, .env.example and the README's table ---------------------------


def test_the_scans_find_what_they_look_for() -> None:
    # Guards the scans: if these vanished, the checks below would prove nothing.
    for found in (settings_env_vars(), set(env_example_vars()), set(readme_config_vars())):
        assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL"} <= found
    assert "SECURE_SSL_REDIRECT" in settings_env_vars()  # production.py is scanned too
    assert {"./scripts/demo", "pathways/guards.py"} <= set(code_tokens())  # fenced blocks too
    assert {"/api/auth/token/", "/accounts/lockouts/"} <= site_paths()
    assert ("/api/cases/", "tasks/") in api_bullet_paths()


def test_settings_env_example_and_the_readme_table_name_the_same_variables() -> None:
    read = settings_env_vars()
    example = set(env_example_vars())
    table = set(readme_config_vars())
    documented_elsewhere = compose_substituted_vars() | set(READ_ELSEWHERE)
    problems = {
        "read by settings or deploy/*.py, missing from .env.example": read - example,
        "read by settings or deploy/*.py, missing from the README's Configuration table": read
        - table,
        "in .env.example, missing from the README's Configuration table": example - table,
        "in .env.example, read by nothing": example - read - documented_elsewhere,
        "in the README's Configuration table, read by nothing": table - read - documented_elsewhere,
    }
    report = "\n".join(f"{where}: {sorted(names)}" for where, names in problems.items() if names)
    assert not report, "configuration out of step:\n" + report


def test_the_readme_table_names_each_variable_once() -> None:
    names = readme_config_vars()
    assert sorted({n for n in names if names.count(n) > 1}) == []


# --- commands and files -------------------------------------------------------------------


def test_every_manage_py_command_the_readme_names_exists() -> None:
    # Span by span: a span ending in "manage.py" is not followed by the next span's word.
    named = {name for span in code_spans() for name in re.findall(r"manage\.py[ \t]+(\w+)", span)}
    assert {"migrate", "migrate_cases", "permission_matrix"} <= named  # the scan works
    unknown = sorted(named - set(get_commands()))
    assert not unknown, f"README names management commands that do not exist: {unknown}"


def test_every_option_the_readme_gives_a_command_is_one_it_takes() -> None:
    commands = get_commands()
    given = {
        (name, option.split("=", 1)[0])
        for span in code_spans()
        for name, rest in re.findall(r"manage\.py[ \t]+(\w+)([^\n]*)", span)
        for option in rest.split()
        if option.startswith("--") and name in commands
    }
    assert ("seal_audit_trail", "--export-anchor") in given  # the scan works
    unknown = sorted(
        f"manage.py {name} {option}"
        for name, option in given
        if option
        not in load_command_class(commands[name], name)
        .create_parser("manage.py", name)
        ._option_string_actions
    )
    assert not unknown, f"README gives commands options they do not take: {unknown}"


def test_every_repository_path_the_readme_names_exists() -> None:
    paths = repository_paths()
    assert {"pathways/data/default_pathway.yaml", "./scripts/test", ".ci/run"} <= paths
    missing = sorted(p for p in paths if not (ROOT / p.removeprefix("./")).exists())
    assert not missing, f"README names files that do not exist: {missing}"


def test_every_script_the_readme_names_is_executable() -> None:
    # `./x` is run as a command; scripts/ and .ci/ hold commands, their helpers have a suffix.
    scripts = [
        p
        for p in repository_paths()
        if p.startswith("./") or re.fullmatch(r"(scripts|\.ci)/[\w-]+", p) or p.endswith(".sh")
    ]
    assert "./scripts/demo" in scripts
    not_executable = sorted(p for p in scripts if not os.access(ROOT / p, os.X_OK))
    assert not not_executable, f"README names scripts that are not executable: {not_executable}"


# --- URLs --------------------------------------------------------------------------------


# Answered by middleware before URL routing (probes and scrapes must not meet the Host check,
# the HTTPS redirect or a session), so they have no URL pattern to resolve.
MIDDLEWARE_PATHS = {HEALTH_PATH, READY_PATH, METRICS_PATH}


def test_every_site_path_the_readme_names_resolves() -> None:
    broken = sorted(p for p in site_paths() - MIDDLEWARE_PATHS if not resolves(concrete(p)))
    assert not broken, f"README names paths the site does not serve: {broken}"


@pytest.mark.django_db
@override_settings(METRICS_ENABLED=True, METRICS_TOKEN="t" * 40)
def test_the_probes_and_the_metrics_endpoint_the_readme_names_answer() -> None:
    assert site_paths() >= MIDDLEWARE_PATHS
    client = Client()
    assert client.get(HEALTH_PATH).status_code == 200
    assert client.get(READY_PATH).json()["status"] == "ok"
    assert client.get(METRICS_PATH).status_code == 401
    scrape = client.get(METRICS_PATH, headers={"Authorization": "Bearer " + "t" * 40})
    assert scrape.status_code == 200
    assert b"hsb_timer_lag_seconds" in scrape.content


def test_every_relative_api_path_resolves_under_its_collection_or_a_record() -> None:
    broken = [
        f"{base} + {rel}"
        for base, rel in api_bullet_paths()
        if not (resolves(base + rel) or resolves(f"{base}1/{rel}"))
    ]
    assert not broken, f"README's API section names paths the API does not serve: {broken}"


def _gettable(path: str) -> bool:
    """A path with no record in it whose view answers GET (not a POST-only endpoint)."""
    if path != concrete(path) or re.search(r"/\d+(/|\.|$)", path) or not resolves(path):
        return False  # a record's path, or one the resolve test reports
    view_class = getattr(resolve(path).func, "view_class", None)
    return view_class is None or hasattr(view_class, "get")


@pytest.fixture
def user_by_role(make_user: Any, default_version: Any) -> dict[str, Any]:
    return {
        role: make_user(role, agency=None) if role in AGENCY_LESS else make_user(role)
        for role in ROLE_ORDER
    }


@pytest.mark.django_db
def test_each_page_and_collection_the_readme_names_answers_a_role_that_may_see_it(
    user_by_role: dict[str, Any],
) -> None:
    paths = sorted(p for p in site_paths() if _gettable(p))
    assert {"/api/partnership/", "/api/cases/", "/accounts/lockouts/"} <= set(paths)
    failures = []
    for path in paths:
        answers = {}
        # Roles in turn until one may see it; none may meet a 404 or a server error on the way.
        for role in ROLE_ORDER:
            client = Client()
            client.force_login(user_by_role[role])
            # A page may redirect (the site's index goes to the role's landing page).
            status = client.get(path, follow=True).status_code
            answers[role] = status
            if status == 404 or status >= 500 or status == 200:
                break
        if list(answers.values())[-1] != 200:
            failures.append(f"{path}: {answers}")
    assert not failures, "README paths no role can GET:\n" + "\n".join(failures)


# --- the demo -------------------------------------------------------------------------------


def test_the_readme_lists_exactly_the_demo_loaders_logins() -> None:
    quick_start = readme_section("Quick start")
    listed = {
        (login.strip("`"), role, agency)
        for login, role, agency in table_rows(quick_start, "| login | role | agency |")
    }
    created = {(u.username, Role(u.role).label, u.agency or "—") for u in USERS}
    assert listed == created, (
        f"in the README only: {sorted(listed - created)}; "
        f"created by demo/area.py only: {sorted(created - listed)}"
    )
    assert f"`{DEMO_PASSWORD}`" in quick_start
