"""Per-request facts (request id, client address) that every audit event carries."""

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from config.client_address import client_address


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str | None = None


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("audit_request", default=None)


def current_request_context() -> RequestContext:
    return _current.get() or _NO_REQUEST


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
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
