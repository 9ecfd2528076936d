"""The root of every domain error; `config.exceptions` maps them to HTTP answers."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "domain_error"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "detail": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class DomainValidationError(DomainError):
    code = "invalid"


class DomainPermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"


class DomainConflict(DomainError):
    status_code = 409
    code = "conflict"
