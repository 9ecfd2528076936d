"""Reads of referral intake: the default pathway new cases start on, the children a referrer
may name (and be shown as likely duplicates), and the referrals a user may see.

Areas are walls: a referrer names and finds as a likely duplicate children of their own
partnership area only; another area's child is, to them, a child that does not exist.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Exists, F, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from agencies.actors import Actor, active_user
from agencies.models import Agency, User
from agencies.roles import CAN_LOG_REFERRAL, CAN_READ_REFERRALS, CASEWORK, Role
from cases.process.task_rows import prepared_on
from pathways.models import PathwayVersion, VersionStatus

from ..models import (
    Case,
    Child,
    Referral,
    ReferralBehaviour,
    ReferralChild,
    RepeatReferralDecision,
)
from ..selectors import cases_by_role, role_scope_of_rows

DEFAULT_PATHWAY_KEY = "default"

M = TypeVar("M", bound=Model)


# --- reads compiled once per shape ------------------------------------------------------------
# Intake's two reads (the agencies, the likely duplicates) are built from subqueries (the
# area's walls), which the ORM takes several times longer to build and compile than
# PostgreSQL takes to run. Their SQL depends on their shape alone, never on the values: so
# each shape is compiled once, with stand-ins where the values go, and run with the values.
# Built by the same function either way, so the rules cannot drift apart; on another
# database (the demo's SQLite, whose parameters are adapted when compiled) it is built each
# time.

_COMPILED: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], tuple[tuple[int, ...], ...]]] = {}
_COMPILED_MAX = 1024


def _stand_ins(values: list[Any]) -> list[Any]:
    """A value no row holds in place of each value: distinct from every other parameter."""
    marks: list[Any] = []
    for number, value in enumerate(values):
        if isinstance(value, datetime.date):
            marks.append(datetime.date(1, 1, 1) + datetime.timedelta(days=number))
        elif isinstance(value, str):
            marks.append(f"\x00stand-in {number}\x00")
        else:
            marks.append(-2_000_000_000 - number)  # no row has a negative id
    return marks


def _compiled_rows(
    model: type[M],
    key: tuple[Any, ...],
    build: Callable[[list[Any]], QuerySet[M]],
    values: list[Any],
) -> list[M]:
    """`build(values)`'s rows, its SQL compiled once per `key` (the query's shape)."""
    if connection.vendor != "postgresql":
        return list(build(values))
    compiled = _COMPILED.get(key)
    if compiled is None:
        marks = _stand_ins(values)
        query = build(marks)
        sql, params = query.query.get_compiler(using=query.db).as_sql()
        places = tuple(
            tuple(
                at for at, param in enumerate(params) if type(param) is type(mark) and param == mark
            )
            for mark in marks
        )
        if not all(places):
            raise AssertionError(f"a value of {key} is not a parameter of its SQL")
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[key] = (sql, tuple(params), places)
    sql, params, places = compiled
    filled = list(params)
    for value, at in zip(values, places, strict=True):
        for place in at:
            filled[place] = value
    # Prepared on the server once per connection, as the engine's statements are: planning
    # the walls' subqueries costs PostgreSQL several times what running them does.
    with prepared_on(connections[DEFAULT_DB_ALIAS], sql) as send:
        return list(model._default_manager.raw(send, filled))


def default_pathway_versions(area_id: Any) -> QuerySet[PathwayVersion]:
    """The area's published versions of the default pathway, newest first: new cases start
    on the first. `area_id` may be an expression (`OuterRef`), to ask inside another query."""
    return PathwayVersion.objects.filter(
        pathway__area_id=area_id,
        pathway__key=DEFAULT_PATHWAY_KEY,
        status=VersionStatus.PUBLISHED,
    ).order_by("-number")


def default_pathway_version(*, area_id: int) -> PathwayVersion | None:
    """The area's current published version of the default pathway: new cases start on it."""
    return default_pathway_versions(area_id).first()


def referring_agencies(actor: User, asked: int | None) -> tuple[dict[int, Agency], int | None]:
    """The agencies a referrer may refer for, as far as `asked` goes, and the id of the
    default pathway version new cases of their area start on (None: none is published).

    The actor's own agency and, if it is one of the actor's area, the agency asked for, by
    id: another area's agency is missing, as one that does not exist. One query, which
    intake's cost depends on: the version rides along as a subquery.
    """
    own_id = actor.agency_id
    if own_id is None:
        return {}, None

    def build(values: list[Any]) -> QuerySet[Agency]:
        return (
            Agency.objects.filter(pk__in=values, area_id__in=_area_id_of(values[0]))
            .annotate(
                default_version_id=Subquery(
                    default_pathway_versions(OuterRef("area_id")).values("pk")[:1]
                )
            )
            .order_by()
        )

    values = [own_id] if asked is None or asked == own_id else [own_id, asked]
    rows = _compiled_rows(Agency, ("referring_agencies", len(values)), build, values)
    agencies: dict[int, Agency] = {}
    version_id: int | None = None
    for agency in rows:
        agencies[agency.pk] = agency
        if agency.pk == own_id:
            version_id = getattr(agency, "default_version_id", None)  # the annotation
    return agencies, version_id


def normalised(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def _similar_names(first_a: str, last_a: str, first_b: str, last_b: str) -> tuple[bool, float]:
    first_a, last_a, first_b, last_b = map(normalised, (first_a, last_a, first_b, last_b))
    ratio = difflib.SequenceMatcher(None, f"{first_a} {last_a}", f"{first_b} {last_b}").ratio()
    same_surname = bool(last_a) and last_a == last_b
    if len(first_a) >= 3 and len(first_b) >= 3:
        shared_prefix = first_a[:3] == first_b[:3]
    else:
        shared_prefix = bool(first_a) and first_a == first_b
    return same_surname or shared_prefix or ratio >= 0.8, ratio


def children_nameable_by(actor: Actor, *, area_id: int | None = None) -> QuerySet[Child]:
    """Children the actor may name in a referral or be shown as a likely duplicate: those of
    the actor's partnership area, for the roles that record referrals.

    A child belongs to the area that holds their record (`Child.area`), and to the areas of
    the cases that hold them, of the referrals that named them (each kept on the case and
    the referral, as row-level security reads them) and of their school (chosen within the
    referring area at intake). Subqueries, not joins, so the queryset can be locked with
    `select_for_update`. `area_id`: the actor's area, when the caller has read it already
    (intake has): a query several times cheaper to build and to plan than with the area
    looked up inside it.
    """
    if not _names_children(actor) or actor.agency_id is None:
        return Child.objects.none()
    return _children_of_area([area_id] if area_id is not None else _area_id_of(actor.agency_id))


def _names_children(actor: Actor) -> TypeGuard[User]:
    """Whether the actor's role names children at all (and they have an agency to be of)."""
    return active_user(actor) and actor.role in CAN_LOG_REFERRAL and actor.agency_id is not None


def _children_of_area(area: Any) -> QuerySet[Child]:
    """`children_nameable_by`'s children of an area (`area`: its id in a list, or a query)."""
    in_area_case = Case.objects.filter(child=OuterRef("pk"), area_id__in=area)
    referred_in_area = ReferralChild.objects.filter(
        child=OuterRef("pk"), referral__area_id__in=area
    )
    area_schools = Agency.objects.filter(area_id__in=area).values("pk")
    return Child.objects.filter(
        Q(area_id__in=area)
        | Q(Exists(in_area_case))
        | Q(Exists(referred_in_area))
        | Q(school_id__in=area_schools)
    )


@dataclass(frozen=True)
class ChildDetails:
    """What identifies a child named in a referral, to look for their existing record."""

    first_name: str
    last_name: str
    date_of_birth: datetime.date | None
    reference: str | None = None


def likely_duplicates(
    *,
    actor: Actor,
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
    wanted = ChildDetails(first_name, last_name, date_of_birth, reference)
    return likely_duplicates_of(actor=actor, children=[wanted], limit=limit)[0]


def likely_duplicates_of(
    *, actor: Actor, children: list[ChildDetails], limit: int = 10, area_id: int | None = None
) -> list[list[Child]]:
    """`likely_duplicates` of each child, in the same order, from one query for them all
    (`area_id`: the actor's area, if known, as for `children_nameable_by`)."""
    # What each child is matched on: the shape of the query, and its values.
    wanted_values = [
        [
            value
            for value in (wanted.date_of_birth, (wanted.reference or "").strip())
            if value not in (None, "")
        ]
        for wanted in children
    ]
    if not any(wanted_values) or not _names_children(actor):
        return [[] for _ in children]
    shape = tuple(
        (wanted.date_of_birth is not None, bool((wanted.reference or "").strip()))
        for wanted in children
    )
    # The actor's area, or their agency to find it by inside the query.
    values: list[Any] = [area_id if area_id is not None else actor.agency_id]
    for matched in wanted_values:
        values += matched

    def build(values: list[Any]) -> QuerySet[Child]:
        area: Any = [values[0]] if area_id is not None else _area_id_of(values[0])
        given = iter(values[1:])
        condition = Q()
        for has_birth, has_reference in shape:
            if has_birth:
                condition |= Q(date_of_birth=next(given))
            if has_reference:
                condition |= Q(reference__iexact=next(given))
        return _children_of_area(area).filter(condition).order_by("pk")[: 500 * len(shape)]

    key = ("likely_duplicates", area_id is not None, shape)
    found = _compiled_rows(Child, key, build, values)
    return [
        _best_matches(found, wanted, limit) if matched else []
        for wanted, matched in zip(children, wanted_values, strict=True)
    ]


def _best_matches(found: list[Child], wanted: ChildDetails, limit: int) -> list[Child]:
    reference = (wanted.reference or "").strip().casefold()
    scored: list[tuple[int, float, int, Child]] = []
    for child in found:
        same_reference = bool(reference) and child.reference.casefold() == reference
        similar, ratio = _similar_names(
            wanted.first_name, wanted.last_name, child.first_name, child.last_name
        )
        if same_reference or (child.date_of_birth == wanted.date_of_birth and similar):
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


def _area_id_of(agency_id: int) -> QuerySet[Agency, Any]:
    return Agency.objects.filter(pk=agency_id).values("area_id")


def reads_referrals(user: Actor) -> TypeGuard[User]:
    """Whether the user's role works with referrals at all: referrers and casework roles."""
    return active_user(user) and user.role in CAN_READ_REFERRALS


def referrals_visible_to(user: Actor) -> QuerySet[Referral]:
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
        area = _area_id_of(user.agency_id)
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


# --- decisions on referrals that joined an open case, and a case's referral pattern ----------

DECISION_RELATED = (
    "referral",
    "case__child",
    "case__current_stage",
    "case__lead_practitioner",
    "transition",
    "decided_by",
)


def _with_behaviours(prefix: str) -> Prefetch[Any]:
    return Prefetch(
        f"{prefix}behaviours",
        queryset=ReferralBehaviour.objects.order_by("pk"),
        to_attr="behaviour_list",
    )


def repeat_decisions_for(user: Actor) -> QuerySet[RepeatReferralDecision]:
    """Decisions on referrals that joined an open case, on the cases the user's role gives
    them (`cases.selectors.role_scope_of_rows`: the front door every case of their area, a lead
    practitioner the cases they lead or are on, a manager their team's); undecided first,
    soonest due first, with the referral's behaviours. Read access through a grant is not
    work: not listed. None for a role that holds no case."""
    # Each decision's case probed by its id: decisions are few beside the cases of a role.
    in_scope = role_scope_of_rows(user)
    decisions = RepeatReferralDecision.objects.select_related(*DECISION_RELATED)
    if in_scope is None:
        return decisions.none()
    return (
        decisions.filter(in_scope)
        .prefetch_related(_with_behaviours("referral__"))
        .order_by(F("decided_at").asc(nulls_first=True), "due_on", "pk")
    )


# What a list of decisions shows (the API's list, the pages' tables) and no more: no viewflow
# process columns, no pathway version, no notes (as `cases.selectors.as_case_list`).
DECISION_LIST_COLUMNS = (
    "due_on",
    "outcome",
    "reason",
    "decided_at",
    "referral__received_at",
    "referral__continuum_level",
    "referral__description",
    "case__involvement",
    "case__lock_version",
    "case__child__reference",
    "case__child__first_name",
    "case__child__last_name",
    "case__current_stage__key",
    "case__current_stage__name",
    "case__lead_practitioner__username",
    "case__lead_practitioner__first_name",
    "case__lead_practitioner__last_name",
    "transition__key",
    "transition__name",
    "decided_by__username",
    "decided_by__first_name",
    "decided_by__last_name",
)


def repeat_decision_list_for(user: Actor) -> QuerySet[RepeatReferralDecision]:
    """`repeat_decisions_for` as a list shows them (`DECISION_LIST_COLUMNS`); the same rows."""
    return repeat_decisions_for(user).only(*DECISION_LIST_COLUMNS)


def undecided_repeat_decisions_for(user: Actor) -> QuerySet[RepeatReferralDecision]:
    """`repeat_decision_list_for`, only those still awaiting a decision."""
    return repeat_decision_list_for(user).filter(decided_at__isnull=True)


def is_overdue(decision: RepeatReferralDecision, today: datetime.date) -> bool:
    """Undecided after its due day (decided late counts as late, not overdue)."""
    return decision.decided_at is None and decision.due_on < today


def decided_late(decision: RepeatReferralDecision) -> bool:
    return decision.decided_at is not None and (
        timezone.localtime(decision.decided_at).date() > decision.due_on
    )


@dataclass(frozen=True)
class PatternRow:
    """One referral about the child on their case, as the case's pattern shows it."""

    referral: Referral
    involvement: str
    joined_open_case: bool
    behaviours: list[ReferralBehaviour]
    decision: RepeatReferralDecision | None
    overdue: bool

    @property
    def levels(self) -> list[str]:
        return [behaviour.continuum_level for behaviour in self.behaviours]

    @property
    def status(self) -> str:
        """new_undecided: a later referral the front door has yet to decide; decided: one
        they have; opened: the referral that opened the case (decided at its first stage)."""
        if self.decision is None:
            # A referral that joined before decisions were recorded has none: "joined".
            return "joined" if self.joined_open_case else "opened"
        return "new_undecided" if self.decision.decided_at is None else "decided"


def case_referral_pattern(case: Case) -> list[PatternRow]:
    """Every referral about the child on this case, oldest first, with its behaviours'
    continuum levels and, for one that joined the open case, the front door's decision:
    patterns across incidents matter more than single ones. Three queries, whatever the
    number of referrals. The caller has checked the case is the user's to read."""
    links = list(
        ReferralChild.objects.filter(case=case)
        .select_related("referral")
        .prefetch_related(_with_behaviours("referral__"))
        .order_by("referral__received_at", "referral_id")
    )
    decisions = {
        decision.referral_id: decision
        for decision in RepeatReferralDecision.objects.filter(case=case).select_related(
            "transition", "decided_by"
        )
    }
    today = timezone.localdate()
    rows = []
    for link in links:
        decision = decisions.get(link.referral_id)
        rows.append(
            PatternRow(
                referral=link.referral,
                involvement=link.involvement,
                joined_open_case=link.joined_open_case,
                behaviours=list(getattr(link.referral, "behaviour_list", [])),
                decision=decision,
                overdue=decision is not None and is_overdue(decision, today),
            )
        )
    return rows
