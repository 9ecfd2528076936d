"""Per-request facts (request id, client address) that every audit event and log line carries."""

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse

from core.client_address import client_address

# An inbound X-Request-ID is taken from the proxy so one id follows a request across hops,
# but the header is the client's to write: anything outside this shape (new lines, quotes,
# a child's name, a megabyte) would be written into every log line and audit event of the
# request, so it is replaced by a fresh id instead.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Also set on the request, for the line Django logs for a 4xx/5xx once this middleware has
# returned (BaseHandler.get_response): config.logging.RequestIdFilter reads it there.
REQUEST_ID_ATTRIBUTE = "request_id"


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str | None = None


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NO_REQUEST


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The inbound id if it has the safe shape, else a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return new_request_id()


@contextlib.contextmanager
def bound_request_id(request_id: str | None = None) -> Iterator[str]:
    """Run the block under a request id of its own (a new one unless given).

    For work outside a request (a worker pass, a management command): its log lines and the
    audit events it writes then share one id, as a request's do.
    """
    request_id = request_id_from(request_id)
    token = _current.set(replace(current_request_context(), request_id=request_id))
    try:
        yield request_id
    finally:
        _current.reset(token)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        setattr(request, REQUEST_ID_ATTRIBUTE, request_id)
        token = _current.set(
            # The client's address behind the TLS proxy, as django-axes sees it too.
            RequestContext(request_id=request_id, client_address=client_address(request))
        )
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
