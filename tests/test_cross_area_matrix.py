"""The cross-area matrix: nothing of area B is readable or writable from area A.

Two fully populated areas (tests/cross_area/world.py). Every operation of the OpenAPI schema
and every pattern of the web URL conf (tests/cross_area/routes.py) is called as every role of
area A, plus an area A practitioner who works on no case:

- a route with record ids in its path is called with area B's records (and, when it has two,
  with A's parent and B's child record); a write sends an otherwise valid payload;
- a write is also sent for area A's own records with one id field of its payload at a time
  naming area B's record (children, users as lead, team member or grantee, agencies as team
  or sharing recipients, cases, areas), and once with the whole payload of area B;
- a list (no record in the path) is read as it is.

Each request runs in a savepoint that is rolled back. A leak is any of: a 2xx to a request
for B's record; an answer that holds a word only B's records hold (its children's names and
references, its practitioners' names, its free texts), unless the request itself said it;
a write that changed or deleted a row of B (its audit events included) or linked a row to
one of B's records; a payload naming B's record answered with another status than the same
payload naming an id that does not exist (an oracle for which ids are B's). Checks: no
leaks (each listed as route, role, record, status, what leaked), and the observed table
equals the "Cross-area matrix" section of docs/permissions.md (`python manage.py
permission_matrix --write` regenerates it, or `CROSS_AREA_MATRIX_WRITE=1 pytest
tests/test_cross_area_matrix.py`).

The installation's set-up administrator (no agency) reads and edits every area's pathway
definitions by design (docs/permissions.md, "Pathway definitions"): those cells are shown,
not counted as leaks.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from cases.models import Child, TeamMember
from pathways.compiled import clear_compiled_cache
from tests.cross_area.routes import Route, api_routes, body_variants, id_kind, web_routes
from tests.cross_area.world import (
    ADM,
    AN,
    AUD,
    CO,
    DSL,
    FD,
    LP,
    MGR,
    NO_CASE,
    ROLES,
    TM,
    Area,
    build_area,
    high_water,
    snapshot_models,
)

# The database is set up only for a module that asks for it (the work is in `observed`).
pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
HEADING = "## Cross-area matrix"
WRITE = os.environ.get("CROSS_AREA_MATRIX_WRITE") == "1"
SHORT = {
    DSL: "DSL",
    FD: "Front door",
    LP: "Lead",
    TM: "Team member",
    MGR: "Manager",
    CO: "Coordinator",
    AN: "Analyst",
    ADM: "Admin",
    AUD: "Auditor",
    NO_CASE: "No case",
}
# Path parameters that name no area's record (a dashboard figure's key).
SHARED_KINDS = {"figure"}
PATHWAY_ROUTES = ("/api/pathways/", "/pathways_app/")
NO_SUCH_ID = 2_000_000_000
# A role answered so for A's own write is refused the route itself, whatever the payload says.
REFUSED = {401, 403, 404, 405}


@dataclass(frozen=True)
class Probe:
    route: Route
    variant: str  # which of B's records the request names, and where
    url: str
    payload: dict[str, Any] | None
    names_b_in_path: bool
    # "control": A's own write with A's payload (shows the payload is valid); "body": A's own
    # record with B's record in the payload, sent only as roles the control did not refuse.
    kind: str = "path"
    # For one id field of B in a payload: the same payload with an id that does not exist.
    # B's record must be answered exactly as that one (same status), or it is an oracle.
    missing: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    status: int
    leaks: tuple[str, ...]
    sent: bool = True  # False: the role is refused A's own write (the control), so not sent

    @property
    def shown(self) -> str:
        if not self.sent:
            return "not sent"
        return f"{self.status} **leak**" if self.leaks else str(self.status)


# --- the probes ------------------------------------------------------------------------------


def probes(a: Area, b: Area, unmapped: list[str]) -> Iterator[Probe]:
    routes = [*api_routes(), *web_routes()]
    for route in routes:
        kinds = [id_kind(route.template, name, route.method) for name in route.parameters]
        if None in kinds:
            unmapped.append(f"{route.label}: which record does each id name? (routes.py)")
            continue
        write = route.method != "GET"
        if write and route.payload is None:
            unmapped.append(f"{route.label}: no payload (routes.py API_PAYLOADS)")
            continue
        names: list[str] = [kind for kind in kinds if kind is not None]
        records = [kind for kind in names if kind not in SHARED_KINDS]

        def payload(values: dict[str, Any], route: Route = route) -> dict[str, Any] | None:
            return route.payload(values) if route.method != "GET" and route.payload else None

        if records:
            yield Probe(
                route,
                "B's " + ", ".join(records),
                route.url(names, [b.values] * len(names)),
                payload(b.values),
                True,
            )
            if len(records) > 1:
                yield Probe(
                    route,
                    f"A's {records[0]}, B's " + ", ".join(records[1:]),
                    route.url(names, [a.values] + [b.values] * (len(names) - 1)),
                    payload(b.values),
                    True,
                )
        elif not write:
            yield Probe(route, "list", route.url(names, [a.values] * len(names)), None, False)
        if not write:
            continue
        own_url = route.url(names, [a.values] * len(names))
        base = payload(a.values) or {}
        whole = payload(b.values) or {}
        nowhere = dict.fromkeys(b.values, NO_SUCH_ID)
        variants: list[tuple[str, Any, Any]] = [
            (field, changed, missing)
            for (field, changed), (_, missing) in zip(
                body_variants(base, b.values), body_variants(base, nowhere), strict=True
            )
        ]
        if whole != base:
            variants.insert(0, ("all", whole, None))
        if not variants:
            continue
        yield Probe(route, "none (A's own: control)", own_url, base, False, "control")
        for field, changed, missing in variants:
            yield Probe(route, f"body: {field} of B", own_url, changed, False, "body", missing)


# --- what changed ----------------------------------------------------------------------------

Snapshot = dict[Any, dict[Any, tuple[Any, ...]]]


def snapshot(models: list[Any] | None = None) -> Snapshot:
    taken = {}
    for model in snapshot_models() if models is None else models:
        names = [field.attname for field in model._meta.concrete_fields]
        taken[model] = {row[0]: row for row in model.objects.values_list("pk", *names)}
    return taken


def fingerprints() -> dict[Any, str] | None:
    """One digest per table, in one query: a write that changed nothing costs one round
    trip (PostgreSQL; None elsewhere, where every table is read)."""
    if connection.vendor != "postgresql":
        return None
    models = snapshot_models()
    parts = [
        # Table and column names from the models' own meta, quoted: no input reaches it.
        f"SELECT {index}, md5(coalesce(string_agg(t::text, '|' ORDER BY t.{pk}), '')) "  # noqa: S608
        f"FROM {table} t"
        for index, (table, pk) in enumerate(
            (qn(model._meta.db_table), qn(model._meta.pk.column)) for model in models
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {models[index]: digest for index, digest in cursor.fetchall()}


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class Ledger:
    """Which rows are area B's: those made while B was built."""

    baseline: Snapshot
    owned: dict[Any, set[Any]]
    hashes: dict[Any, str] | None = None

    def changed_tables(self) -> Snapshot:
        """The rows of the tables that differ from the baseline (all tables on SQLite)."""
        now = fingerprints()
        if now is None or self.hashes is None:
            return snapshot()
        return snapshot([model for model, digest in now.items() if self.hashes[model] != digest])

    def changes(self, now: Snapshot) -> list[str]:
        found = []
        for model, rows in now.items():
            name = model.__name__
            before = self.baseline.get(model, {})
            for pk in self.owned.get(model, ()):
                if pk not in rows:
                    found.append(f"deleted B's {name} #{pk}")
                elif rows[pk] != before[pk]:
                    found.append(f"changed B's {name} #{pk}")
            links = [
                (index + 1, field)
                for index, field in enumerate(model._meta.concrete_fields)
                if field.remote_field is not None
            ]
            for pk, row in rows.items():
                if pk in self.owned.get(model, ()) or before.get(pk) == row:
                    continue
                for index, field in links:
                    target = field.remote_field.model
                    if row[index] in self.owned.get(target, ()):
                        found.append(
                            f"{name} #{pk}: {field.name} → B's {target.__name__} #{row[index]}"
                        )
        return found


def owned_rows(before_b: dict[Any, int], after_b: dict[Any, int], taken: Snapshot) -> dict:
    return {
        model: {pk for pk in taken[model] if before_b[model] < pk <= after_b[model]}
        for model in before_b
        if model in taken
    }


def caught_by(ledger: Ledger, model: Any, pk: int, **change: Any) -> list[str]:
    """What the ledger reports for a write made on purpose (rolled back)."""
    with transaction.atomic():
        model.objects.filter(pk=pk).update(**change)
        found = ledger.changes(ledger.changed_tables())
        transaction.set_rollback(True)
    return found


# --- running the probes ----------------------------------------------------------------------


def _text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # a spreadsheet: a zip of XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return content.decode("utf-8", "replace")


def _request(client: Client, probe: Probe) -> Any:
    route = probe.route
    if route.method == "GET":
        return client.get(probe.url)
    if route.api:
        return client.generic(
            route.method,
            probe.url,
            json.dumps(probe.payload or {}),
            content_type="application/json",
        )
    return client.post(probe.url, probe.payload or {})


def run_probe(client: Client, probe: Probe, b: Area, ledger: Ledger) -> Outcome:
    with transaction.atomic():
        response = _request(client, probe)
        status = response.status_code
        text = _text(response)
        said = json.dumps(probe.payload or {}) + probe.url
        leaks = [f"shows {word!r}" for word in b.markers if word in text and word not in said]
        if probe.names_b_in_path and 200 <= status < 300:
            leaks.insert(0, f"answered {status} for B's record")
        if probe.route.method != "GET" and probe.kind != "control":
            leaks += ledger.changes(ledger.changed_tables())
        transaction.set_rollback(True)
    if probe.missing is not None:
        with transaction.atomic():
            unknown = _request(client, replace(probe, payload=probe.missing)).status_code
            transaction.set_rollback(True)
        if unknown != status:
            leaks.append(f"answered {status}, but {unknown} for an id that does not exist")
    return Outcome(status, tuple(leaks))


def installation_wide(role: str, probe: Probe) -> bool:
    """The set-up administrator's pathway work in every area (by design)."""
    return role == ADM and probe.route.template.startswith(PATHWAY_ROUTES)


@dataclass
class Observed:
    probes: list[Probe]
    outcomes: dict[tuple[int, str], Outcome]
    unmapped: list[str]
    b: Area
    caught: list[list[str]]  # what the ledger reported for writes made on purpose

    def leaks(self) -> list[str]:
        found = []
        for index, probe in enumerate(self.probes):
            for role in ROLES:
                outcome = self.outcomes[(index, role)]
                if outcome.leaks and not installation_wide(role, probe):
                    found.append(
                        f"{probe.route.label} [{probe.variant}] as area A's {SHORT[role]}: "
                        f"{probe.url} → {outcome.status}: " + "; ".join(outcome.leaks)
                    )
        return found


@pytest.fixture(scope="module")
def observed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Observed]:
    # Built once for the module, in a transaction rolled back at the end.
    with django_db_blocker.unblock(), transaction.atomic():
        clear_compiled_cache()
        a = build_area("Alder")
        before_b = high_water()
        b = build_area("Birch")
        after_b = high_water()
        taken = snapshot()
        ledger = Ledger(taken, owned_rows(before_b, after_b, taken), fingerprints())
        clients = {}
        for role in ROLES:
            clients[role] = Client()
            clients[role].force_login(a.users[role])
        caught = [
            caught_by(ledger, TeamMember, a.values["member"], practitioner_id=b.values["user"]),
            caught_by(ledger, Child, b.values["child"], first_name="Changed"),
        ]
        unmapped: list[str] = []
        found = list(probes(a, b, unmapped))
        outcomes: dict[tuple[int, str], Outcome] = {}
        control: dict[tuple[str, str], Outcome] = {}
        for index, probe in enumerate(found):
            for role in ROLES:
                refused = control.get((probe.route.label, role))
                if probe.kind == "body" and refused and refused.status in REFUSED:
                    outcomes[(index, role)] = Outcome(refused.status, (), sent=False)
                    continue
                outcome = run_probe(clients[role], probe, b, ledger)
                outcomes[(index, role)] = outcome
                if probe.kind == "control":
                    control[(probe.route.label, role)] = outcome
        transaction.set_rollback(True)
        clear_compiled_cache()
    yield Observed(found, outcomes, unmapped, b, caught)


# --- the document ----------------------------------------------------------------------------

INTRO = f"""\
{HEADING}

What each role of area A gets when it names area B's records. **Generated** by
`tests/test_cross_area_matrix.py` from every operation of the OpenAPI schema and every web
URL pattern, against two fully populated invented areas (`tests/cross_area/world.py`); do not
edit by hand: `python manage.py permission_matrix --write` regenerates it.

Rows: **B's …** names B's records in the path (with a payload valid for B on a write);
**A's …, B's …** names A's parent record and B's record below it; **body: X of B** is a
write to A's own record (or a create) whose payload names B's record in field X;
**body: all of B** sends B's whole payload; **list** reads a list as A. Columns: A's roles,
and **No case**, an area A practitioner who works on no case. Each cell is the status; a
**leak** is a 2xx for B's record, an answer holding B's names, references or texts, a
write that changed a row of B or linked a row to one of B's records, or a payload naming
B's record answered otherwise than the same payload naming an id that does not exist:
the test fails on each and lists it. The set-up administrator (no agency) works on every
area's pathway definitions by design: those cells read "(every area)" and are not counted.
**not sent**: the role is refused A's own write (the control row), so the payload variant
is not tried.
"""


def shown_for(outcome: Outcome, role: str, probe: Probe) -> str:
    if outcome.leaks and installation_wide(role, probe):
        return f"{outcome.status} (every area)"
    return outcome.shown


def render(observed: Observed) -> str:
    lines = [INTRO]
    for api, group in ((True, "API"), (False, "Pages")):
        lines.append(f"### Cross-area: {group}\n")
        lines.append("| route | names | " + " | ".join(SHORT[role] for role in ROLES) + " |")
        lines.append("|---|---|" + "---|" * len(ROLES))
        for index, probe in enumerate(observed.probes):
            if probe.route.api != api:
                continue
            cells = [shown_for(observed.outcomes[(index, role)], role, probe) for role in ROLES]
            lines.append(f"| `{probe.route.label}` | {probe.variant} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def committed_section() -> tuple[str, str]:
    """The document before the section, and the section (empty when there is none)."""
    text = DOC.read_text()
    head, found, tail = text.partition(f"\n{HEADING}\n")
    return (head + "\n", f"{HEADING}\n{tail}") if found else (text, "")


# --- the tests -------------------------------------------------------------------------------


def test_every_route_and_every_record_of_b_was_tried(observed: Observed) -> None:
    assert not observed.unmapped, "\n".join(observed.unmapped)
    tried = {probe.route.label for probe in observed.probes}
    # The reads and writes the walls matter most for are among the generated ones.
    for label in (
        "GET /api/cases/{id}/",
        "POST /api/cases/{id}/lead-practitioner/",
        "POST /api/cases/referrals/",
        "POST /api/cases/referrals/duplicates/",
        "POST /api/pathways/versions/import/",
        "GET /work/cases/<int:pk>/",
        "POST /work/cases/<int:pk>/team/",
    ):
        assert label in tried
    variants = {(probe.route.label, probe.variant) for probe in observed.probes}
    assert ("POST /api/cases/referrals/", "body: child_id of B") in variants
    assert ("POST /api/cases/{id}/access-grants/", "body: user of B") in variants
    assert ("POST /api/cases/{id}/sharing-decisions/", "body: recipient_agency of B") in variants


def test_the_ledger_sees_a_row_linked_to_b_and_a_row_of_b_changed(observed: Observed) -> None:
    linked, changed = observed.caught
    assert any("practitioner → B's User" in line for line in linked), linked
    assert any(line.startswith("changed B's Child") for line in changed), changed


def test_each_write_is_made_by_some_role_of_a_with_the_payload_used(observed: Observed) -> None:
    """The payloads are valid: otherwise a refusal of B's record would prove nothing."""
    done: dict[str, bool] = {}
    for index, probe in enumerate(observed.probes):
        if probe.kind == "control":
            statuses = [observed.outcomes[(index, role)].status for role in ROLES]
            done[probe.route.label] = any(200 <= status < 400 for status in statuses)
    never = sorted(label for label, made in done.items() if not made)
    assert not never, "no role of A could make these writes to A's own records:\n" + "\n".join(
        never
    )


def test_area_a_reads_and_writes_nothing_of_area_b(observed: Observed) -> None:
    leaks = observed.leaks()
    assert not leaks, f"{len(leaks)} cross-area leaks:\n" + "\n".join(leaks)


def test_the_cross_area_table_in_docs_is_what_the_code_does(observed: Observed) -> None:
    section = render(observed)
    head, committed = committed_section()
    if WRITE:
        DOC.write_text(head.rstrip("\n") + "\n\n" + section)
        committed = section
    assert committed == section, (
        "The cross-area matrix in docs/permissions.md differs from what the code does: run "
        "`python manage.py permission_matrix --write` and review the diff"
    )
