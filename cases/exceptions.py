from config.errors import DomainPermissionDenied, DomainValidationError


class NotAllowedToDesignate(DomainPermissionDenied):
    code = "not_allowed_to_designate"


class InvalidLeadPractitioner(DomainValidationError):
    code = "invalid_lead_practitioner"
