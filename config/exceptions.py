"""One DRF exception handler: domain errors and Django's own become clear JSON answers."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import DomainError


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
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
