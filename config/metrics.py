"""Prometheus metrics: request latency by route, and the workflow's health read at scrape time.

Counts and durations only. Labels are the HTTP method (from a fixed set), the URL pattern
("/api/cases/<int:pk>/", never the path, which holds ids) and the status class, so neither a
record nor a client-chosen string becomes a label.

`/metrics` is answered by the metrics middleware itself, near the top of MIDDLEWARE, like the
health probes (config/health.py) and for the same reasons: a scraper inside the network
speaks plain HTTP to gunicorn with its own Host, and a scrape should set no session or CSRF
cookie, write no audit event and need no area context. What guards it instead is the bearer
token: with METRICS_ENABLED off the middleware is not loaded and `/metrics` is an unknown
page (404); on, a scrape needs `Authorization: Bearer <METRICS_TOKEN>` (401 without
credentials, 403 with wrong ones or when no token is configured). The answer builds no URL
and carries no record, only counts.

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (in the environment, before the
process starts; prometheus_client reads it at import), each worker writes its samples to files
there and a scrape merges them; deploy/gunicorn.conf.py empties the directory at start and
marks exited workers dead.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from agencies.db_context import SYSTEM_CONTEXT, area_context
from audit.sealing import last_seal, unsealed_events
from cases.models import Case
from cases.process.timers import timer_lag

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"

REQUEST_LATENCY = Histogram(
    "hsb_http_request_duration_seconds",
    "Time from the first middleware to the response, by method, URL pattern and status class.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_of(request: HttpRequest) -> str:
    """The URL pattern the request matched (its namespace path and route), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_ROUTE
    return f"/{match.route}" if match.route is not None else UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Times every request (but the health probes, answered before it) and answers /metrics."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        if not settings.METRICS_ENABLED:
            # Django drops the middleware: no cost when metrics are off.
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == METRICS_PATH:
            return metrics_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_LATENCY.labels(
            method=request.method if request.method in METHODS else "OTHER",
            route=route_of(request),
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


class WorkflowCollector(Collector):
    """Gauges read from the database at each scrape: a handful of cheap aggregates."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # The system context, like the worker: a scrape is no user, and on a connection left
        # with an area context row-level security would hide every other area's cases.
        # Only counts leave this block.
        try:
            with area_context(SYSTEM_CONTEXT):
                lag = timer_lag()
                seal = last_seal()
                unsealed = unsealed_events().count()
                open_cases = Case.objects.filter(closed_at__isnull=True).count()
        except DatabaseError:
            # The request metrics still go out; an outage shows as this gauge (and /readyz).
            logger.warning("metrics: the workflow gauges could not be read from the database")
            yield GaugeMetricFamily(
                "hsb_workflow_gauges_up", "1 if the workflow gauges could be read.", value=0
            )
            return
        yield GaugeMetricFamily(
            "hsb_workflow_gauges_up", "1 if the workflow gauges could be read.", value=1
        )
        yield GaugeMetricFamily(
            "hsb_timer_lag_seconds",
            "Seconds since the oldest due, unfired workflow timer fell due (0: none waiting).",
            value=lag,
        )
        yield GaugeMetricFamily(
            "hsb_audit_sealed_events",
            "Audit events linked into the seal chain (the latest seal's total count).",
            value=seal.total_count if seal else 0,
        )
        yield GaugeMetricFamily(
            "hsb_audit_seal_sequence",
            "Sequence number of the latest seal.",
            value=seal.seq if seal else 0,
        )
        yield GaugeMetricFamily(
            "hsb_audit_unsealed_events", "Audit events written but not yet sealed.", value=unsealed
        )
        yield GaugeMetricFamily(
            "hsb_audit_last_seal_age_seconds",
            "Seconds since the latest seal was made (-1: never sealed).",
            value=(timezone.now() - seal.sealed_at).total_seconds() if seal else -1,
        )
        yield GaugeMetricFamily(
            "hsb_open_cases", "Cases not yet closed, every area.", value=open_cases
        )


def _authorised(request: HttpRequest) -> HttpResponse | None:
    """None if the request carries the metrics token, else the refusal to send."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        response = HttpResponse("Authentication required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    expected = settings.METRICS_TOKEN
    # No token configured: nothing matches, so the metrics are never public.
    if not expected or not hmac.compare_digest(credentials.encode(), expected.encode()):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    return None


def metrics_response(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if (refusal := _authorised(request)) is not None:
        return refusal
    if settings.PROMETHEUS_MULTIPROC_DIR:
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        requests = REGISTRY
    workflow = CollectorRegistry()
    workflow.register(WorkflowCollector())
    # Two expositions, one after the other, are one valid exposition (no name in both).
    body = generate_latest(requests) + generate_latest(workflow)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
