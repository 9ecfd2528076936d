from typing import Any

from core.errors import (
    DomainConflict,
    DomainError,
    DomainPermissionDenied,
    DomainValidationError,
)


class PartnershipNotFound(DomainError):
    """A round or agency of another area (named in the URL or by id in a payload): the same
    answer and body as DRF's 404 for an id that does not exist."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class NotAllowedToAudit(DomainPermissionDenied):
    code = "not_allowed_to_audit"


class InvalidRound(DomainValidationError):
    code = "invalid_round"


class InvalidScore(DomainValidationError):
    code = "invalid_score"


class RationaleRequired(DomainValidationError):
    """An agreed score other than the lowest agency score needs its reason recorded."""

    code = "rationale_required"


class RoundClosed(DomainConflict):
    code = "round_closed"


class InvalidDashboardFilter(DomainValidationError):
    code = "invalid_dashboard_filter"


class NotAllowedToRecordFeedback(DomainPermissionDenied):
    """Feedback on the process is recorded by someone who works on the case: its lead
    practitioner (or an area-wide role whose rule shows them the case)."""

    code = "not_allowed_to_record_feedback"


class InvalidProcessFeedback(DomainValidationError):
    code = "invalid_process_feedback"
