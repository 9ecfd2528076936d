"""Helpers for the audit trail's tests: committed events, sealing, and an attacker's hands.

On PostgreSQL a seal takes only events of finished transactions, so tests that seal commit
their writes (`django_db(transaction=True)`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from agencies.models import LocalArea
from audit.models import AuditEvent
from audit.services import record_event

_triggers = importlib.import_module("audit.migrations.0004_keyed_seals")
TABLES = ("audit_auditevent", "audit_auditseal")


@pytest.fixture(autouse=True)
def anchor_dir(settings: Any, tmp_path: Any) -> Any:
    settings.AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.AUDIT_ANCHOR_DIR


def write_events(n: int, actor: Any = None, action: str = "test.event") -> list[AuditEvent]:
    """n events about one invented area, each committed on its own unless inside atomic."""
    target = LocalArea.objects.create(name=f"Audit test area {LocalArea.objects.count()}")
    return [
        record_event(actor=actor, action=action, target=target, changes={"i": i}) for i in range(n)
    ]


def execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def as_table_owner() -> Iterator[None]:
    """Lift the append-only triggers, as the tables' owner (or a superuser) could."""

    def lift() -> None:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks must fire before ALTER TABLE inside a transaction.
            execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for sql in _triggers.SQLITE_REVERSE:
                execute(sql)

    lift()
    yield
    if connection.vendor == "postgresql":
        for table in TABLES:
            execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        for sql in _triggers.SQLITE_FORWARD:
            execute(sql)
