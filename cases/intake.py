"""Referral intake: recording a referral and giving every child their own consideration.

A referral names one or more children: at least one child displaying HSB, and often a
child harmed. Serious case reviews found that the needs of one child can hide another's,
so each child gets a case of their own (joining their open case, if they have one), and
the referral's cases are linked to each other both ways.

`record_referral` is the one write; `children_nameable_by`, `likely_duplicates`,
`default_pathway_version` and `referrals_visible_to` are the reads intake needs.

Areas are walls: a referrer names, finds as a likely duplicate and joins the open case of
children of their own partnership area only. A child of another area is, to them, a child
that does not exist: the same message, and nothing of that child in the answer.
"""

from __future__ import annotations

import base64
import datetime
import difflib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.models import Agency
from agencies.roles import CAN_LOG_REFERRAL, CAN_READ_REFERRALS, CASEWORK, Role
from audit.services import record_event
from core.limits import REFERRAL_MAX_BEHAVIOURS, REFERRAL_MAX_CHILDREN
from core.validation import identifier_problem
from pathways import engine
from pathways.continuum import ContinuumLevel
from pathways.models import PathwayVersion, VersionStatus

from .codes import Ethnicity, Gender, ReferralSource
from .exceptions import (
    ChildReferenceTaken,
    InvalidReferral,
    NoPublishedPathway,
    NotAllowedToRefer,
    PossibleDuplicateChild,
    ReferralConflict,
)
from .models import (
    Case,
    Channel,
    Child,
    Involvement,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    Setting,
    TrafficLight,
    age_on,
)
from .selectors import cases_by_role

DEFAULT_PATHWAY_KEY = "default"
MAX_AGE_AT_REFERRAL = 25
# A client clock a little ahead of ours is not a referral "in the future".
CLOCK_SKEW = datetime.timedelta(minutes=2)
CONTINUUM_ORDER = list(ContinuumLevel.values)  # normal … violent, in rising order
REFERENCE_PREFIX = "HSB-"
NEW_CHILD_FIELDS = (
    "reference",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "ethnicity",
    "special_educational_needs",
    "learning_disability",
    "looked_after",
    "school_id",
)


# --- reads ------------------------------------------------------------------------------------


def default_pathway_version(*, area_id: int) -> PathwayVersion | None:
    """The area's current published version of the default pathway: new cases start on it."""
    return (
        PathwayVersion.objects.filter(
            pathway__area_id=area_id,
            pathway__key=DEFAULT_PATHWAY_KEY,
            status=VersionStatus.PUBLISHED,
        )
        .order_by("-number")
        .first()
    )


def _normalise(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def _similar_names(first_a: str, last_a: str, first_b: str, last_b: str) -> tuple[bool, float]:
    first_a, last_a, first_b, last_b = map(_normalise, (first_a, last_a, first_b, last_b))
    ratio = difflib.SequenceMatcher(None, f"{first_a} {last_a}", f"{first_b} {last_b}").ratio()
    same_surname = bool(last_a) and last_a == last_b
    if len(first_a) >= 3 and len(first_b) >= 3:
        shared_prefix = first_a[:3] == first_b[:3]
    else:
        shared_prefix = bool(first_a) and first_a == first_b
    return same_surname or shared_prefix or ratio >= 0.8, ratio


def children_nameable_by(actor: Any) -> QuerySet[Child]:
    """Children the actor may name in a referral or be shown as a likely duplicate: those of
    the actor's partnership area, for the roles that record referrals.

    A child belongs to the area that holds their record (`Child.area`), and to the areas of
    the cases that hold them, of the agencies that referred them and of their school (chosen
    within the referring area at intake). Subqueries, not joins, so the queryset can be
    locked with `select_for_update`.
    """
    if not (
        getattr(actor, "is_authenticated", False)
        and getattr(actor, "is_active", False)
        and getattr(actor, "role", None) in CAN_LOG_REFERRAL
        and getattr(actor, "agency_id", None) is not None
    ):
        return Child.objects.none()
    area = _area_id_of(actor)
    in_area_case = Case.objects.filter(
        child=OuterRef("pk"), pathway_version__pathway__area_id__in=area
    )
    referred_in_area = ReferralChild.objects.filter(
        child=OuterRef("pk"), referral__referring_agency__area_id__in=area
    )
    area_schools = Agency.objects.filter(area_id__in=area).values("pk")
    return Child.objects.filter(
        Q(area_id__in=area)
        | Q(Exists(in_area_case))
        | Q(Exists(referred_in_area))
        | Q(school_id__in=area_schools)
    )


def likely_duplicates(
    *,
    actor: Any,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None,
    reference: str | None = None,
    limit: int = 10,
) -> list[Child]:
    """Existing children of the actor's area who are probably this child, best match first.

    Only children the actor may name (`children_nameable_by`): another area's children never
    come back, not even their names. A match is the same reference, or the same date of birth
    and a similar name (ignoring case: the same surname, first names sharing their first three
    letters, or full names at least 80% alike). One query (date of birth and reference
    filtered in SQL), then scoring in Python over that day's births.
    """
    reference = (reference or "").strip()
    condition = Q()
    if date_of_birth is not None:
        condition |= Q(date_of_birth=date_of_birth)
    if reference:
        condition |= Q(reference__iexact=reference)
    if not condition:
        return []
    scored: list[tuple[int, float, int, Child]] = []
    for child in children_nameable_by(actor).filter(condition).order_by("pk")[:500]:
        same_reference = bool(reference) and child.reference.casefold() == reference.casefold()
        similar, ratio = _similar_names(first_name, last_name, child.first_name, child.last_name)
        if same_reference or (child.date_of_birth == date_of_birth and similar):
            scored.append((0 if same_reference else 1, -ratio, child.pk, child))
    scored.sort(key=lambda row: row[:3])
    return [row[3] for row in scored[:limit]]


def duplicate_candidate(child: Child) -> dict[str, Any]:
    """What a referrer is shown to decide whether two records are the same child."""
    return {
        "id": child.pk,
        "reference": child.reference,
        "name": child.full_name,
        "date_of_birth": child.date_of_birth.isoformat(),
    }


def _area_id_of(user: Any) -> Any:
    return Agency.objects.filter(pk=user.agency_id).values("area_id")


def reads_referrals(user: Any) -> bool:
    """Whether the user's role works with referrals at all: referrers and casework roles."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and user.role in CAN_READ_REFERRALS
    )


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    """Referrals the user may see.

    - a DSL (referrer): their own agency's, and any they recorded: they see what became of
      each child (the stage) but not the case file;
    - the front door: every referral of their area, as they screen them all;
    - the other casework roles: those they recorded, and those that opened or joined a case
      their role's rule shows them (`cases.selectors.cases_by_role`: a manager's team, a
      coordinator's specialist cases, a lead's own);
    - analysts, administrators and auditors: none.

    Pages and endpoints then ask `cases_visible_to` per case before linking to a case file.
    """
    referrals = Referral.objects.select_related("referring_agency", "recorded_by")
    if not reads_referrals(user):
        return referrals.none()
    if user.role == Role.DSL and user.agency_id is not None:
        return referrals.filter(Q(referring_agency_id=user.agency_id) | Q(recorded_by=user))
    if user.role == Role.FRONT_DOOR and user.agency_id is not None:
        area = _area_id_of(user)
        in_area_case = Case.objects.filter(
            referral=OuterRef("pk"), pathway_version__pathway__area_id__in=area
        )
        return referrals.filter(
            Q(referring_agency__area_id__in=area) | Q(recorded_by=user) | Exists(in_area_case)
        )
    if user.role in CASEWORK:
        their_case = ReferralChild.objects.filter(
            referral=OuterRef("pk"), case__in=cases_by_role(user).values("pk")
        )
        return referrals.filter(Q(recorded_by=user) | Exists(their_case))
    return referrals.none()


# --- validation ---------------------------------------------------------------------------------


def highest_level(levels: Iterable[str]) -> str:
    known = [level for level in levels if level in CONTINUUM_ORDER]
    return max(known, key=CONTINUUM_ORDER.index) if known else ""


@dataclass
class _ChildEntry:
    index: int
    involvement: str
    child: Child | None  # an existing record to link to
    details: dict[str, Any]  # a new record's fields

    @property
    def key(self) -> str:
        return f"children[{self.index}]"


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.candidates: dict[str, list[dict[str, Any]]] = {}

    def add(self, key: str, message: str) -> None:
        self.fields.setdefault(key, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _child_id(entry: dict[str, Any]) -> int | None:
    value = entry.get("child_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _check_behaviours(behaviours: list[dict[str, Any]], errors: _Errors) -> None:
    if not behaviours:
        errors.add("behaviours", "Describe at least one behaviour.")
    if len(behaviours) > REFERRAL_MAX_BEHAVIOURS:
        errors.add("behaviours", f"Describe at most {REFERRAL_MAX_BEHAVIOURS} behaviours.")
        return
    for index, behaviour in enumerate(behaviours):
        key = f"behaviours[{index}]"
        if behaviour.get("continuum_level") not in ContinuumLevel.values:
            errors.add(f"{key}.continuum_level", "Choose the behaviour's continuum level.")
        if behaviour.get("traffic_light") not in TrafficLight.values:
            errors.add(f"{key}.traffic_light", "Choose a traffic light: green, amber or red.")
        if behaviour.get("setting") not in Setting.values:
            errors.add(f"{key}.setting", "Choose where the behaviour happened.")


def _check_date_of_birth(
    key: str, date_of_birth: Any, received_on: datetime.date | None, errors: _Errors
) -> None:
    if not isinstance(date_of_birth, datetime.date):
        errors.add(f"{key}.date_of_birth", "Enter the child's date of birth.")
        return
    if date_of_birth > timezone.localdate():
        errors.add(f"{key}.date_of_birth", "The date of birth cannot be in the future.")
        return
    if received_on is None:
        return
    if date_of_birth > received_on:
        errors.add(f"{key}.date_of_birth", "The child was born after the referral was received.")
    elif age_on(date_of_birth, received_on) > MAX_AGE_AT_REFERRAL:
        errors.add(
            f"{key}.date_of_birth",
            f"The child was {age_on(date_of_birth, received_on)} when the referral was received; "
            f"HSB pathways are for children and young people up to {MAX_AGE_AT_REFERRAL}.",
        )


def _check_new_child(
    key: str, entry: dict[str, Any], received_on: datetime.date | None, errors: _Errors
) -> dict[str, Any]:
    details = {name: entry.get(name) for name in NEW_CHILD_FIELDS}
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        text = details[name] = _text(details[name])
        if not text:
            errors.add(f"{key}.{name}", f"Enter the child's {label}.")
        elif len(text) > 100:
            errors.add(f"{key}.{name}", "Use at most 100 characters.")
    _check_date_of_birth(key, details["date_of_birth"], received_on, errors)
    reference = details["reference"] = _text(details["reference"])
    if len(reference) > 32:
        errors.add(f"{key}.reference", "Use at most 32 characters.")
    elif problem := identifier_problem(reference):
        errors.add(f"{key}.reference", problem)
    details["gender"] = details["gender"] or Gender.NOT_KNOWN
    if details["gender"] not in Gender.values:
        errors.add(f"{key}.gender", "Choose the child's gender (or 'Not known').")
    details["ethnicity"] = details["ethnicity"] or Ethnicity.NOT_KNOWN
    if details["ethnicity"] not in Ethnicity.values:
        errors.add(f"{key}.ethnicity", "Choose an ONS 2021 ethnic group (or 'Not known').")
    for flag in ("special_educational_needs", "learning_disability", "looked_after"):
        details[flag] = bool(details[flag])
    return details


def _check_children(
    children: list[dict[str, Any]],
    received_on: datetime.date | None,
    errors: _Errors,
    *,
    actor: Any,
) -> list[_ChildEntry]:
    if not children:
        errors.add("children", "Name at least one child displaying HSB.")
        return []
    if len(children) > REFERRAL_MAX_CHILDREN:
        errors.add("children", f"Name at most {REFERRAL_MAX_CHILDREN} children in one referral.")
        return []
    # Only children the actor may name: another area's child gets the very message a
    # nonexistent id gets, so ids cannot be walked to find who exists elsewhere.
    existing = children_nameable_by(actor).in_bulk(
        [pk for pk in (_child_id(entry) for entry in children) if pk is not None]
    )
    entries: list[_ChildEntry] = []
    for index, entry in enumerate(children):
        key = f"children[{index}]"
        involvement = entry.get("involvement")
        if involvement not in Involvement.values:
            errors.add(f"{key}.involvement", "Choose: child displaying HSB, or child harmed.")
        child_id = _child_id(entry)
        if entry.get("child_id") not in (None, ""):
            child = existing.get(child_id) if child_id is not None else None
            if child is None:
                errors.add(f"{key}.child_id", "There is no child record with this id.")
                continue
            _check_date_of_birth(key, child.date_of_birth, received_on, errors)
            if entry.get("first_name") or entry.get("last_name"):
                # The details typed alongside a link must still point at that record: a
                # stale choice after the name or date of birth changed is caught here.
                matches = likely_duplicates(
                    actor=actor,
                    first_name=_text(entry.get("first_name")),
                    last_name=_text(entry.get("last_name")),
                    date_of_birth=entry.get("date_of_birth"),
                    reference=_text(entry.get("reference")) or None,
                )
                if child not in matches:
                    errors.add(
                        f"{key}.child_id",
                        "The record you chose to link does not match these details; choose again.",
                    )
            entries.append(_ChildEntry(index, str(involvement), child, {}))
        else:
            details = _check_new_child(key, entry, received_on, errors)
            details["confirm_new"] = bool(entry.get("confirm_new"))
            entries.append(_ChildEntry(index, str(involvement), None, details))
    if children and not any(
        entry.get("involvement") == Involvement.DISPLAYING_HSB for entry in children
    ):
        errors.add("children", "Name at least one child displaying HSB.")
    _check_repeated_children(entries, errors)
    return entries


def _check_schools(entries: list[_ChildEntry], area_id: int, errors: _Errors) -> None:
    named = {
        entry.details["school_id"]
        for entry in entries
        if isinstance(entry.details.get("school_id"), int)
    }
    known = set(
        Agency.objects.filter(pk__in=named, area_id=area_id).values_list("pk", flat=True)
        if named
        else ()
    )
    for entry in entries:
        school_id = entry.details.get("school_id")
        if school_id is not None and school_id not in known:
            errors.add(f"{entry.key}.school_id", "Choose a school in your partnership area.")


def _check_repeated_children(entries: list[_ChildEntry], errors: _Errors) -> None:
    seen: dict[Any, int] = {}
    for entry in entries:
        if entry.child is not None:
            marks: list[Any] = [("id", entry.child.pk), ("ref", entry.child.reference.casefold())]
        else:
            details = entry.details
            marks = [
                (
                    "name",
                    _normalise(details["first_name"]),
                    _normalise(details["last_name"]),
                    details["date_of_birth"],
                )
            ]
            if details["reference"]:
                marks.append(("ref", details["reference"].casefold()))
        for mark in marks:
            if mark in seen:
                errors.add(
                    entry.key,
                    f"This child is already named in the referral (child {seen[mark] + 1}).",
                )
                break
        for mark in marks:
            seen.setdefault(mark, entry.index)


def _check_duplicates(entries: list[_ChildEntry], errors: _Errors, *, actor: Any) -> None:
    """Never create a likely duplicate silently: propose the existing records instead."""
    # Rows with errors, found once: "children[1].date_of_birth" is row "children[1]".
    rows_with_errors = {key.split(".", 1)[0] for key in errors.fields}
    for entry in entries:
        details = entry.details
        if entry.child is not None or entry.key in rows_with_errors:
            continue
        candidates = likely_duplicates(
            actor=actor,
            first_name=details["first_name"],
            last_name=details["last_name"],
            date_of_birth=details["date_of_birth"],
            reference=details["reference"] or None,
        )
        taken = details["reference"] and any(
            child.reference.casefold() == details["reference"].casefold() for child in candidates
        )
        if details["confirm_new"]:
            if taken:
                errors.add(
                    f"{entry.key}.reference",
                    "This reference belongs to another child's record: link to that record, "
                    "or leave the reference blank for a new one.",
                )
            continue
        if candidates:
            errors.add(
                entry.key,
                "This child may already have a record. Link to the existing record if it is "
                "the same child, or confirm that this is a different child.",
            )
            errors.candidates[entry.key] = [duplicate_candidate(child) for child in candidates]


# --- the write ------------------------------------------------------------------------------


def _new_reference() -> str:
    for _ in range(10):
        code = base64.b32encode(secrets.token_bytes(5)).decode()  # 8 characters, no padding
        reference = f"{REFERENCE_PREFIX}{code}"
        if not Child.objects.filter(reference=reference).exists():
            return reference
    raise ChildReferenceTaken("Could not generate a unique child reference; try again.")


def _consider_child(
    *,
    entry: _ChildEntry,
    referral: Referral,
    version_id: int,
    area_id: int,
    level: str,
    actor: Any,
) -> ReferralChild:
    """One child's own safeguarding consideration: join their open case or open a new one."""
    child = entry.child
    if child is None:
        details = {k: v for k, v in entry.details.items() if k != "confirm_new"}
        details["reference"] = details["reference"] or _new_reference()
        child = Child.objects.create(**details, area_id=referral.area_id)
    # Only a case of the referring area is joined: another area's case is not ours to touch.
    # A subquery, not a join, so the lock below takes the case's rows only.
    area_cases = Case.objects.filter(
        pathway_version_id__in=PathwayVersion.objects.filter(pathway__area_id=area_id).values("pk")
    )
    open_case = (
        area_cases.select_for_update()
        .filter(child=child, closed_at__isnull=True)
        .order_by("-referral_received_at", "-pk")
        .first()
    )
    if open_case is not None:
        # A new concern about a child already on a pathway joins that case and flags it;
        # bumping lock_version makes anyone acting on the case's older state reload first.
        Case.objects.filter(pk=open_case.pk).update(
            repeat_concern=True, lock_version=F("lock_version") + 1
        )
        record_event(
            actor=actor,
            action="case.repeat_referral",
            target=open_case,
            changes={"referral": referral.pk, "involvement": entry.involvement},
        )
        case = open_case
    else:
        facts = (
            {"continuum_level": level} if entry.involvement == Involvement.DISPLAYING_HSB else {}
        )
        case = engine.open_case(
            child=child,
            involvement=entry.involvement,
            version_id=version_id,
            referral=referral,
            referral_received_at=referral.received_at,
            actor=actor,
            facts=facts,
        )
        previous = (
            area_cases.filter(child=child, closed_at__isnull=False)
            .exclude(pk=case.pk)
            .order_by("-closed_at", "-pk")
            .first()
        )
        if previous is not None:
            Case.objects.filter(pk=case.pk).update(previous_episode=previous)
            case.previous_episode = previous
    return ReferralChild.objects.create(
        referral=referral,
        child=child,
        involvement=entry.involvement,
        case=case,
        joined_open_case=open_case is not None,
    )


def record_referral(
    *,
    actor: Any,
    received_at: datetime.datetime | None,
    source: str,
    description: str,
    behaviours: list[dict[str, Any]],
    children: list[dict[str, Any]],
    channel: str = Channel.PHONE,
    referring_agency: Agency | int | None = None,
    referrer_name: str = "",
    referrer_contact: str = "",
    immediate_safety_actions: str = "",
    parents_informed: bool | None,
    parents_not_informed_reason: str = "",
    police_involved: bool = False,
    crime_reference: str = "",
    police_outcome: str = "",
) -> Referral:
    """Record a referral; every child named gets their own case, linked to the others'.

    Rules: a DSL, front-door practitioner or team manager refers (a DSL only for their own
    agency); at least one child displaying HSB and one behaviour; dates of birth not in the
    future, no child over 25 when the referral was received; a census referral-source code;
    whether the parents or carers were informed, and if not, why not; a crime reference or
    outcome when the police are involved; no child twice, and no new record for a child who
    probably has one unless the caller confirms it is a different child. Refused input
    writes nothing.
    """
    try:
        return _record_referral(
            actor=actor,
            received_at=received_at,
            source=source,
            description=description,
            behaviours=list(behaviours or []),
            children=list(children or []),
            channel=channel,
            referring_agency=referring_agency,
            referrer_name=referrer_name,
            referrer_contact=referrer_contact,
            immediate_safety_actions=immediate_safety_actions,
            parents_informed=parents_informed,
            parents_not_informed_reason=parents_not_informed_reason,
            police_involved=police_involved,
            crime_reference=crime_reference,
            police_outcome=police_outcome,
        )
    except IntegrityError as error:
        # Two intakes racing to create the same child reference: the transaction has
        # rolled back, nothing was written, and the caller may submit again.
        raise ReferralConflict(
            "Another referral changed these children's records at the same moment; "
            "nothing was saved. Submit again."
        ) from error


@transaction.atomic
def _record_referral(
    *,
    actor: Any,
    received_at: datetime.datetime | None,
    source: str,
    description: str,
    behaviours: list[dict[str, Any]],
    children: list[dict[str, Any]],
    channel: str,
    referring_agency: Agency | int | None,
    referrer_name: str,
    referrer_contact: str,
    immediate_safety_actions: str,
    parents_informed: bool | None,
    parents_not_informed_reason: str,
    police_involved: bool,
    crime_reference: str,
    police_outcome: str,
) -> Referral:
    # Permission.
    if actor.role not in CAN_LOG_REFERRAL or actor.agency_id is None:
        raise NotAllowedToRefer("Your role may not record referrals.")
    # The referring agency (an object from the page, an id from the API) is looked up among
    # the agencies of the actor's area: one of another area answers as an id that does not
    # exist, with a field message.
    found: Agency | None = actor.agency
    agency_unknown = False
    if referring_agency is not None:
        found = Agency.objects.filter(
            pk=getattr(referring_agency, "pk", referring_agency), area_id=actor.agency.area_id
        ).first()
        agency_unknown = found is None
        found = found or actor.agency
    if found is None:
        raise NotAllowedToRefer("Your account has no agency to refer for.")
    referring_agency = found
    if actor.role == Role.DSL and not agency_unknown and referring_agency.pk != actor.agency_id:
        raise NotAllowedToRefer("A designated safeguarding lead refers for their own agency only.")

    # Lock the existing children named, so two referrals about the same child cannot both
    # open a new case for them.
    linked = [pk for pk in (_child_id(entry) for entry in children) if pk is not None]
    if linked:
        list(
            children_nameable_by(actor).select_for_update().filter(pk__in=linked).values_list("pk")
        )

    # Validation: collect every message, then refuse before writing anything.
    errors = _Errors()
    now = timezone.now()
    if not isinstance(received_at, datetime.datetime):
        errors.add("received_at", "Enter when the referral was received.")
        received_at = None
    else:
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at)
        if received_at > now + CLOCK_SKEW:
            errors.add("received_at", "The referral cannot be received in the future.")
    if source not in ReferralSource.values:
        errors.add("source", f"'{source}' is not a census referral-source code (1A to 10).")
    if channel not in Channel.values:
        errors.add("channel", f"'{channel}' is not a channel.")
    if agency_unknown:
        errors.add("referring_agency", "Choose an agency in your partnership area.")
    if not _text(description):
        errors.add("description", "Describe the concern.")
    _check_behaviours(behaviours, errors)
    received_on = timezone.localtime(received_at).date() if received_at else None
    entries = _check_children(children, received_on, errors, actor=actor)
    _check_schools(entries, referring_agency.area_id, errors)
    if parents_informed is None:
        errors.add("parents_informed", "Say whether the parents or carers were informed.")
    elif parents_informed is False and not _text(parents_not_informed_reason):
        errors.add(
            "parents_not_informed_reason", "Say why the parents or carers were not informed."
        )
    if police_involved and not (_text(crime_reference) or _text(police_outcome)):
        errors.add("crime_reference", "Give the crime reference or the police outcome.")
    if not police_involved and (_text(crime_reference) or _text(police_outcome)):
        errors.add(
            "police_involved", "Say the police are involved to record a crime reference or outcome."
        )
    if len(_text(crime_reference)) > 64:
        errors.add("crime_reference", "Use at most 64 characters.")
    elif problem := identifier_problem(crime_reference):
        errors.add("crime_reference", problem)
    # Proposed alongside any other messages, so the referrer answers everything in one go.
    _check_duplicates(entries, errors, actor=actor)
    if errors:
        only_duplicates = set(errors.fields) == set(errors.candidates)
        kind = PossibleDuplicateChild if only_duplicates else InvalidReferral
        extra = {"candidates": errors.candidates} if errors.candidates else {}
        raise kind(
            "This child may already have a record."
            if only_duplicates
            else "The referral has errors; nothing was saved.",
            fields=errors.fields,
            **extra,
        )
    if received_at is None:  # unreachable: a missing time is a validation error above
        raise InvalidReferral("Enter when the referral was received.")
    version = default_pathway_version(area_id=referring_agency.area_id)
    if version is None:
        raise NoPublishedPathway(
            "The partnership has no published default pathway, so no case can be opened."
        )

    # Write.
    level = highest_level(behaviour["continuum_level"] for behaviour in behaviours)
    referral = Referral.objects.create(
        area_id=referring_agency.area_id,
        received_at=received_at,
        source=source,
        channel=channel,
        referring_agency=referring_agency,
        referrer=actor if actor.role == Role.DSL else None,
        referrer_name=_text(referrer_name),
        referrer_contact=_text(referrer_contact),
        recorded_by=actor,
        description=_text(description),
        continuum_level=level,
        immediate_safety_actions=_text(immediate_safety_actions),
        parents_informed=parents_informed,
        parents_not_informed_reason=_text(parents_not_informed_reason),
        police_involved=bool(police_involved),
        crime_reference=_text(crime_reference),
        police_outcome=_text(police_outcome),
    )
    ReferralBehaviour.objects.bulk_create(
        ReferralBehaviour(
            referral=referral,
            description=_text(behaviour.get("description")),
            continuum_level=behaviour["continuum_level"],
            traffic_light=behaviour["traffic_light"],
            setting=behaviour["setting"],
            technology_assisted=bool(behaviour.get("technology_assisted")),
        )
        for behaviour in behaviours
    )
    links = [
        _consider_child(
            entry=entry,
            referral=referral,
            version_id=version.pk,
            area_id=referring_agency.area_id,
            level=level,
            actor=actor,
        )
        for entry in entries
    ]
    # Link every child's case to every other's: symmetrical, so each pair is added once.
    cases = [link.case for link in links]
    for position, case in enumerate(cases):
        others = [other for other in cases[position + 1 :] if other.pk != case.pk]
        if others:
            case.linked_cases.add(*others)

    # Audit.
    record_event(
        actor=actor,
        action="referral.received",
        target=referral,
        changes={
            "source": source,
            "continuum_level": level,
            "children": [
                {
                    "child": link.child_id,
                    "involvement": link.involvement,
                    "case": link.case_id,
                    "joined_open_case": link.joined_open_case,
                    "new_record": entry.child is None,
                }
                for entry, link in zip(entries, links, strict=True)
            ],
        },
    )
    return referral
