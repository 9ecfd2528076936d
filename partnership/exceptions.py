from config.errors import DomainConflict, DomainPermissionDenied, DomainValidationError


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
