"""`manage.py permission_matrix`: runs the matrix tests, and says plainly when it cannot."""

import subprocess
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from cases.management.commands import permission_matrix


def test_without_the_dev_dependencies_it_names_them_and_runs_nothing(monkeypatch):
    # The demo's runtime-only venv: pytest and its plugins are not installed.
    absent = {"pytest", "pytest_django", "factory"}
    real_find_spec = permission_matrix.importlib.util.find_spec
    monkeypatch.setattr(
        permission_matrix.importlib.util,
        "find_spec",
        lambda name, *a: None if name in absent else real_find_spec(name, *a),
    )
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran the tests anyway"))

    with pytest.raises(CommandError) as refused:
        call_command("permission_matrix", "--write")

    message = str(refused.value)
    assert "pytest, pytest-django, factory-boy" in message
    assert "-e '.[dev]'" in message
    assert "leak" not in message  # not reported as a failed matrix


@pytest.mark.parametrize(
    ("status", "said"),
    [(1, "The permission matrix tests failed"), (4, "pytest could not run")],
)
def test_a_failed_run_is_told_apart_from_one_that_did_not_run(monkeypatch, status, said):
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return SimpleNamespace(returncode=status)

    monkeypatch.setattr(subprocess, "run", fake_run)

    with pytest.raises(CommandError, match=said):
        call_command("permission_matrix")

    [(command, env)] = calls
    assert command[1:4] == ["-m", "pytest", permission_matrix.MATRIX_TEST]
    assert env["PERMISSION_MATRIX_WRITE"] == "0"
    assert "DJANGO_SETTINGS_MODULE" not in env  # the tests choose their own settings


def test_a_passing_run_with_write_reports_the_rewrite(monkeypatch, capsys):
    seen = {}

    def fake_run(command, **kwargs):
        seen.update(kwargs["env"])
        return SimpleNamespace(returncode=0)

    monkeypatch.setattr(subprocess, "run", fake_run)

    call_command("permission_matrix", "--write")

    assert seen["PERMISSION_MATRIX_WRITE"] == seen["CROSS_AREA_MATRIX_WRITE"] == "1"
    assert "docs/permissions.md rewritten." in capsys.readouterr().out
