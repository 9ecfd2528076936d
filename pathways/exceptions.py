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


class NotForThisChild(DomainValidationError):
    """The transition is on the other child's route: each child is routed by their own
    involvement (pathways.involvement)."""

    code = "not_for_this_child"


class LeadPractitionerRequired(DomainValidationError):
    """The move enters a stage that needs a lead practitioner, and the case has none."""

    code = "lead_practitioner_required"
