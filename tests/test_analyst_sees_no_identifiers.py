"""A partnership analyst works with aggregates only: no endpoint ever gives them a child's
name, reference or date of birth.

Every GET endpoint the URL configuration has (pages and API, the partnership's too, found by
walking the resolver rather than listed by hand, so a new endpoint is scanned the day it is
added) is called as an analyst with invented children present, with every record id of the
world in each id parameter, and the answers are searched for the children's identifiers.
"""

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from agencies.roles import Role
from assessments.models import Assessment
from audit.models import AuditEvent
from cases.models import (
    AccessGrant,
    BreakGlassReview,
    Case,
    InformationSharingDecision,
    Referral,
    TeamMember,
)
from pathways.models import Pathway, PathwayVersion

pytestmark = pytest.mark.django_db

# Django's own admin (staff only; the analyst is not staff) and the sign-in pages.
SKIPPED_PREFIXES = ("admin/", "accounts/")
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern):
            continue  # only the admin uses regular expressions
        route = prefix + str(pattern._route)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _keys(value: Any) -> Iterator[str]:
    """Slug-like "key" values in a JSON answer: candidates for <slug:key> parameters."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "key" and isinstance(item, str):
                yield item
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _ids() -> list[int]:
    models = [
        Case,
        Referral,
        Assessment,
        InformationSharingDecision,
        BreakGlassReview,
        AccessGrant,
        TeamMember,
        Pathway,
        PathwayVersion,
    ]
    ids = {pk for model in models for pk in model.objects.values_list("pk", flat=True)}
    return sorted(ids | {999999})


def _urls(route: str, ids: list[int], slugs: list[str]) -> Iterator[str]:
    parameters = PARAMETER.findall(route)
    if not parameters:
        yield "/" + route
        return
    choices = [ids if converter in ("", "int") else slugs for converter, _ in parameters]
    # One value for every parameter at once, then each combination of the first choices.
    for values in (
        itertools.product(*choices) if len(parameters) == 1 else zip(*choices, strict=False)
    ):
        url = route
        for value in values:
            url = PARAMETER.sub(str(value), url, count=1)
        yield "/" + url


def _text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # a spreadsheet: a zip of XML parts
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return content.decode("utf-8", "replace")


def _identifiers(world: Any) -> list[str]:
    found = []
    for child in world.children:
        born = child.date_of_birth
        found += [
            f"{child.first_name} {child.last_name}",
            child.last_name,
            child.reference,
            born.isoformat(),
            born.strftime("%d/%m/%Y"),
            f"{born.day} {born:%b %Y}",
            f"{born.day} {born:%B %Y}",
            f"{born:%B} {born.day}, {born.year}",
        ]
    return sorted(set(found))


def test_no_get_endpoint_gives_an_analyst_a_childs_name_reference_or_date_of_birth(
    invented_world,
):
    analyst = invented_world.users[Role.ANALYST]
    client = Client()
    client.force_login(analyst)
    routes = list(_routes(get_resolver().url_patterns))
    ids = _ids()
    slugs = {"x"}
    for route in routes:
        if "<" not in route:
            response = client.get("/" + route, HTTP_ACCEPT="application/json")
            if response.status_code == 200 and "json" in response.get("Content-Type", ""):
                slugs.update(_keys(response.json()))
    identifiers = _identifiers(invented_world)

    leaks = []
    answered = 0
    for route in routes:
        for url in _urls(route, ids, sorted(slugs)):
            response = client.get(url)
            answered += response.status_code == 200
            text = _text(response)
            leaks += [
                f"{url} ({response.status_code}): {word}" for word in identifiers if word in text
            ]

    assert answered >= 5  # the analyst's own pages were reached, not only refusals
    assert not leaks, "\n".join(leaks)
    # The reads the analyst tried left no trace of a child's record being shown to them.
    assert not AuditEvent.objects.filter(actor=analyst, action="case.read").exists()
