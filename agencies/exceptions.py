"""Refusals at login: each maps to its HTTP answer through config.exceptions."""

from core.errors import DomainError, DomainPermissionDenied, DomainValidationError


class LockedOut(DomainError):
    """Too many wrong passwords for this username from this address (django-axes)."""

    status_code = 429
    code = "locked_out"


class SecondFactorNotSetUp(DomainPermissionDenied):
    """An administrator without a confirmed authenticator: no token, no admin, no pages."""

    code = "second_factor_not_set_up"


class WrongCode(DomainValidationError):
    """A missing, wrong, reused or throttled one-time code."""

    code = "wrong_code"
