"""Anchors: the latest seal written out of the database, where the app role cannot rewrite it.

Each export is a new small JSON file in `AUDIT_ANCHOR_DIR` (never an overwrite):
`audit-anchor-<seq, 12 digits>-<UTC time>.json` holding the seal's seq, hash, cumulative event
count and time. `verify_audit_trail` checks the latest one by default: the seal it names must
still be in the chain with the same hash, so deleting the tail of events and seals, or
recomputing the chain, is detected even by someone holding the database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import AuditSeal

PREFIX = "audit-anchor-"


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    total_count: int
    sealed_at: str
    exported_at: str
    path: Path | None = None

    @property
    def expect_head(self) -> str:
        return f"{self.seq}:{self.hash}"


def anchor_dir() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR)


def anchor_of(seal: AuditSeal) -> Anchor:
    return Anchor(
        seq=seal.seq,
        hash=seal.hash,
        total_count=seal.total_count,
        sealed_at=seal.sealed_at.astimezone(UTC).isoformat(),
        exported_at=timezone.now().astimezone(UTC).isoformat(),
    )


def anchor_json(anchor: Anchor) -> dict[str, Any]:
    return {
        "seq": anchor.seq,
        "hash": anchor.hash,
        "count": anchor.total_count,
        "sealed_at": anchor.sealed_at,
        "exported_at": anchor.exported_at,
        "expect_head": anchor.expect_head,
    }


def _anchor_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{PREFIX}*.json"))


def read_anchor(path: Path) -> Anchor:
    data = json.loads(path.read_text())
    return Anchor(
        seq=int(data["seq"]),
        hash=str(data["hash"]),
        total_count=int(data["count"]),
        sealed_at=str(data.get("sealed_at", "")),
        exported_at=str(data.get("exported_at", "")),
        path=path,
    )


def latest_anchor(directory: Path | None = None) -> Anchor | None:
    """The anchor naming the highest seal (file names sort by seq, then export time)."""
    files = _anchor_files(directory or anchor_dir())
    return read_anchor(files[-1]) if files else None


def export_anchor(directory: Path | None = None) -> Path | None:
    """Write the latest seal as a new anchor file; None when there is no seal or no change."""
    directory = directory or anchor_dir()
    seal = AuditSeal.objects.order_by("-seq").first()
    if seal is None:
        return None
    previous = latest_anchor(directory)
    if previous is not None and (previous.seq, previous.hash) == (seal.seq, seal.hash):
        return None
    anchor = anchor_of(seal)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{PREFIX}{seal.seq:012d}-{stamp}.json"
    # "x": never overwrite an earlier anchor, even if two exports race on one name.
    with path.open("x") as file:
        json.dump(anchor_json(anchor), file, indent=1)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    return path
