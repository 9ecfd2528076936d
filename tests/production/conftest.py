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
