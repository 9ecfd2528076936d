"""The framework's audit statements as data: `data/audit-statements.yaml` read, checked and
written to `Domain` and `Statement`.

Used by the data migration that first loads them and by `manage.py load_audit_statements`;
both match domains by number and statements by ref, so loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.yaml_schema import read_yaml_list, require_true_or_false, require_unique

STATEMENTS_YAML = Path(__file__).resolve().parent / "data" / "audit-statements.yaml"


class StatementsError(ValueError):
    """The YAML file is not a valid statement list; the message names the domain or ref."""


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_statements(path: Path = STATEMENTS_YAML) -> list[dict[str, Any]]:
    """The domains of the file, each with its statements, checked."""
    domains = read_yaml_list(path, "domains", StatementsError)
    seen_numbers: set[int] = set()
    seen_refs: set[str] = set()
    checked = []
    position = 0
    for raw in domains:
        number = raw.get("number") if isinstance(raw, dict) else None
        if not isinstance(number, int) or number in seen_numbers:
            raise StatementsError(f"Every domain needs a distinct number (got {number!r}).")
        seen_numbers.add(number)
        short, title = str(raw.get("short") or "").strip(), str(raw.get("title") or "").strip()
        if not short or not title:
            raise StatementsError(f"Domain {number}: needs a short name and a title.")
        statements = []
        for item in raw.get("statements") or []:
            ref = str(item.get("ref") or "").strip() if isinstance(item, dict) else ""
            text = str(item.get("text") or "").strip() if isinstance(item, dict) else ""
            if not ref or not text:
                raise StatementsError(f"Domain {number}: every statement needs a ref and text.")
            require_unique(ref, seen_refs, "ref", StatementsError)
            if not ref.startswith(f"{number}."):
                raise StatementsError(f"{ref}: does not belong to domain {number}.")
            scored = require_true_or_false(item.get("scored", True), ref, "scored", StatementsError)
            position += 1
            statements.append({"ref": ref, "text": text, "scored": scored, "position": position})
        if not statements:
            raise StatementsError(f"Domain {number}: has no statements.")
        checked.append({"number": number, "short": short, "title": title, "statements": statements})
    return checked


def load_statements(
    domain_model: Any, statement_model: Any, path: Path = STATEMENTS_YAML
) -> LoadResult:
    """Create or update each domain by number and each statement by ref. Statements no longer
    in the file are kept: earlier rounds' scores name them."""
    result = LoadResult()
    domains = {domain.number: domain for domain in domain_model.objects.all()}
    statements = {statement.ref: statement for statement in statement_model.objects.all()}
    for values in read_statements(path):
        domain = domains.get(values["number"])
        if domain is None:
            domain = domain_model.objects.create(
                number=values["number"], short=values["short"], title=values["title"]
            )
            result.created.append(f"domain {values['number']}")
        elif (domain.short, domain.title) != (values["short"], values["title"]):
            domain.short, domain.title = values["short"], values["title"]
            domain.save(update_fields=["short", "title"])
            result.updated.append(f"domain {values['number']}")
        for item in values["statements"]:
            statement = statements.get(item["ref"])
            wanted = {
                "domain_id": domain.pk,
                "text": item["text"],
                "scored": item["scored"],
                "position": item["position"],
            }
            if statement is None:
                statement_model.objects.create(ref=item["ref"], **wanted)
                result.created.append(item["ref"])
                continue
            changed = [name for name, value in wanted.items() if getattr(statement, name) != value]
            if changed:
                for name in changed:
                    setattr(statement, name, wanted[name])
                statement.save(update_fields=changed)
                result.updated.append(item["ref"])
            else:
                result.unchanged.append(item["ref"])
    return result


def ensure_statements() -> None:
    """Load the statements when the table is empty (a flushed test database, a fresh copy)."""
    from .models import Domain, Statement

    if not Statement.objects.exists():
        load_statements(Domain, Statement)
