"""Where the environment variables are read, and where they are documented.

Read: the settings modules (through django-environ's `env`, or `os.environ` directly) and the
deployment's Python configuration (deploy/*.py: gunicorn's). Substituted: docker-compose.yml's
`${NAME}`. Documented: .env.example and the README's "Configuration" table. Plain text and
regular expressions only, so the checks need neither Django set up nor a database.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_READ_PATTERNS = [
    r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""",
    r"""os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""",
    r"""os\.getenv\(\s*["']([A-Z][A-Z0-9_]*)["']""",
    # django-environ: env("X"), env.bool("X", ...), env.db_url("X", ...)
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""",
]

# Variables an operator sets that no code of ours reads, with who reads them. Anything else
# documented but read by nothing is a stale line that would mislead an operator.
READ_ELSEWHERE = {
    "DJANGO_SETTINGS_MODULE": "Django itself; manage.py and config/wsgi.py only set defaults",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client, to share metrics across gunicorn workers",
}


def reading_sources() -> list[Path]:
    """The files whose environment reads an operator configures."""
    return sorted((ROOT / "config" / "settings").glob("*.py")) + sorted(
        (ROOT / "deploy").glob("**/*.py")
    )


def settings_env_vars() -> set[str]:
    """Every environment variable the settings (and the deployment's Python config) read."""
    names: set[str] = set()
    for source in reading_sources():
        text = source.read_text()
        for pattern in ENV_READ_PATTERNS:
            names.update(re.findall(pattern, text))
    return names


def env_example_vars() -> list[str]:
    names = []
    for line in (ROOT / ".env.example").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", stripped)
        assert match, f".env.example: not a NAME=value line: {line!r}"
        names.append(match.group(1))
    return names


def compose_substituted_vars() -> set[str]:
    """Variables docker compose substitutes from .env, e.g. ${POSTGRES_PASSWORD:?...}."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))


def readme_section(title: str) -> str:
    """The text of the README's `## title` section, up to the next `## ` heading."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def readme_config_vars() -> list[str]:
    """The names in the first column of the README's configuration table (one or several a
    cell, each in backticks)."""
    names = []
    for line in readme_section("Configuration").splitlines():
        if not line.startswith("|") or re.fullmatch(r"\|[-| :]+\|", line.strip()):
            continue
        first_cell = line.split("|")[1]
        names += re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell)
    return names
