"""The production tests: the deployed stack (tests/production/harness.py) on loopback.

They start PostgreSQL, migrate, collect static files and run gunicorn, so they are not part
of the normal run: scripts/check_production runs them (HSB_PRODUCTION_TESTS=1), after building
the runtime-only venv the image's build script builds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .harness import ProductionStack

if os.environ.get("HSB_PRODUCTION_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="module")
def production_stack() -> Iterator[ProductionStack]:
    """One stack per test module: a module that stops the database cannot break another's."""
    with ProductionStack() as stack:
        yield stack


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    # A failure shows what the server said: its tracebacks are in gunicorn's output, not ours.
    report: pytest.TestReport = yield
    stack = getattr(item, "funcargs", {}).get("production_stack")
    if report.failed and isinstance(stack, ProductionStack):
        log_tail = "\n".join(stack.read_gunicorn_log().splitlines()[-60:])
        report.sections.append(("gunicorn output (last 60 lines)", log_tail))
    return report
