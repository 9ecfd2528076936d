"""Chain keys come from the environment; production refuses to sign without a real one."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from audit.keys import (
    ChainKeyError,
    development_chain_key,
    parse_chain_keys,
    production_key_problem,
)

ROOT = Path(__file__).resolve().parents[2]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_keys_are_parsed_current_first():
    keys = parse_chain_keys(f"k2:{_b64(b'n' * 32)}, k1:{_b64(b'o' * 40)}")

    assert keys == [("k2", b"n" * 32), ("k1", b"o" * 40)]


@pytest.mark.parametrize(
    "value",
    [
        "k1",
        "k1:not base64!",
        f"k 1:{_b64(b'x' * 32)}",
        f"k1:{_b64(b'x' * 32)},k1:{_b64(b'y' * 32)}",
    ],
)
def test_malformed_keys_are_refused(value):
    with pytest.raises(ChainKeyError):
        parse_chain_keys(value)


def test_production_accepts_only_real_keys_of_32_bytes():
    assert production_key_problem([("k1", b"x" * 32)]) is None
    assert "must be set" in production_key_problem([])
    assert "at least 32" in production_key_problem([("k1", b"x" * 31)])
    assert "development" in production_key_problem([development_chain_key("secret")])


def _check_production(**env: str) -> subprocess.CompletedProcess[str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}
    environ = {k: v for k, v in os.environ.items() if k in keep}
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DEBUG="0",
        ALLOWED_HOSTS="hsb.example.org",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_production_settings_refuse_to_start_without_a_real_chain_key():
    missing = _check_production()
    short = _check_production(AUDIT_CHAIN_KEYS=f"k1:{_b64(b'x' * 16)}")
    real = _check_production(AUDIT_CHAIN_KEYS=f"k1:{_b64(secrets.token_bytes(32))}")

    assert missing.returncode != 0 and "AUDIT_CHAIN_KEYS must be set" in missing.stderr
    assert short.returncode != 0 and "at least 32 are required" in short.stderr
    assert real.returncode == 0, real.stderr
