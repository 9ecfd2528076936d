"""The routes of the cross-area matrix, found rather than listed: every operation of the
OpenAPI schema (drf-spectacular's generator) and every pattern of the web URL conf.

What is listed by hand is only what cannot be found: which record an id in a path names,
and a valid payload for each write (so that a write is refused for the area, not for bad
input). A new route with an id or a new write without an entry here fails the matrix until
it is added, so it is tried the day it appears.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from drf_spectacular.generators import SchemaGenerator

from assessments.tests.factories import SECTIONS_DONE

# The sign-in routes name no record; Django's admin is staff-only and has its own tests.
SKIPPED_API = {"/api/auth/token/", "/api/auth/logout/"}
SKIPPED_WEB = ("admin/", "accounts/", "api/")
API_PARAMETER = re.compile(r"\{(\w+)\}")
WEB_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")

# Fields of a payload that name a record by id, and the record of the area they name.
BODY_KINDS = {
    "case": "case",
    "child_id": "child",
    "practitioner": "practitioner",
    "user": "user",
    "recipient_practitioner": "user",
    "overridden_by": "user",
    "agency": "agency",
    "recipient_agency": "agency",
    "referring_agency": "agency",
    "area": "area",
}

SUBMIT = {
    "confirmed_continuum_level": "abusive",
    "risk_level": "medium",
    "needs": "Invented needs.",
    "intervention_focus": "Invented focus.",
    "recommended_route": "agree_specialist_assessment",
}
SHARING = {
    "decision": "share",
    "information": "Invented: the safety plan for school.",
    "purpose": "So the school can keep the children safe.",
    "lawful_basis": "public_task_safeguarding",
    "consent": "given",
}
REASON = "Invented: agreed at the matrix meeting."


def _referral(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_at": "2026-01-05T10:00:00Z",
        "source": "2A",
        "description": "Invented referral for the cross-area matrix.",
        "referring_agency": v["agency"],
        "behaviours": [
            {"continuum_level": "problematic", "traffic_light": "amber", "setting": "school"}
        ],
        "children": [{"involvement": "displaying_hsb", "child_id": v["child"]}],
        "parents_informed": True,
    }


Payload = Callable[[dict[str, Any]], dict[str, Any]]

API_PAYLOADS: dict[str, Payload] = {
    "POST /api/assessments/": lambda v: {
        "case": v["case"],
        "assessment_type": "specialist_assessment",
        "type_justification": "Invented justification.",
    },
    "POST /api/assessments/{id}/authorise/": lambda v: {},
    "POST /api/assessments/{id}/contributions/": lambda v: {
        "agency": v["contributor"],
        "practitioner": v["contributor_practitioner"],
        "summary": "Invented contribution.",
    },
    "POST /api/assessments/{id}/return/": lambda v: {"comments": "Invented comments."},
    "POST /api/assessments/{id}/sections/": lambda v: dict(SECTIONS_DONE),
    "POST /api/assessments/{id}/start/": lambda v: {
        "tool": "brook_traffic_light",
        "justification": "Invented justification.",
    },
    "POST /api/assessments/{id}/submit/": lambda v: dict(SUBMIT),
    "POST /api/cases/{id}/access-grants/": lambda v: {
        "user": v["user"],
        "kind": "consultant",
        "reason": "Invented.",
    },
    "POST /api/cases/{id}/access-grants/{grant_id}/revoke/": lambda v: {"reason": REASON},
    "POST /api/cases/{id}/lead-practitioner/": lambda v: {
        "practitioner": v["practitioner"],
        "reason": "Invented handover.",
    },
    "POST /api/cases/{id}/notes/": lambda v: {"text": "Invented note."},
    "POST /api/cases/{id}/sharing-decisions/": lambda v: {
        **SHARING,
        "recipient_agency": v["agency"],
        "recipient_practitioner": v["user"],
    },
    "POST /api/cases/{id}/team/": lambda v: {
        "agency": v["agency"],
        "practitioner": v["user"],
        "role_on_case": "Invented consultant",
    },
    "POST /api/cases/{id}/team/{member_id}/remove/": lambda v: {"reason": REASON},
    "POST /api/cases/{id}/transitions/": lambda v: {
        "transition": "agree_specialist_assessment",
        "reason": REASON,
        "expected_version": v["case_version"],
    },
    "POST /api/cases/{id}/views/": lambda v: {"holder": "child", "view": "Invented view."},
    "POST /api/cases/break-glass/": lambda v: {
        "case": v["case"],
        "reason": "Invented: the child is missing tonight.",
    },
    "POST /api/cases/break-glass-reviews/{id}/": lambda v: {"outcome": "justified", "notes": ""},
    "POST /api/cases/referrals/": _referral,
    "POST /api/cases/referrals/decisions/{id}/decide/": lambda v: {
        "outcome": "no_change",
        "reason": REASON,
    },
    "POST /api/cases/referrals/duplicates/": lambda v: {
        "first_name": v["child_first_name"],
        "last_name": v["child_last_name"],
        "date_of_birth": "2013-02-03",
    },
    "POST /api/partnership/process-feedback/": lambda v: {
        "case": v["case"],
        "given_by": "child",
        "aspect": "overall",
        "feedback": "Invented feedback on the process.",
    },
    "POST /api/partnership/rounds/": lambda v: {
        "label": "XT9",
        "period_start": "2026-04-01",
        "period_end": "2026-06-30",
    },
    "POST /api/partnership/rounds/{id}/agreed-scores/": lambda v: {
        "statement": v["statement"],
        "score": 2,
        "rationale": "Invented rationale.",
    },
    "POST /api/partnership/rounds/{id}/close/": lambda v: {},
    "POST /api/partnership/rounds/{id}/scores/": lambda v: {
        "statement": v["statement"],
        "agency": v["agency"],
        "score": 3,
        "evidence": "Invented evidence.",
    },
    "POST /api/pathways/validate/": lambda v: {"yaml": v["yaml"]},
    "PUT /api/pathways/versions/{id}/": lambda v: {"yaml": v["yaml"]},
    "POST /api/pathways/versions/{id}/publish/": lambda v: {},
    "POST /api/pathways/versions/import/": lambda v: {
        "area": v["area"],
        "yaml": v["yaml"].replace("key: default", "key: alt"),
    },
}


def _prefixed(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{key}": value for key, value in data.items()}


WEB_PAYLOADS: dict[str, Payload] = {
    "POST /work/cases/<int:pk>/transition/": lambda v: {
        "transition_key": "agree_specialist_assessment",
        **_prefixed(
            "agree_specialist_assessment",
            {
                "transition": "agree_specialist_assessment",
                "expected_version": v["case_version"],
                "reason": REASON,
            },
        ),
    },
    "POST /work/cases/<int:pk>/lead/": lambda v: {
        "practitioner": v["practitioner"],
        "reason": "Invented handover.",
    },
    "POST /work/cases/<int:pk>/team/": lambda v: _prefixed(
        "team",
        {"agency": v["agency"], "practitioner": v["user"], "role_on_case": "Invented consultant"},
    ),
    "POST /work/cases/<int:pk>/team/<int:member_id>/remove/": lambda v: {
        f"remove-{v['member']}-reason": REASON
    },
    "POST /work/cases/<int:pk>/views/": lambda v: _prefixed(
        "view", {"holder": "child", "view": "Invented."}
    ),
    "POST /work/cases/<int:pk>/sharing-decisions/": lambda v: _prefixed(
        "sharing",
        {**SHARING, "recipient_agency": v["agency"], "recipient_practitioner": v["user"]},
    ),
    "POST /work/cases/<int:pk>/notes/": lambda v: {"note-text": "Invented note."},
    "POST /work/referrals/decisions/<int:pk>/": lambda v: {
        "outcome": "no_change",
        "reason": REASON,
    },
    "POST /work/cases/<int:pk>/access-grants/": lambda v: _prefixed(
        "grant", {"user": v["user"], "kind": "consultant", "reason": "Invented."}
    ),
    "POST /work/cases/<int:pk>/access-grants/<int:grant_id>/revoke/": lambda v: {
        f"revoke-{v['grant']}-reason": REASON
    },
    "POST /work/access/break-glass/": lambda v: {
        "case": v["case"],
        "reason": "Invented: the child is missing tonight.",
    },
    "POST /work/access/break-glass/reviews/<int:pk>/": lambda v: {
        "outcome": "justified",
        "notes": "",
    },
    "POST /work/assessments/request/<int:case_pk>/": lambda v: _prefixed(
        "request",
        {"assessment_type": "specialist_assessment", "type_justification": "Invented."},
    ),
    "POST /work/assessments/<int:pk>/start/": lambda v: _prefixed(
        "start", {"tool": "brook_traffic_light", "justification": "Invented justification."}
    ),
    "POST /work/assessments/<int:pk>/sections/": lambda v: _prefixed("sections", SECTIONS_DONE),
    "POST /work/assessments/<int:pk>/contributions/": lambda v: _prefixed(
        "contribution",
        {
            "agency": v["contributor"],
            "practitioner": v["contributor_practitioner"],
            "summary": "Invented.",
        },
    ),
    "POST /work/assessments/<int:pk>/submit/": lambda v: _prefixed("submit", SUBMIT),
    "POST /work/assessments/<int:pk>/authorise/": lambda v: {
        "authorise-recommended_route": "agree_specialist_assessment"
    },
    "POST /work/assessments/<int:pk>/return/": lambda v: {"return-comments": "Invented."},
    "POST /pathways_app/versions/<int:pk>/publish/": lambda v: {},
    "POST /work/cases/<int:pk>/process-feedback/": lambda v: {
        "given_by": "child",
        "aspect": "overall",
        "feedback": "Invented feedback on the process.",
    },
    "POST /partnership_app/rounds/": lambda v: {
        "label": "XT9",
        "period_start": "2026-04-01",
        "period_end": "2026-06-30",
    },
    "POST /partnership_app/rounds/<int:pk>/scores/": lambda v: _prefixed(
        "score",
        {"statement": v["statement"], "agency": v["agency"], "score": 3, "evidence": "Invented."},
    ),
    "POST /partnership_app/rounds/<int:pk>/agreed/": lambda v: _prefixed(
        "agreed", {"statement": v["statement"], "score": 2, "rationale": "Invented."}
    ),
    "POST /partnership_app/rounds/<int:pk>/close/": lambda v: {},
}

# Which record an id in a path names: by the path's start (longest first), then the action.
PREFIX_KINDS = [
    ("cases/referrals/decisions/", "repeat_decision"),
    ("work/referrals/decisions/", "repeat_decision"),
    ("cases/referrals/", "referral"),
    ("cases/break-glass-reviews/", "review"),
    ("cases/shared-with-me/", "decision"),
    ("work/referrals/", "referral"),
    ("work/access/shared-with-me/", "decision"),
    ("work/access/break-glass/reviews/", "review"),
    ("work/assessments/request/", "case"),
    ("cases/", "case"),
    ("work/cases/", "case"),
    ("assessments/", "assessment"),
    ("work/assessments/", "assessment"),
    ("pathways/versions/", "version"),
    ("pathways_app/versions/", "version"),
    ("pathways/", "pathway"),
    ("partnership/rounds/", "round"),
    ("partnership_app/rounds/", "round"),
    ("partnership/dashboard/figures/", "figure"),
    ("partnership_app/figures/", "figure"),
]
NAMED_KINDS = {"grant_id": "grant", "member_id": "member"}


def id_kind(path: str, parameter: str, method: str) -> str | None:
    """The record a path parameter names (a key of `Area.values`), or None if unknown."""
    if parameter in NAMED_KINDS:
        return NAMED_KINDS[parameter]
    bare = path.removeprefix("/").removeprefix("api/")
    kind = next((kind for prefix, kind in PREFIX_KINDS if bare.startswith(prefix)), None)
    if kind is None:
        return None
    if kind == "assessment":
        for actions, state in (
            (("/start/",), "assessment_requested"),
            (("/sections/", "/contributions/", "/submit/"), "assessment_started"),
            (("/authorise/", "/return/"), "assessment_submitted"),
        ):
            if any(action in bare for action in actions):
                return state
        return "assessment_submitted"
    if kind == "version" and (method == "PUT" or "/publish/" in bare or "/diff/" in bare):
        return "draft"
    return kind


@dataclass(frozen=True)
class Route:
    api: bool
    method: str
    template: str  # as the schema or URL conf spells it
    parameters: tuple[str, ...]
    payload: Payload | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def url(self, kinds: list[str], values: list[dict[str, Any]]) -> str:
        """The path with each parameter's record taken from the matching `values`."""
        pattern = API_PARAMETER if self.api else WEB_PARAMETER
        url = self.template
        for kind, area_values in zip(kinds, values, strict=True):
            url = pattern.sub(str(area_values[kind]), url, count=1)
        if self.template.endswith("/diff/"):
            url += f"?against={values[-1]['version']}"
        return url


def api_routes() -> Iterator[Route]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in document["paths"].items():
        if path in SKIPPED_API:
            continue
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            method = method.upper()
            label = f"{method} {path}"
            yield Route(
                True,
                method,
                path,
                tuple(API_PARAMETER.findall(path)),
                API_PAYLOADS.get(label),
            )


def _web_patterns(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern):
            continue  # only the admin uses regular expressions
        route = prefix + str(pattern._route)
        if route.startswith(SKIPPED_WEB):
            continue
        if isinstance(entry, URLResolver):
            yield from _web_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route


def web_routes() -> Iterator[Route]:
    for template in _web_patterns(get_resolver().url_patterns):
        parameters = tuple(WEB_PARAMETER.findall(template))
        yield Route(False, "GET", template, parameters, None)
        payload = WEB_PAYLOADS.get(f"POST {template}")
        if payload is not None or parameters:
            # A page with a record in its path is posted to even without a form: a write
            # nobody listed here must still refuse another area's record.
            yield Route(False, "POST", template, parameters, payload or (lambda v: {}))


def body_variants(payload: dict[str, Any], b: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The payload with one id field at a time naming area B's record instead."""

    def walk(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*path, index))
        elif path and isinstance(path[-1], str) and _field(path[-1]) in BODY_KINDS:
            yield path

    for path in walk(payload, ()):
        changed = copy.deepcopy(payload)
        target = changed
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = b[BODY_KINDS[_field(path[-1])]]
        yield _field(path[-1]), changed


def _field(name: str) -> str:
    """A form field's name without its form's prefix ("team-agency" → "agency")."""
    return name.rsplit("-", 1)[-1]
