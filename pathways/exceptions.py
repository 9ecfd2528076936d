from config.errors import DomainConflict, DomainError, DomainPermissionDenied, DomainValidationError


class NotAllowedForRole(DomainPermissionDenied):
    code = "not_allowed_for_role"


class GuardFailed(DomainValidationError):
    code = "guard_failed"


class MissingArtefact(DomainValidationError):
    code = "missing_artefact"


class InvalidTransitionData(DomainValidationError):
    code = "invalid"


class StaleCase(DomainConflict):
    code = "stale_case"


class TransitionNotAvailable(DomainConflict):
    code = "transition_not_available"


class VersionNotEditable(DomainConflict):
    code = "version_not_editable"


class DefinitionInvalid(DomainValidationError):
    code = "definition_invalid"


class MigrationNotPossible(DomainError):
    code = "migration_not_possible"
