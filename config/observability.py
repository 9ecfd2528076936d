"""Error reports through sentry-sdk, holding nothing about a child.

An event may leave the building, so it is built from an allowlist rather than scrubbed by a
denylist: the exception's type and stack (file, function, line and source lines: code, no
local variables), the route, the method, the request id and a few harmless headers. Dropped:
request bodies, query strings, cookies, other headers, user details, exception messages (a
database error quotes the failing row), log-message arguments and any `extra`. The request id
tag leads from the report to the log lines and the audit events of the same request.

`init_sentry` is a function so settings can call it only when SENTRY_DSN is set and tests
can call it against a loopback receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import sentry_sdk
from sentry_sdk.client import BaseClient
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Breadcrumb, BreadcrumbHint, DataCollectionUserOptions, Event, Hint

from audit.context import current_request_context

from .logging import MESSAGE_WITHHELD, strip_query_strings

SAFE_HEADERS = frozenset(
    {"accept", "accept-language", "content-length", "content-type", "host", "user-agent",
     "x-request-id"}
)  # fmt: skip
_EVENT_KEYS = frozenset(
    {"event_id", "timestamp", "start_timestamp", "level", "platform", "logger", "transaction",
     "transaction_info", "release", "environment", "server_name", "sdk", "fingerprint",
     "modules", "type", "contexts", "tags", "exception", "threads", "logentry", "request",
     "breadcrumbs", "spans", "measurements"}
)  # fmt: skip
# Contexts describe the runtime, never the request or the user.
_CONTEXT_KEYS = frozenset({"runtime", "os", "device", "trace", "response"})
_FRAME_KEYS = frozenset(
    {"filename", "abs_path", "function", "module", "lineno", "colno", "in_app",
     "context_line", "pre_context", "post_context"}
)  # fmt: skip
_SPAN_KEYS = frozenset(
    {"span_id", "parent_span_id", "trace_id", "op", "description", "start_timestamp",
     "timestamp", "status", "origin", "same_process_as_parent"}
)  # fmt: skip


# What the SDK collects in the first place (sentry-sdk's `data_collection`, which replaces
# the deprecated send_default_pii): no user, cookies, bodies, query strings, SQL parameters,
# message payloads or local variables; only the safe headers.
DATA_COLLECTION: DataCollectionUserOptions = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(SAFE_HEADERS)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "graphql": {"document": False, "variables": False},
    "gen_ai": {"inputs": False, "outputs": False},
    "database_query_data": False,
    "queues": False,
    "stack_frame_variables": False,
}


def _frames(stacktrace: Any) -> dict[str, Any] | None:
    if not isinstance(stacktrace, Mapping):
        return None
    frames = [
        {key: value for key, value in frame.items() if key in _FRAME_KEYS}
        for frame in stacktrace.get("frames") or []
        if isinstance(frame, Mapping)
    ]
    return {"frames": frames}


def _exception_values(exception: Any) -> dict[str, Any]:
    values = []
    for value in (exception or {}).get("values") or []:
        if not isinstance(value, Mapping):
            continue
        kept = {key: value[key] for key in ("type", "module", "mechanism") if key in value}
        kept["value"] = MESSAGE_WITHHELD
        if (stacktrace := _frames(value.get("stacktrace"))) is not None:
            kept["stacktrace"] = stacktrace
        values.append(kept)
    return {"values": values}


def _request(request: Any) -> dict[str, Any]:
    if not isinstance(request, Mapping):
        return {}
    kept: dict[str, Any] = {}
    if isinstance(request.get("method"), str):
        kept["method"] = request["method"]
    if isinstance(request.get("url"), str):
        # Sentry puts the query in its own field; a URL may still carry one.
        kept["url"] = request["url"].split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, Mapping):
        kept["headers"] = {
            name: value
            for name, value in headers.items()
            if isinstance(name, str) and name.lower() in SAFE_HEADERS
        }
    return kept


def _breadcrumb(crumb: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: crumb[key] for key in ("type", "category", "level", "timestamp") if key in crumb}
    message = crumb.get("message")
    if isinstance(message, str):
        # SQL is the statement with placeholders; log messages are our text or Django's
        # "Not Found: /path": no query strings either way.
        kept["message"] = strip_query_strings(message)
    return kept


def _span(span: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in span.items() if key in _SPAN_KEYS}
    if isinstance(kept.get("description"), str):
        kept["description"] = strip_query_strings(kept["description"])
    return kept


def scrub_event(event: Event, hint: Hint | None = None) -> Event:
    """The event reduced to the allowlist; used as before_send and before_send_transaction."""
    kept: dict[str, Any] = {key: value for key, value in event.items() if key in _EVENT_KEYS}
    if "exception" in kept:
        kept["exception"] = _exception_values(kept["exception"])
    if "threads" in kept:
        kept["threads"] = {
            "values": [
                {"id": thread.get("id"), "stacktrace": _frames(thread.get("stacktrace"))}
                for thread in (kept["threads"] or {}).get("values") or []
                if isinstance(thread, Mapping)
            ]
        }
    if "logentry" in kept:
        # The format string only ("Internal Server Error: %s"), never its arguments.
        logentry = kept["logentry"] if isinstance(kept["logentry"], Mapping) else {}
        template = logentry.get("message")
        kept["logentry"] = {"message": strip_query_strings(template)} if template else {}
    if "request" in kept:
        kept["request"] = _request(kept["request"])
    if "contexts" in kept and isinstance(kept["contexts"], Mapping):
        kept["contexts"] = {k: v for k, v in kept["contexts"].items() if k in _CONTEXT_KEYS}
    if "breadcrumbs" in kept:
        crumbs = kept["breadcrumbs"]
        values = crumbs.get("values", []) if isinstance(crumbs, Mapping) else crumbs or []
        kept["breadcrumbs"] = {
            "values": [_breadcrumb(crumb) for crumb in values if isinstance(crumb, Mapping)]
        }
    if "spans" in kept:
        kept["spans"] = [_span(span) for span in kept["spans"] or [] if isinstance(span, Mapping)]
    tags = dict(kept.get("tags") or {})
    tags = {k: v for k, v in tags.items() if isinstance(v, str | int | float | bool)}
    request_id = current_request_context().request_id
    if request_id:
        tags["request_id"] = request_id
    kept["tags"] = tags
    return cast(Event, kept)


def scrub_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint | None = None) -> Breadcrumb:
    return cast(Breadcrumb, _breadcrumb(crumb))


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> BaseClient:
    """Start the Sentry client for this process and return it (`close()` stops it)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # Belt and braces under the allowlist: ask the SDK not to collect these at all.
        data_collection=DATA_COLLECTION,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        # Transactions named by URL pattern ("/api/cases/{pk}/"), never the raw path.
        integrations=[DjangoIntegration(transaction_style="url")],
    )
    return sentry_sdk.get_client()
