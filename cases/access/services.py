"""Explicit access to one case: grants, break-glass emergency access and its review.

Rules (each in one function here, used by the pages, the API and the services alike):

- Who may grant or revoke access to a case, and read its access log: the case stewards,
  that is its lead practitioner and the team managers whose rule shows them the case
  (`can_manage_access`).
- A grant goes to an active practitioner of a casework role of the case's area (another
  area's user answers as one who does not exist) who cannot already see the case by their
  role; it is read-only and may expire.
- `AccessGrant` is the audited record of who granted what, why and until when. What opens
  the case is guardian's `view_case` row for the person and case (`CaseUserObjectPermission`),
  kept in step here: it carries the latest expiry of their grants in force, and goes when
  none is left. `cases_visible_to` and `user.has_perm("cases.view_case", case)` (through
  `cases.backends`) read that row and its expiry, so an expired grant needs no job.
- Break glass: a practitioner of a casework role who needs a case of their own area that
  they cannot see says why, and gets read access at once for four hours. It is audited
  (`case.break_glass`) and waits for review by a team manager of the practitioner's agency,
  who records the outcome and notes; "not justified" ends what is left of the access.
"""

import datetime
from typing import Any, TypeGuard

from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from agencies.actors import Actor, active_user
from agencies.models import User
from agencies.roles import CAN_MANAGE_CASE_ACCESS, CAN_REVIEW_BREAK_GLASS, CASEWORK
from audit.services import record_event
from cases.process.flow import PathwayFlow
from core.limits import SHORT_TEXT_MAX_LENGTH
from core.validation import length_problem, reason_problem, text

from ..exceptions import (
    BreakGlassAlreadyReviewed,
    GranteeNotFound,
    InvalidAccessGrant,
    InvalidBreakGlass,
    InvalidBreakGlassReview,
    NotAllowedToBreakGlass,
    NotAllowedToGrantAccess,
    NotAllowedToReviewBreakGlass,
)
from ..models import (
    AccessGrant,
    AccessGrantKind,
    BreakGlassOutcome,
    BreakGlassReview,
    Case,
    CaseUserObjectPermission,
)
from ..selectors import (
    active_grants,
    case_area_id,
    is_in_role_scope,
    person_of_area,
    view_grants,
)

BREAK_GLASS_DURATION = datetime.timedelta(hours=4)
VIEW_CASE = "cases.view_case"


def _reason_too_long(reason: str) -> str | None:
    """A reason or a review's notes past the limit: core.validation's check, this wording."""
    return length_problem(reason, SHORT_TEXT_MAX_LENGTH)


# Kinds a steward grants; break-glass access is only ever requested by the practitioner.
GRANTABLE_KINDS = (AccessGrantKind.CONSULTANT, AccessGrantKind.INFORMATION_SHARING)


# --- who may ---------------------------------------------------------------------------------


def can_manage_access(user: Actor, case: Case) -> TypeGuard[User]:
    """The case's lead practitioner, or a team manager whose rule shows them the case."""
    if not active_user(user):
        return False
    if case.lead_practitioner_id != user.pk and user.role not in CAN_MANAGE_CASE_ACCESS:
        return False
    return is_in_role_scope(user, case.pk)


# Who has looked at the child's record is for the same people who decide who may look.
can_see_access_log = can_manage_access


def can_request_break_glass(user: Actor) -> TypeGuard[User]:
    return active_user(user) and user.role in CASEWORK and user.agency_id is not None


def can_review_break_glass(user: Actor) -> TypeGuard[User]:
    return active_user(user) and user.role in CAN_REVIEW_BREAK_GLASS and user.agency_id is not None


# --- grants ----------------------------------------------------------------------------------


def _lock(case_id: int) -> Any:
    return PathwayFlow.lock(case_id)


def _sync_guardian(grant: AccessGrant) -> None:
    """Bring guardian's row for the grant's person and case in step with their grants in
    force: the latest expiry (none if any grant is open-ended), or no row at all. Called
    under the case's lock, after the grant record is written."""
    in_force = list(
        active_grants(grant.user).filter(case_id=grant.case_id).values_list("expires_at", flat=True)
    )
    if not in_force:
        remove_perm(VIEW_CASE, grant.user, grant.case)
        return
    ends = [end for end in in_force if end is not None]
    expires_at = None if len(ends) < len(in_force) else max(ends)
    assign_perm(VIEW_CASE, grant.user, grant.case)
    CaseUserObjectPermission.objects.filter(
        user=grant.user, content_object=grant.case, permission__codename="view_case"
    ).update(expires_at=expires_at)


def _view_grant(user: User, case: Case) -> CaseUserObjectPermission | None:
    return view_grants(user).filter(content_object=case).first()


def grant_case_access(
    *,
    case: Case,
    user: Any,
    kind: str,
    reason: str,
    actor: Actor,
    expires_at: datetime.datetime | None = None,
) -> AccessGrant:
    """Give one practitioner read access to one case (a consultant, or an information-sharing
    recipient who needs the file), until `expires_at` or until revoked.

    Rules: the actor is a steward of the case; a grantable kind and a reason; the grantee (a
    user or, from a payload, an id) is of the case's area, else 404 as for an id that does
    not exist; they are an active practitioner of a casework role, not the actor, who cannot
    already see the case by their role and holds no grant to it in force; an expiry, if
    given, is in the future.
    """
    reason = text(reason)
    with _lock(case.pk):
        locked = Case.objects.select_related("child").get(pk=case.pk)
        if not can_manage_access(actor, locked):
            raise NotAllowedToGrantAccess(
                "Only the case's lead practitioner or a team manager may grant access."
            )
        if user is not None:
            named = person_of_area(case_area_id(locked), user)
            if named is None:
                message = "No such practitioner in this case's area."
                raise GranteeNotFound(message, fields={"user": [message]})
            user = named
        now = timezone.now()
        errors: dict[str, list[str]] = {}
        if kind not in GRANTABLE_KINDS:
            errors["kind"] = ["Choose consultant or information-sharing recipient."]
        if not reason:
            errors["reason"] = ["Say why they need the case file."]
        elif problem := _reason_too_long(reason):
            errors["reason"] = [problem]
        if expires_at is not None and expires_at <= now:
            errors["expires_at"] = ["The access must end in the future."]
        if user is None or not user.is_active or user.role not in CASEWORK:
            errors["user"] = ["Choose an active practitioner who works cases."]
        elif user.pk == actor.pk:
            errors["user"] = ["You cannot grant access to yourself."]
        elif is_in_role_scope(user, locked.pk):
            errors["user"] = ["They can already see this case."]
        elif _view_grant(user, locked) is not None:
            errors["user"] = ["They already have access to this case."]
        if errors:
            raise InvalidAccessGrant("The access could not be granted.", fields=errors)
        grant = AccessGrant.objects.create(
            case=locked,
            user=user,
            kind=kind,
            reason=reason,
            granted_by=actor,
            granted_at=now,
            expires_at=expires_at,
        )
        _sync_guardian(grant)
        record_event(
            actor=actor,
            action="case.access_granted",
            target=locked,
            changes={
                "grant": grant.pk,
                "user": user.pk,
                "kind": kind,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
            reason=reason,
        )
    return grant


def revoke_case_access(*, grant: AccessGrant, actor: Actor, reason: str = "") -> AccessGrant:
    """End a grant now. Rules: the actor is a steward of the case; the grant is in force."""
    reason = text(reason)
    with _lock(grant.case_id):
        locked = AccessGrant.objects.select_for_update().select_related("case", "user")
        locked_grant = locked.get(pk=grant.pk)
        if not can_manage_access(actor, locked_grant.case):
            raise NotAllowedToGrantAccess(
                "Only the case's lead practitioner or a team manager may revoke access."
            )
        if not locked_grant.is_active():
            raise InvalidAccessGrant("This access has already ended.")
        if problem := _reason_too_long(reason):
            raise InvalidAccessGrant("The reason is too long.", fields={"reason": [problem]})
        _end(locked_grant, actor=actor, reason=reason)
    return locked_grant


def _end(grant: AccessGrant, *, actor: User, reason: str) -> None:
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.revoked_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    _sync_guardian(grant)
    record_event(
        actor=actor,
        action="case.access_revoked",
        target=grant.case,
        changes={"grant": grant.pk, "user": grant.user_id, "kind": grant.kind},
        reason=reason,
    )


# --- break glass ------------------------------------------------------------------------------


def request_break_glass_access(*, case_id: Any, actor: Actor, reason: str) -> AccessGrant:
    """Emergency read access to a case of the actor's area they cannot otherwise see.

    Rules: a practitioner of a casework role; a reason, always; a case of their area (an
    unknown case and one of another area answer alike); not one they can already see or
    already hold emergency access to. Granted at once for four hours, audited as
    `case.break_glass`, and queued for review by a team manager of the actor's agency.
    """
    if not can_request_break_glass(actor):
        raise NotAllowedToBreakGlass("Your role may not request emergency access to cases.")
    reason = text(reason)
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Say why you need this case now: emergency access is reviewed."]
    elif problem := _reason_too_long(reason) or reason_problem(reason):
        errors["reason"] = [problem]
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        pk = 0
    in_area = Case.objects.filter(
        pk=pk, pathway_version__pathway__area__agencies=actor.agency_id
    ).exists()
    if not in_area:
        errors["case"] = ["There is no case with this number in your area."]
    if errors:
        raise InvalidBreakGlass("Emergency access was not granted.", fields=errors)
    with _lock(pk):
        case = Case.objects.get(pk=pk)
        if is_in_role_scope(actor, case.pk):
            raise InvalidBreakGlass(
                "You can already see this case.",
                fields={"case": ["You can already see this case: open it from your cases."]},
            )
        current = _view_grant(actor, case)
        if current is not None:
            until = timezone.localtime(current.expires_at) if current.expires_at else None
            raise InvalidBreakGlass(
                "You already have access to this case.",
                fields={
                    "case": [
                        f"You already have access to this case until {until:%H:%M on %d %b}."
                        if until
                        else "You already have access to this case."
                    ]
                },
            )
        now = timezone.now()
        expires_at = now + BREAK_GLASS_DURATION
        grant = AccessGrant.objects.create(
            case=case,
            user=actor,
            kind=AccessGrantKind.BREAK_GLASS,
            reason=reason,
            granted_by=actor,
            granted_at=now,
            expires_at=expires_at,
        )
        BreakGlassReview.objects.create(grant=grant)
        _sync_guardian(grant)
        record_event(
            actor=actor,
            action="case.break_glass",
            target=case,
            changes={"grant": grant.pk, "expires_at": expires_at.isoformat()},
            reason=reason,
        )
    return grant


def review_break_glass(
    *, review: BreakGlassReview, actor: Actor, outcome: str, notes: str = ""
) -> BreakGlassReview:
    """A team manager of the practitioner's agency reviews their emergency access.

    Rules: a team manager of that agency, never reviewing their own; once only; a known
    outcome; notes when it was not justified, which also ends whatever access is left.
    """
    notes = text(notes)
    with transaction.atomic():
        locked = (
            BreakGlassReview.objects.select_for_update()
            .select_related("grant__user", "grant__case")
            .get(pk=review.pk)
        )
        grant = locked.grant
        if (
            not can_review_break_glass(actor)
            or grant.user.agency_id != actor.agency_id
            or grant.user_id == actor.pk
        ):
            raise NotAllowedToReviewBreakGlass(
                "Only a team manager of the practitioner's agency may review this."
            )
        if locked.reviewed_at is not None:
            raise BreakGlassAlreadyReviewed("This emergency access has already been reviewed.")
        errors: dict[str, list[str]] = {}
        if outcome not in BreakGlassOutcome.values:
            errors["outcome"] = ["Choose justified or not justified."]
        if outcome == BreakGlassOutcome.NOT_JUSTIFIED and not notes:
            errors["notes"] = ["Say why it was not justified and what happens next."]
        if problem := _reason_too_long(notes):
            errors["notes"] = [problem]
        if errors:
            raise InvalidBreakGlassReview("The review could not be recorded.", fields=errors)
        locked.outcome = outcome
        locked.notes = notes
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["outcome", "notes", "reviewed_by", "reviewed_at"])
        revoked = False
        if outcome == BreakGlassOutcome.NOT_JUSTIFIED and grant.is_active():
            with _lock(grant.case_id):
                _end(grant, actor=actor, reason=f"Break-glass review: {notes}")
            revoked = True
        record_event(
            actor=actor,
            action="case.break_glass_reviewed",
            target=grant.case,
            changes={
                "grant": grant.pk,
                "practitioner": grant.user_id,
                "outcome": outcome,
                "access_ended": revoked,
            },
            reason=notes,
        )
    return locked
