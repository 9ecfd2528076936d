from core.errors import DomainConflict, DomainPermissionDenied, DomainValidationError


class NotAllowedToDesignate(DomainPermissionDenied):
    code = "not_allowed_to_designate"


class InvalidLeadPractitioner(DomainValidationError):
    code = "invalid_lead_practitioner"


class LeadPractitionerNotFound(InvalidLeadPractitioner):
    """The practitioner named does not exist or is of another area: one answer for both, so ids
    cannot be walked to find who works elsewhere."""

    status_code = 404
    code = "not_found"


class NotAllowedToWorkOnCase(DomainPermissionDenied):
    code = "not_allowed_to_work_on_case"


class InvalidTeamMember(DomainValidationError):
    code = "invalid_team_member"


class TeamMemberNotFound(InvalidTeamMember):
    """The agency or practitioner named does not exist or is of another area: one answer for
    both, so ids cannot be walked to find who works elsewhere."""

    status_code = 404
    code = "not_found"


class InvalidRecordedView(DomainValidationError):
    code = "invalid_view"


class InvalidSharingDecision(DomainValidationError):
    code = "invalid_sharing_decision"


class InvalidCaseNote(DomainValidationError):
    code = "invalid_note"


class InvalidChronologyFilter(DomainValidationError):
    code = "invalid_chronology_filter"


class NotAllowedToRefer(DomainPermissionDenied):
    code = "not_allowed_to_refer"


class InvalidReferral(DomainValidationError):
    code = "invalid"


class PossibleDuplicateChild(DomainValidationError):
    """A new child's details match existing records: link to one, or confirm a new child."""

    code = "possible_duplicate"


class NoPublishedPathway(DomainConflict):
    code = "no_published_pathway"


class ChildReferenceTaken(DomainConflict):
    code = "child_reference_taken"


class ReferralConflict(DomainConflict):
    code = "referral_conflict"


class NotAllowedToGrantAccess(DomainPermissionDenied):
    code = "not_allowed_to_grant_access"


class InvalidAccessGrant(DomainValidationError):
    code = "invalid_access_grant"


class GranteeNotFound(InvalidAccessGrant):
    """The practitioner named does not exist or is of another area: one answer for both, so ids
    cannot be walked to find who works elsewhere."""

    status_code = 404
    code = "not_found"


class NotAllowedToBreakGlass(DomainPermissionDenied):
    code = "not_allowed_to_break_glass"


class InvalidBreakGlass(DomainValidationError):
    code = "invalid_break_glass"


class NotAllowedToReviewBreakGlass(DomainPermissionDenied):
    code = "not_allowed_to_review_break_glass"


class InvalidBreakGlassReview(DomainValidationError):
    code = "invalid_break_glass_review"


class BreakGlassAlreadyReviewed(DomainConflict):
    code = "break_glass_already_reviewed"


class NotAllowedToDecideReferral(DomainPermissionDenied):
    code = "not_allowed_to_decide_referral"


class InvalidRepeatReferralDecision(DomainValidationError):
    code = "invalid_repeat_referral_decision"


class RepeatReferralDecisionNotFound(InvalidRepeatReferralDecision):
    """The decision named does not exist or is on a case the actor's role does not give them
    (another area's, among others): one answer for both."""

    status_code = 404
    code = "not_found"


class RepeatReferralAlreadyDecided(DomainConflict):
    code = "repeat_referral_already_decided"
