"""One DRF exception handler: domain errors and Django's own become clear JSON answers.

Errors Django answers itself, outside any DRF view (a body too large or with too many
fields, an unknown URL, a crash), answer JSON too under /api/: `handler400` and friends,
named in config/urls.py, and never Django's HTML pages there.

A lost database connection is an outage, not a crash: 503 with Retry-After, JSON under /api/
and a static page elsewhere (config/unavailable.py), wherever in the stack it was raised.
"""

import logging
import sys
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError

from .unavailable import API_BODY, HEADERS, database_unavailable, describe, unavailable_response

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if database_unavailable(exc):
        # Django logs the 503 itself; this line says why.
        logger.warning("database unavailable: %s", describe(exc))
        return Response(API_BODY, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=HEADERS)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            fields = {key: [str(m) for m in msgs] for key, msgs in exc.message_dict.items()}
            return Response(
                {"code": "invalid", "detail": "Invalid input.", "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"code": "invalid", "detail": " ".join(exc.messages)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(_TOO_LARGE, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(_TOO_MANY_FIELDS, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": "Invalid input.", "fields": response.data}
    elif response is not None and isinstance(exc, exceptions.APIException):
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"code": exc.get_codes() if detail else "error", "detail": detail}
    return response


_TOO_LARGE = {"code": "payload_too_large", "detail": "The request body is too large."}
_TOO_MANY_FIELDS = {"code": "invalid", "detail": "The request has too many fields or files."}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)  # type: ignore[arg-type]
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(_TOO_LARGE, status=413)
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return JsonResponse(_TOO_MANY_FIELDS, status=400)
    return JsonResponse({"code": "bad_request", "detail": "Bad request."}, status=400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)  # type: ignore[arg-type]
    body = {"code": "permission_denied", "detail": "You do not have permission to do this."}
    return JsonResponse(body, status=403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` around every middleware and the view, so the
    # exception is at hand: a lost database connection anywhere (loading the session, the
    # area context, a view) answers 503 rather than 500.
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(api=_is_api(request))
    if not _is_api(request):
        return defaults.server_error(request)
    body = {"code": "server_error", "detail": "Something went wrong; nothing more is shown."}
    return JsonResponse(body, status=500)
