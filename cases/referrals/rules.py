"""The rules of a referral: what `record_referral` accepts, checked in one place for the page,
the API, the demo loader and the management commands alike.

`validated_referral` collects every message (field keys such as "children[1].date_of_birth")
and refuses before anything is written; what passes is a `ReferralInput`, its text stripped,
which the service writes as it stands. The forms and serializers in front of it only shape
input (a date is a date); a rule that lived only there would be a rule the other callers skip.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from agencies.actors import Actor
from agencies.models import Agency
from core.limits import (
    CHILD_REFERENCE_MAX_LENGTH,
    CRIME_REFERENCE_MAX_LENGTH,
    LINE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REFERRAL_MAX_BEHAVIOURS,
    REFERRAL_MAX_CHILDREN,
    SHORT_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from core.validation import identifier_problem, length_problem, text
from pathways.continuum import ContinuumLevel, brook_colour_problem

from ..ages import referral_age_problem
from ..codes import Ethnicity, Gender, ReferralSource
from ..exceptions import InvalidReferral, PossibleDuplicateChild
from ..models import Channel, Child, Involvement, Setting, TrafficLight
from .selectors import (
    ChildDetails,
    children_nameable_by,
    duplicate_candidate,
    likely_duplicates,
    likely_duplicates_of,
    normalised,
)

# A client clock a little ahead of ours is not a referral "in the future".
CLOCK_SKEW = datetime.timedelta(minutes=2)
CONTINUUM_ORDER = list(ContinuumLevel.values)  # normal … violent, in rising order
# Each choice's values, as a set: `Choices.values` builds its list again on every call.
_VALUES: dict[type[Any], frozenset[str]] = {
    choices: frozenset(choices.values)
    for choices in (
        ContinuumLevel,
        TrafficLight,
        Setting,
        Gender,
        Ethnicity,
        Involvement,
        ReferralSource,
        Channel,
    )
}


def _chosen(value: Any, choices: type[Any]) -> bool:
    """Whether `value` is one of the choices' values (any other type of value is not: and
    an unhashable one from a bad payload must not raise)."""
    return isinstance(value, str) and value in _VALUES[choices]


# The longest each of the referral's own text fields may be (the crime reference, an
# identifier, has its own check); a child's and a behaviour's fields are checked with them.
TEXT_LIMITS = {
    "referrer_name": LINE_MAX_LENGTH,
    "referrer_contact": LINE_MAX_LENGTH,
    "description": TEXT_MAX_LENGTH,
    "immediate_safety_actions": TEXT_MAX_LENGTH,
    "parents_not_informed_reason": TEXT_MAX_LENGTH,
    "police_outcome": TEXT_MAX_LENGTH,
}
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


def highest_level(levels: Iterable[str]) -> str:
    known = [level for level in levels if level in CONTINUUM_ORDER]
    return max(known, key=CONTINUUM_ORDER.index) if known else ""


@dataclass
class ChildEntry:
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


def linked_child_id(entry: dict[str, Any]) -> int | None:
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
        if not _chosen(behaviour.get("continuum_level"), ContinuumLevel):
            errors.add(f"{key}.continuum_level", "Choose the behaviour's continuum level.")
        if not _chosen(behaviour.get("traffic_light"), TrafficLight):
            errors.add(f"{key}.traffic_light", "Choose a traffic light: green, amber or red.")
        elif problem := brook_colour_problem(
            str(behaviour.get("continuum_level")), behaviour["traffic_light"]
        ):
            errors.add(f"{key}.traffic_light", problem)
        if not _chosen(behaviour.get("setting"), Setting):
            errors.add(f"{key}.setting", "Choose where the behaviour happened.")
        description = text(behaviour.get("description"))
        if problem := length_problem(description, SHORT_TEXT_MAX_LENGTH):
            errors.add(f"{key}.description", problem)


def _check_date_of_birth(
    key: str,
    date_of_birth: Any,
    involvement: Any,
    received_on: datetime.date | None,
    errors: _Errors,
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
    elif problem := referral_age_problem(date_of_birth, str(involvement), received_on):
        errors.add(f"{key}.date_of_birth", problem)


def _check_new_child(
    key: str, entry: dict[str, Any], received_on: datetime.date | None, errors: _Errors
) -> dict[str, Any]:
    details = {name: entry.get(name) for name in NEW_CHILD_FIELDS}
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        value = details[name] = text(details[name])
        if not value:
            errors.add(f"{key}.{name}", f"Enter the child's {label}.")
        elif problem := length_problem(value, NAME_MAX_LENGTH):
            errors.add(f"{key}.{name}", problem)
    _check_date_of_birth(
        key, details["date_of_birth"], entry.get("involvement"), received_on, errors
    )
    reference = details["reference"] = text(details["reference"])
    problem = length_problem(reference, CHILD_REFERENCE_MAX_LENGTH) or identifier_problem(reference)
    if problem:
        errors.add(f"{key}.reference", problem)
    details["gender"] = details["gender"] or Gender.NOT_KNOWN
    if not _chosen(details["gender"], Gender):
        errors.add(f"{key}.gender", "Choose the child's gender (or 'Not known').")
    details["ethnicity"] = details["ethnicity"] or Ethnicity.NOT_KNOWN
    if not _chosen(details["ethnicity"], Ethnicity):
        errors.add(f"{key}.ethnicity", "Choose an ONS 2021 ethnic group (or 'Not known').")
    for flag in ("special_educational_needs", "learning_disability", "looked_after"):
        details[flag] = bool(details[flag])
    return details


def _check_children(
    children: list[dict[str, Any]],
    received_on: datetime.date | None,
    errors: _Errors,
    *,
    actor: Actor,
    existing: dict[int, Child] | None,
    area_id: int | None,
) -> list[ChildEntry]:
    if not children:
        errors.add("children", "Name at least one child displaying HSB.")
        return []
    if len(children) > REFERRAL_MAX_CHILDREN:
        errors.add("children", f"Name at most {REFERRAL_MAX_CHILDREN} children in one referral.")
        return []
    # Only children the actor may name: another area's child gets the very message a
    # nonexistent id gets, so ids cannot be walked to find who exists elsewhere.
    if existing is None:
        existing = children_nameable_by(actor, area_id=area_id).in_bulk(
            [pk for pk in (linked_child_id(entry) for entry in children) if pk is not None]
        )
    entries: list[ChildEntry] = []
    for index, entry in enumerate(children):
        key = f"children[{index}]"
        involvement = entry.get("involvement")
        if not _chosen(involvement, Involvement):
            errors.add(f"{key}.involvement", "Choose: child displaying HSB, or child harmed.")
        child_id = linked_child_id(entry)
        if entry.get("child_id") not in (None, ""):
            child = existing.get(child_id) if child_id is not None else None
            if child is None:
                errors.add(f"{key}.child_id", "There is no child record with this id.")
                continue
            _check_date_of_birth(key, child.date_of_birth, involvement, received_on, errors)
            if entry.get("first_name") or entry.get("last_name"):
                # The details typed alongside a link must still point at that record: a
                # stale choice after the name or date of birth changed is caught here.
                matches = likely_duplicates(
                    actor=actor,
                    first_name=text(entry.get("first_name")),
                    last_name=text(entry.get("last_name")),
                    date_of_birth=entry.get("date_of_birth"),
                    reference=text(entry.get("reference")) or None,
                )
                if child not in matches:
                    errors.add(
                        f"{key}.child_id",
                        "The record you chose to link does not match these details; choose again.",
                    )
            entries.append(ChildEntry(index, str(involvement), child, {}))
        else:
            details = _check_new_child(key, entry, received_on, errors)
            details["confirm_new"] = bool(entry.get("confirm_new"))
            entries.append(ChildEntry(index, str(involvement), None, details))
    if children and not any(
        entry.get("involvement") == Involvement.DISPLAYING_HSB for entry in children
    ):
        errors.add("children", "Name at least one child displaying HSB.")
    _check_repeated_children(entries, errors)
    return entries


def _check_schools(entries: list[ChildEntry], area_id: int, errors: _Errors) -> None:
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


def _check_repeated_children(entries: list[ChildEntry], errors: _Errors) -> None:
    seen: dict[Any, int] = {}
    for entry in entries:
        if entry.child is not None:
            marks: list[Any] = [("id", entry.child.pk), ("ref", entry.child.reference.casefold())]
        else:
            details = entry.details
            marks = [
                (
                    "name",
                    normalised(details["first_name"]),
                    normalised(details["last_name"]),
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


def _check_duplicates(
    entries: list[ChildEntry], errors: _Errors, *, actor: Actor, area_id: int | None
) -> None:
    """Never create a likely duplicate silently: propose the existing records instead."""
    # Rows with errors, found once: "children[1].date_of_birth" is row "children[1]".
    rows_with_errors = {key.split(".", 1)[0] for key in errors.fields}
    new_entries = [
        entry for entry in entries if entry.child is None and entry.key not in rows_with_errors
    ]
    if not new_entries:
        return
    # One query for every new child named.
    found = likely_duplicates_of(
        actor=actor,
        area_id=area_id,
        children=[
            ChildDetails(
                first_name=entry.details["first_name"],
                last_name=entry.details["last_name"],
                date_of_birth=entry.details["date_of_birth"],
                reference=entry.details["reference"] or None,
            )
            for entry in new_entries
        ],
    )
    for entry, candidates in zip(new_entries, found, strict=True):
        details = entry.details
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


@dataclass(frozen=True)
class ReferralInput:
    """A referral that passed every rule, its text stripped: what `record_referral` writes."""

    received_at: datetime.datetime
    source: str
    channel: str
    referring_agency: Agency
    referrer_name: str
    referrer_contact: str
    description: str
    continuum_level: str  # the highest level among the behaviours
    behaviours: list[dict[str, Any]]  # ReferralBehaviour's fields
    children: list[ChildEntry]
    immediate_safety_actions: str
    parents_informed: bool | None  # never None once validated
    parents_not_informed_reason: str
    police_involved: bool
    crime_reference: str
    police_outcome: str


@dataclass(frozen=True, kw_only=True)
class ReferralRequest:
    """A referral as given (by the page's form, the API's payload, the demo loader), before
    the rules: the one list of what a referral says, `record_referral`'s keywords."""

    received_at: Any  # a datetime, or anything else to be refused by name
    source: str
    description: str
    behaviours: list[dict[str, Any]]
    children: list[dict[str, Any]]
    parents_informed: bool | None
    channel: str = Channel.PHONE
    referring_agency: Agency | int | None = None  # an object from the page, an id from the API
    referrer_name: str = ""
    referrer_contact: str = ""
    immediate_safety_actions: str = ""
    parents_not_informed_reason: str = ""
    police_involved: bool = False
    crime_reference: str = ""
    police_outcome: str = ""


def validated_referral(
    *,
    actor: Actor,
    referring_agency: Agency,
    agency_unknown: bool,
    given: ReferralRequest,
    existing: dict[int, Child] | None = None,
    actor_area_id: int | None = None,
) -> ReferralInput:
    """Every rule of a referral, all messages at once: at least one child displaying HSB and
    one behaviour, each with a traffic light that fits its continuum level (`BROOK_COLOUR`);
    dates of birth not in the future, and at referral a child displaying HSB 4 to 17 and a
    child harmed under 18 (`cases.ages`); a census referral-source code; whether the parents or
    carers were informed, and if not, why not; a crime reference or outcome when the police are
    involved; no child twice, and no new record for a child who probably has one unless the
    caller confirms it is a different child (`PossibleDuplicateChild`, with the candidates).

    `agency_unknown`: the referring agency asked for is not one of the actor's area (the
    service looked it up, and refers for the actor's own agency meanwhile). `existing`: the
    records of the children linked by id that the actor may name (`children_nameable_by`),
    if the caller has read them already (the service, locking them); else they are read here.
    `actor_area_id`: the actor's area, if the caller has read it (cheaper queries).
    """
    errors = _Errors()
    texts = {name: text(getattr(given, name)) for name in (*TEXT_LIMITS, "crime_reference")}
    received_at: Any = given.received_at
    source, channel, behaviours = given.source, given.channel, given.behaviours
    parents_informed, police_involved = given.parents_informed, given.police_involved
    now = timezone.now()
    if not isinstance(received_at, datetime.datetime):
        errors.add("received_at", "Enter when the referral was received.")
        received_at = None
    else:
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at)
        if received_at > now + CLOCK_SKEW:
            errors.add("received_at", "The referral cannot be received in the future.")
    if not _chosen(source, ReferralSource):
        errors.add("source", f"'{source}' is not a census referral-source code (1A to 10).")
    if not _chosen(channel, Channel):
        errors.add("channel", f"'{channel}' is not a channel.")
    if agency_unknown:
        errors.add("referring_agency", "Choose an agency in your partnership area.")
    if not texts["description"]:
        errors.add("description", "Describe the concern.")
    _check_behaviours(behaviours, errors)
    received_on = timezone.localtime(received_at).date() if received_at else None
    entries = _check_children(
        given.children,
        received_on,
        errors,
        actor=actor,
        existing=existing,
        area_id=actor_area_id,
    )
    _check_schools(entries, referring_agency.area_id, errors)
    if parents_informed is None:
        errors.add("parents_informed", "Say whether the parents or carers were informed.")
    elif parents_informed is False and not texts["parents_not_informed_reason"]:
        errors.add(
            "parents_not_informed_reason", "Say why the parents or carers were not informed."
        )
    police_said = texts["crime_reference"] or texts["police_outcome"]
    if police_involved and not police_said:
        errors.add("crime_reference", "Give the crime reference or the police outcome.")
    if not police_involved and police_said:
        errors.add(
            "police_involved", "Say the police are involved to record a crime reference or outcome."
        )
    problem = length_problem(
        texts["crime_reference"], CRIME_REFERENCE_MAX_LENGTH
    ) or identifier_problem(given.crime_reference)
    if problem:
        errors.add("crime_reference", problem)
    for name, limit in TEXT_LIMITS.items():
        if problem := length_problem(texts[name], limit):
            errors.add(name, problem)
    # Proposed alongside any other messages, so the referrer answers everything in one go.
    _check_duplicates(entries, errors, actor=actor, area_id=actor_area_id)
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
    return ReferralInput(
        received_at=received_at,
        source=source,
        channel=channel,
        referring_agency=referring_agency,
        referrer_name=texts["referrer_name"],
        referrer_contact=texts["referrer_contact"],
        description=texts["description"],
        continuum_level=highest_level(behaviour["continuum_level"] for behaviour in behaviours),
        behaviours=[
            {
                "description": text(behaviour.get("description")),
                "continuum_level": behaviour["continuum_level"],
                "traffic_light": behaviour["traffic_light"],
                "setting": behaviour["setting"],
                "technology_assisted": bool(behaviour.get("technology_assisted")),
            }
            for behaviour in behaviours
        ],
        children=entries,
        immediate_safety_actions=texts["immediate_safety_actions"],
        parents_informed=parents_informed,
        parents_not_informed_reason=texts["parents_not_informed_reason"],
        police_involved=bool(police_involved),
        crime_reference=texts["crime_reference"],
        police_outcome=texts["police_outcome"],
    )
