from config.errors import DomainPermissionDenied, DomainValidationError


class NotAllowedToDesignate(DomainPermissionDenied):
    code = "not_allowed_to_designate"


class InvalidLeadPractitioner(DomainValidationError):
    code = "invalid_lead_practitioner"


class NotAllowedToWorkOnCase(DomainPermissionDenied):
    code = "not_allowed_to_work_on_case"


class InvalidTeamMember(DomainValidationError):
    code = "invalid_team_member"


class InvalidRecordedView(DomainValidationError):
    code = "invalid_view"


class InvalidSharingDecision(DomainValidationError):
    code = "invalid_sharing_decision"


class InvalidCaseNote(DomainValidationError):
    code = "invalid_note"


class InvalidChronologyFilter(DomainValidationError):
    code = "invalid_chronology_filter"
