"""Refusals of the assessment services; `config.exceptions` maps them to 400, 403 and 409."""

from typing import Any

from core.errors import (
    DomainConflict,
    DomainError,
    DomainPermissionDenied,
    DomainValidationError,
)


class InvalidAssessment(DomainValidationError):
    code = "invalid_assessment"


class ToolNotSuitable(DomainValidationError):
    """A hard block: the child's age is outside the tool's range, or no current certification."""

    code = "tool_not_suitable"


class JustificationRequired(DomainValidationError):
    """A warning (population, level) was not answered with a recorded justification."""

    code = "justification_required"


class SectionsIncomplete(DomainValidationError):
    """A holistic section (harmful behaviours, development, family, environment) is empty."""

    code = "sections_incomplete"


class LateReasonRequired(DomainValidationError):
    code = "late_reason_required"


class NotAllowedToRequestAssessment(DomainPermissionDenied):
    code = "not_allowed_to_request_assessment"


class NotTheAssessor(DomainPermissionDenied):
    code = "not_the_assessor"


class NotAllowedToAuthorise(DomainPermissionDenied):
    code = "not_allowed_to_authorise"


class AssessmentNotAtStep(DomainConflict):
    """The assessment is not at the step the action needs (it moved on, or not yet there)."""

    code = "assessment_not_at_step"


class AssessmentNotFound(DomainError):
    """A case, assessment, agency or practitioner the actor may not see, or of another area,
    named in the URL or by id in a payload: the same answer (and body) as DRF's own 404 for
    an id that does not exist, so ids cannot be walked across areas."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
