"""Writes to cases: each one locks, checks permission, validates, writes and audits."""

from typing import Any, TypeGuard

from django.utils import timezone

from agencies.actors import Actor, active_user
from agencies.models import Agency, User
from agencies.roles import AREA_WIDE, SHARING_RECIPIENTS
from audit.services import announce_written, record_event
from cases.process import task_rows
from cases.process.engine import _lock_case_in_scope as lock_case_in_scope
from cases.process.flow import PathwayFlow
from core import validation
from core.limits import LINE_MAX_LENGTH, SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH
from core.validation import length_problem, required_problem, text

from .exceptions import (
    InvalidCaseNote,
    InvalidLeadPractitioner,
    InvalidRecordedView,
    InvalidSharingDecision,
    InvalidTeamMember,
    NotAllowedToDesignate,
    NotAllowedToWorkOnCase,
    TeamMemberNotFound,
)
from .models import (
    Case,
    CaseNote,
    Consent,
    InformationSharingDecision,
    LawfulBasis,
    LeadDesignation,
    RecordedView,
    SharingDecision,
    TeamMember,
    ViewHolder,
)
from .process.leads import (
    NO_SUCH_PRACTITIONER,
    NOT_YOURS_TO_DESIGNATE,
    check_may_designate,
    designation_rows,
    lead_to_name,
)
from .selectors import (
    agency_of_area,
    as_pk,
    case_area_id,
    holds_cases,
    is_in_role_scope,
    person_of_area,
)

# One answer for an agency that does not exist and one of another area (see the exceptions).
NO_SUCH_AGENCY = "No such agency in this case's area."


def practitioner_problem(practitioner: User, agency: Agency) -> str | None:
    """The message when a practitioner named for an agency (on the team, contributing to an
    assessment) cannot act for it: their account is not active, or they work elsewhere."""
    if not practitioner.is_active:
        return "This practitioner's account is not active."
    if practitioner.agency_id != agency.pk:
        return f"This practitioner does not work for {agency}."
    return None


def designate_lead_practitioner(
    *, case: Case, practitioner: Any, actor: Actor, reason: str = ""
) -> Case:
    """Designate (or hand over to) the case's lead practitioner; one active at a time.

    Rules: the actor is a front-door practitioner, team manager or HSB coordinator whose
    role's rule shows them the case; the practitioner (a user or, from a payload, an id) is
    of the case's area, else 404 as for an id that does not exist, so the case never goes to
    someone who would then read it from outside the area; they are active and of a lead
    role; a handover says why.
    """
    actor = check_may_designate(actor)
    if not holds_cases(actor):  # the role rule gives them no case at all
        raise NotAllowedToDesignate(NOT_YOURS_TO_DESIGNATE)
    # The case locked and read with the actor's role rule in one statement, as the engine
    # moves it: read access from a grant (a consultant, break glass) never reaches this far.
    lock_and_read = PathwayFlow.lock_impl.holding(lambda: lock_case_in_scope(actor, case.pk))
    with lock_and_read as found:
        if not found:
            raise NotAllowedToDesignate(NOT_YOURS_TO_DESIGNATE)
        locked = found[0]
        named = lead_to_name(locked, practitioner)
        if locked.closed_at is not None:
            raise InvalidLeadPractitioner("The case is closed.")
        previous = locked.lead_practitioner_id
        if previous == named.pk:
            raise InvalidLeadPractitioner(
                "This practitioner is already the lead.",
                fields={"practitioner": ["Already the designated lead practitioner."]},
            )
        if previous is not None and not reason.strip():
            raise InvalidLeadPractitioner(
                "A handover needs a reason.", fields={"reason": ["A reason is required."]}
            )
        now = timezone.now()
        if previous is not None:
            # A case without a lead has no active designation (one_active_lead_per_case
            # would refuse a second): only a handover ends one.
            LeadDesignation.objects.filter(case=locked, ended_at__isnull=True).update(ended_at=now)
        designation, event = designation_rows(
            locked=locked,
            named=named,
            actor=actor,
            reason=reason.strip(),
            now=now,
            previous=previous,
        )
        locked.lock_version += 1
        # The designation, the case's lead and the audit event in one statement.
        task_rows.designate_lead_rows(case=locked, designation=designation, event=event)
        announce_written(event)
    return locked


# --- the case record beyond the pathway ------------------------------------------------------


def can_work_on_case(user: Actor, case: Case) -> TypeGuard[User]:
    """Who may add to a case's record: its lead practitioner, or a front-door practitioner,
    team manager or HSB coordinator whose role's rule shows them the case.

    A narrowing of `cases_visible_to`, never a widening: the case must be in the user's role
    scope (`cases_by_role`), so the visibility rules stay the selector's alone, a refusal here
    is never a leak, and read access from a grant never becomes a right to write.
    """
    if not active_user(user):
        return False
    if case.lead_practitioner_id != user.pk and user.role not in AREA_WIDE:
        return False
    return is_in_role_scope(user, case.pk)


def _case_to_work_on(case_id: int, actor: Actor) -> tuple[Case, User]:
    """Re-read the case under its lock and refuse an actor who may not work on it; the case,
    and the actor as the signed-in `User` the record names (who added, recorded, decided)."""
    locked: Case = Case.objects.select_related("pathway_version__pathway").get(pk=case_id)
    if not can_work_on_case(actor, locked):
        raise NotAllowedToWorkOnCase("You may not add to this case's record.")
    return locked, actor


def add_team_member(
    *,
    case: Case,
    agency: Any,
    practitioner: Any = None,
    role_on_case: str,
    actor: Actor,
) -> TeamMember:
    """Add an agency, or one of its practitioners, to the team around the child.

    Rules: the case is open; the agency and the practitioner (objects or, from a payload,
    ids) are of the case's area, else 404 as for ids that do not exist; a named practitioner
    is active, works for that agency and is not already on the team; the role is said.
    """
    role_on_case = text(role_on_case)
    with PathwayFlow.lock(case.pk):
        locked, actor = _case_to_work_on(case.pk, actor)
        area_id = case_area_id(locked)
        named_agency = agency_of_area(area_id, agency)
        if named_agency is None:
            raise TeamMemberNotFound(NO_SUCH_AGENCY, fields={"agency": [NO_SUCH_AGENCY]})
        agency = named_agency
        if practitioner is not None:
            named = person_of_area(area_id, practitioner)
            if named is None:
                raise TeamMemberNotFound(
                    NO_SUCH_PRACTITIONER, fields={"practitioner": [NO_SUCH_PRACTITIONER]}
                )
            practitioner = named
        if locked.closed_at is not None:
            raise InvalidTeamMember("The case is closed: the team around the child is final.")
        errors: dict[str, list[str]] = {}
        if problem := required_problem(
            role_on_case,
            "Say what they do for the child.",
            max_length=LINE_MAX_LENGTH,
        ):
            errors["role_on_case"] = [problem]
        current = TeamMember.objects.filter(case=locked, left_at__isnull=True)
        if practitioner is not None:
            if problem := practitioner_problem(practitioner, agency):
                errors["practitioner"] = [problem]
            elif current.filter(practitioner=practitioner).exists():
                errors["practitioner"] = ["Already on the team around the child."]
        elif (
            role_on_case
            and current.filter(
                agency=agency, practitioner__isnull=True, role_on_case__iexact=role_on_case
            ).exists()
        ):
            errors["role_on_case"] = ["This agency already has this role on the team."]
        if errors:
            raise InvalidTeamMember("The team member could not be added.", fields=errors)
        member = TeamMember.objects.create(
            case=locked,
            agency=agency,
            practitioner=practitioner,
            role_on_case=role_on_case,
            joined_at=timezone.now(),
            added_by=actor,
        )
        record_event(
            actor=actor,
            action="case.team_member_added",
            target=member,
            changes={
                "case": locked.pk,
                "agency": agency.pk,
                "practitioner": getattr(practitioner, "pk", None),
                "role_on_case": role_on_case,
            },
        )
    return member


def remove_team_member(*, member: TeamMember, actor: Actor, reason: str) -> TeamMember:
    """End a team member's part in the team around the child, saying why.

    Rules: the member is still on the team; a reason is given. Allowed on closed cases too,
    so the team can be tidied after closure; the row stays, with the date they left.
    """
    reason = text(reason)
    with PathwayFlow.lock(member.case_id):
        _, actor = _case_to_work_on(member.case_id, actor)
        locked = TeamMember.objects.select_related("agency", "practitioner").get(pk=member.pk)
        if locked.left_at is not None:
            raise InvalidTeamMember(
                f"Already left the team on {timezone.localtime(locked.left_at):%d %b %Y}."
            )
        if problem := required_problem(
            reason,
            "A reason is required.",
            max_length=SHORT_TEXT_MAX_LENGTH,
        ):
            raise InvalidTeamMember(
                "Say why they are leaving the team.", fields={"reason": [problem]}
            )
        locked.left_at = timezone.now()
        locked.removed_by = actor
        locked.left_reason = reason
        locked.save(update_fields=["left_at", "removed_by", "left_reason"])
        record_event(
            actor=actor,
            action="case.team_member_removed",
            target=locked,
            changes={"case": locked.case_id, "left_at": locked.left_at.isoformat()},
            reason=reason,
        )
    return locked


def record_view(
    *, case: Case, holder: str, view: str, holder_description: str = "", actor: Actor
) -> RecordedView:
    """Record the child's or the family's views, in their words where possible.

    Views can be recorded at any time, on closed cases too: a child's voice is never too late.
    """
    view = text(view)
    holder_description = text(holder_description)
    with PathwayFlow.lock(case.pk):
        locked, actor = _case_to_work_on(case.pk, actor)
        errors: dict[str, list[str]] = {}
        if holder not in ViewHolder.values:
            errors["holder"] = ["Choose whose view this is."]
        if problem := length_problem(holder_description, LINE_MAX_LENGTH):
            errors["holder_description"] = [problem]
        if problem := required_problem(
            view,
            "Write down the view.",
            max_length=TEXT_MAX_LENGTH,
        ):
            errors["view"] = [problem]
        if errors:
            raise InvalidRecordedView("The view could not be recorded.", fields=errors)
        recorded = RecordedView.objects.create(
            case=locked,
            holder=holder,
            holder_description=holder_description,
            view=view,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        record_event(
            actor=actor,
            action="case.view_recorded",
            target=recorded,
            changes={"case": locked.pk, "holder": holder},
        )
    return recorded


def record_information_sharing_decision(
    *,
    case: Case,
    decision: str,
    information: str,
    recipient_agency: Any,
    recipient_practitioner: Any = None,
    purpose: str,
    lawful_basis: str,
    consent: str,
    consent_reason: str = "",
    overridden_by: Any = None,
    child_family_views: str = "",
    across_areas: bool = False,
    actor: Actor,
) -> InformationSharingDecision:
    """Record a decision to share, or not to share, information about the case.

    HM Government information-sharing advice: record what, with whom, why, the lawful basis,
    and whether with consent. Decisions not to share are recorded too. Consent not sought, or
    a refusal overridden, needs the reason why; an override needs who overrode it (named
    explicitly, never assumed to be the recorder). Consent as the lawful basis needs consent
    given. A named recipient practitioner works for the recipient agency and holds a
    practitioner's role (a referrer or casework role: never an analyst, administrator or
    auditor); they then see the decision under "Shared with me", not the case file. The
    actor is recorded as who decided.

    Areas are walls, and this decision is the one door through them: the recipient agency is
    of the case's area, unless the decision says explicitly that it crosses areas
    (`across_areas`), which the audit event records with both areas. People and agencies
    may come as objects (a form) or ids (a payload) and are looked up here either way: a
    practitioner who does not exist and one of another agency get the same message, as do
    an override by someone who does not exist and by someone of another area.
    """
    information = text(information)
    purpose = text(purpose)
    consent_reason = text(consent_reason)
    child_family_views = text(child_family_views)
    with PathwayFlow.lock(case.pk):
        locked, actor = _case_to_work_on(case.pk, actor)
        case_area = locked.pathway_version.pathway.area_id
        errors: dict[str, list[str]] = {}
        recipient_agency, recipient_practitioner, overridden_by = _sharing_parties(
            agency=recipient_agency,
            practitioner=recipient_practitioner,
            overridden_by=overridden_by,
            case_area=case_area,
            across_areas=bool(across_areas),
            errors=errors,
        )
        if decision not in SharingDecision.values:
            errors["decision"] = ["Choose whether to share or not to share."]
        if problem := required_problem(
            information,
            "Say what was shared (or would have been).",
            max_length=TEXT_MAX_LENGTH,
        ):
            errors["information"] = [problem]
        if (
            recipient_practitioner is not None
            and recipient_practitioner.role not in SHARING_RECIPIENTS
        ):
            # Analysts, administrators and auditors never receive a child's details.
            errors["recipient_practitioner"] = [
                "Information about a child is shared with practitioners, not with analysts, "
                "administrators or auditors."
            ]
        if problem := required_problem(
            purpose,
            "Say why: the purpose of sharing (or of not sharing).",
            max_length=SHORT_TEXT_MAX_LENGTH,
        ):
            errors["purpose"] = [problem]
        if lawful_basis not in LawfulBasis.values:
            errors["lawful_basis"] = ["Choose the lawful basis."]
        if consent not in Consent.values:
            errors["consent"] = [
                "Say whether consent was given, not sought, refused or overridden."
            ]
        elif consent == Consent.REFUSED and decision == SharingDecision.SHARE:
            errors["consent"] = [
                "Sharing despite a refusal is an override: choose 'Refusal overridden'."
            ]
        elif consent in (Consent.NOT_SOUGHT, Consent.OVERRIDDEN) and not consent_reason:
            errors["consent_reason"] = [
                "Say why consent was not sought."
                if consent == Consent.NOT_SOUGHT
                else "Say why the refusal of consent was overridden."
            ]
        if consent == Consent.OVERRIDDEN and overridden_by is None:
            errors.setdefault("overridden_by", ["Name who overrode the refusal of consent."])
        if overridden_by is not None and consent != Consent.OVERRIDDEN:
            errors["overridden_by"] = ["Only when a refusal of consent was overridden."]
        if lawful_basis == LawfulBasis.CONSENT and consent in (
            Consent.NOT_SOUGHT,
            Consent.OVERRIDDEN,
        ):
            errors["lawful_basis"] = [
                "Consent can be the lawful basis only when consent was given."
            ]
        for name, value, limit in (
            ("consent_reason", consent_reason, SHORT_TEXT_MAX_LENGTH),
            ("child_family_views", child_family_views, TEXT_MAX_LENGTH),
        ):
            if problem := length_problem(value, limit):
                errors[name] = [problem]
        if errors or recipient_agency is None:
            raise InvalidSharingDecision(
                "The information-sharing decision could not be recorded.", fields=errors
            )
        recorded = InformationSharingDecision.objects.create(
            case=locked,
            decision=decision,
            information=information,
            recipient_agency=recipient_agency,
            recipient_practitioner=recipient_practitioner,
            purpose=purpose,
            lawful_basis=lawful_basis,
            consent=consent,
            consent_reason=consent_reason,
            overridden_by=overridden_by,
            child_family_views=child_family_views,
            decided_by=actor,
            decided_at=timezone.now(),
        )
        record_event(
            actor=actor,
            action="case.information_sharing_decided",
            target=recorded,
            changes={
                "case": locked.pk,
                "decision": decision,
                "recipient_agency": recipient_agency.pk,
                "recipient_practitioner": getattr(recipient_practitioner, "pk", None),
                # Explicit, so a search of the trail finds every decision that left the area.
                "across_areas": recipient_agency.area_id != case_area,
                "case_area": case_area,
                "recipient_area": recipient_agency.area_id,
                "lawful_basis": lawful_basis,
                "consent": consent,
                "overridden_by": getattr(overridden_by, "pk", None),
            },
            reason=consent_reason,
        )
    return recorded


def _sharing_parties(
    *,
    agency: Any,
    practitioner: Any,
    overridden_by: Any,
    case_area: int,
    across_areas: bool,
    errors: dict[str, list[str]],
) -> tuple[Any, Any, Any]:
    """Look up who an information-sharing decision names, adding field messages for refusals.

    The recipient agency: any agency, but one of another area only when the decision says it
    crosses areas. The recipient practitioner: an active user of that agency. Who overrode a
    refusal of consent: an active user of the case's area.
    """
    found_agency = None
    agency_pk = as_pk(agency)
    if agency_pk is not None:
        found_agency = Agency.objects.filter(pk=agency_pk).first()
    if found_agency is None:
        errors["recipient_agency"] = ["Choose the agency the decision concerns."]
    elif found_agency.area_id != case_area and not across_areas:
        errors["recipient_agency"] = [
            "This agency is in another partnership area. Sharing with it is a cross-area "
            "decision: say so explicitly (across_areas) to record it."
        ]
    elif found_agency.area_id == case_area and across_areas:
        errors["across_areas"] = [
            "The agency is in this case's partnership area: this is not a cross-area decision."
        ]
    found_practitioner = None
    practitioner_pk = as_pk(practitioner)
    if practitioner is not None and found_agency is not None:
        found_practitioner = (
            User.objects.filter(pk=practitioner_pk or 0, agency=found_agency, is_active=True)
            .select_related("agency")
            .first()
        )
        if found_practitioner is None:
            # The same words whether the id exists elsewhere or not at all.
            errors["recipient_practitioner"] = [
                f"Choose a practitioner who works for {found_agency}."
            ]
    found_overrider = None
    if overridden_by is not None:
        found_overrider = person_of_area(case_area, overridden_by)
        if found_overrider is None or not found_overrider.is_active:
            found_overrider = None
            errors["overridden_by"] = [
                "Name who overrode the refusal: a practitioner of this case's partnership area."
            ]
    return found_agency, found_practitioner, found_overrider


def add_case_note(*, case: Case, text: str, actor: Actor) -> CaseNote:
    """Add a note to the case record; notes can be added to closed cases too."""
    note_text = validation.text(text)
    with PathwayFlow.lock(case.pk):
        locked, actor = _case_to_work_on(case.pk, actor)
        if problem := required_problem(note_text, "Write the note.", max_length=TEXT_MAX_LENGTH):
            raise InvalidCaseNote("The note could not be added.", fields={"text": [problem]})
        note = CaseNote.objects.create(
            case=locked, text=note_text, written_at=timezone.now(), author=actor
        )
        record_event(
            actor=actor, action="case.note_added", target=note, changes={"case": locked.pk}
        )
    return note
