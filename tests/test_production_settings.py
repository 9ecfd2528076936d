"""Production settings load only in a safe configuration and pass Django's deploy checks.

Each test runs manage.py in a subprocess, so the production module is imported fresh with
exactly the environment under test (the test process itself uses config.settings.test).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSTHROUGH_ENV = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH"}


def run_manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess[str]:
    # Only what a process needs to run; no inherited Django/test switches such as
    # DJANGO_ALLOW_INSECURE_KEY, DJANGO_ALLOW_ASYNC_UNSAFE (set for Playwright) or DATABASE_URL.
    env = {key: value for key, value in os.environ.items() if key in PASSTHROUGH_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        DEBUG="0",
        ALLOWED_HOSTS="hsb.example.org",
        AUDIT_CHAIN_KEYS="k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 - fixed argv: this interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_secret_key_used_is_64_characters() -> None:
    assert len(secrets.token_urlsafe(48)) == 64


def test_check_deploy_passes_under_production_settings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified" in result.stdout + result.stderr


def test_production_settings_refuse_debug() -> None:
    result = run_manage("check", DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_settings_refuse_the_env_example_placeholder_key() -> None:
    example = (ROOT / ".env.example").read_text()
    match = re.search(r"^SECRET_KEY=(.*)$", example, re.MULTILINE)
    assert match, ".env.example must show SECRET_KEY"
    result = run_manage("check", SECRET_KEY=match.group(1))
    assert result.returncode != 0
    assert "SECRET_KEY must be" in result.stderr


def test_production_settings_refuse_a_missing_key() -> None:
    result = run_manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be" in result.stderr
