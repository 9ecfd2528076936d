"""Schema fuzzing: schemathesis over every operation of the API, as several roles.

Every operation in the OpenAPI schema is called with generated requests, bounded: FUZZ_EXAMPLES
per operation and role (3 unless set; 1 anonymously, where everything is refused). The Django
app runs in-process (WSGI) in the invented world of tests/conftest.py; the roles are the front
door, a lead practitioner, a DSL, the HSB coordinator and anonymous. Path ids are drawn from
that world's own records half of the time, so requests reach past the 404s. Then a pass of
malformed requests (schemathesis's negative mode: wrong types, missing fields, values out of
range) as the lead practitioner. Two checks on every answer: never a server error, and the
answer conforms to the schema.

Failures are collected, not raised at the first one, so one run lists them all. The run is
deterministic (derandomized), so CI and a developer see the same examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from agencies.roles import Role
from assessments.models import Assessment
from cases.models import AccessGrant, BreakGlassReview, Case, Referral, TeamMember
from partnership.models import AuditRound
from pathways.models import Pathway, PathwayVersion

CO, DSL, FD, LP = Role.HSB_COORDINATOR, Role.DSL, Role.FRONT_DOOR, Role.LEAD_PRACTITIONER

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = [FD, LP, DSL, CO, None]  # None: anonymous
NEGATIVE_ROLE = LP
CHECKS = [not_a_server_error, response_schema_conformance]


def _id_pools() -> dict[str, list[int]]:
    """Real ids by path prefix (longest prefix wins), for the `{id}`-like path parameters."""

    def ids(model: Any) -> list[int]:
        return list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])

    return {
        "/api/assessments/": ids(Assessment),
        "/api/cases/": ids(Case),
        "/api/cases/referrals/": ids(Referral),
        "/api/cases/break-glass-reviews/": ids(BreakGlassReview),
        "/api/cases/shared-with-me/": ids(Case),
        "/api/partnership/rounds/": ids(AuditRound),
        "/api/pathways/": ids(Pathway),
        "/api/pathways/versions/": ids(PathwayVersion),
        "grant_id": ids(AccessGrant),
        "member_id": ids(TeamMember),
    }


def _pool_for(pools: dict[str, list[int]], path: str, parameter: str) -> list[int]:
    if parameter in pools:
        return pools[parameter]
    prefixes = [prefix for prefix in pools if prefix.startswith("/") and path.startswith(prefix)]
    return pools[max(prefixes, key=len)] if prefixes else []


def _operations() -> Iterator[Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    # As Django's test client does: closing "old" connections after each request would end
    # the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz_operation(
    operation: Any,
    app: Any,
    headers: dict[str, str],
    pools: dict[str, list[int]],
    examples: int,
    mode: GenerationMode = GenerationMode.POSITIVE,
) -> list[str]:
    failures: list[str] = []
    parameters = [p.name for p in operation.path_parameters]
    picks = st.fixed_dictionaries(
        {
            name: st.one_of(st.none(), st.sampled_from(pool))
            for name in parameters
            if (pool := _pool_for(pools, operation.path, name))
        }
    )

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), chosen=picks)
    def run(case: Any, chosen: dict[str, int | None]) -> None:
        for name, value in chosen.items():
            if value is not None:
                case.path_parameters[name] = value
        # A server error may leave the transaction unusable: undo each request on its own.
        savepoint = transaction.savepoint()
        try:
            response = case.call(app=app, headers=headers)
        except Exception as error:  # a crash in the app, raised through WSGI
            transaction.savepoint_rollback(savepoint)
            failures.append(f"{operation.label}: raised {error!r}\n  {case.as_curl_command()}")
            return
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis raises a group
            failures.append(f"{operation.label}: {str(error).strip()[:1500]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing in the operation can be malformed (no body, no bounded parameters).
        if mode is GenerationMode.POSITIVE:
            raise
    return failures


def test_every_operation_answers_without_server_errors_and_as_documented(
    invented_world: Any, wsgi_app: Any
) -> None:
    pools = _id_pools()
    failures: list[str] = []
    operations = list(_operations())
    assert len(operations) > 50  # every endpoint, not a schema that failed to load
    for role in ROLES:
        headers = {"Accept": "application/json"}
        if role is not None:
            _, token = AuthToken.objects.create(invented_world.users[role])
            headers["Authorization"] = f"Token {token}"
        for operation in operations:
            if role is not None and operation.path == "/api/auth/logout/":
                continue  # would end this role's token for the rest of the run
            failures.extend(
                f"[{role or 'anonymous'}] {failure}"
                for failure in _fuzz_operation(
                    operation, wsgi_app, headers, pools, EXAMPLES if role else 1
                )
            )
    # Then malformed requests (wrong types, missing fields, out-of-range values), as the
    # role with the most writes open to it.
    _, token = AuthToken.objects.create(invented_world.users[NEGATIVE_ROLE])
    headers = {"Accept": "application/json", "Authorization": f"Token {token}"}
    for operation in operations:
        if operation.path == "/api/auth/logout/":
            continue
        failures.extend(
            f"[{NEGATIVE_ROLE}, malformed] {failure}"
            for failure in _fuzz_operation(
                operation, wsgi_app, headers, pools, EXAMPLES, GenerationMode.NEGATIVE
            )
        )
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
