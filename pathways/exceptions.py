from viewflow.workflow.exceptions import FlowLockFailed

from core.errors import DomainConflict, DomainError, DomainPermissionDenied, DomainValidationError


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


class NotAllowedOnCase(DomainPermissionDenied):
    """The actor's role may take the transition, but this case is not theirs to work on."""

    code = "not_allowed_on_case"


class CaseBusy(DomainConflict, FlowLockFailed):
    """Another writer holds the case's row lock: answered at once, never after a long wait.

    Also viewflow's `FlowLockFailed`, so viewflow's own callers (timers, boundary events)
    still skip a locked task and try again later, as they do with viewflow's lock.
    """

    code = "case_busy"
