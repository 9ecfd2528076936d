"""Reads of cases, always starting from what the user may see.

Who sees which case file, by role (one rule each, here; docs/permissions.md has the matrix):

- front door: every case of their area (they screen every referral and every repeat one);
- lead practitioner: the cases they lead, and those they are on the team around the child;
- team member: the cases they are on (an active `TeamMember` row: `left_at` is null);
- team manager: their team's cases, the team being their agency: cases whose lead
  practitioner, or an active team member, belongs to the manager's agency; plus every open
  case of the area with an overdue stage, because breached timescales escalate to managers,
  and every open case of the area with no lead practitioner yet, because allocating the lead
  is a manager's job (once allocated, the case is the lead's team's);
- HSB coordinator / panel member: cases of the area at a specialist-tier stage now, or that
  have been at one (through the multi-agency HSB panel), plus any they lead or are on;
- DSL / referrer, partnership analyst, system administrator, auditor: no case file (referrers
  see their referrals' outcomes through `cases.referrals.selectors.referrals_visible_to`;
  recipients of shared information see what was shared through `decisions_shared_with`).

On top of the role's rule, an active `AccessGrant` (a consultant, an information-sharing
recipient given the file, or break-glass emergency access) lets one practitioner read one
case until it expires or is revoked. The grant is the audited record; what lets them in is
its guardian row (`CaseUserObjectPermission`, with the grant's expiry), the same row that
`user.has_perm("cases.view_case", case)` reads through `cases.backends`. A grant never lets
anyone change a case: the writes ask `cases_by_role` instead.

People named in a payload (a lead practitioner, a team member, a grantee) are looked up
among the users of the case's area (`person_of_area`): to anyone else, another area's
user is a user who does not exist.
"""

from collections.abc import Callable
from typing import Any, TypeGuard

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from django.utils import timezone

from agencies.actors import Actor, active_user
from agencies.models import Agency, User
from agencies.roles import CAN_LEAD, CASEWORK, SHARING_RECIPIENTS, Role
from audit.models import AuditEvent
from core.pagination import Shape
from pathways.models import ServiceTier, Stage

from .models import (
    AccessGrant,
    BreakGlassReview,
    Case,
    CaseNote,
    CaseUserObjectPermission,
    InformationSharingDecision,
    RecordedView,
    ReferralChild,
    SharingDecision,
    StageMove,
    TeamMember,
)

# Guardian's per-object permission that a grant gives.
VIEW_CASE_CODENAME = "view_case"

CASE_RELATED = ("child", "current_stage", "lead_practitioner", "pathway_version__pathway")


def _area_of(agency_id: int) -> QuerySet[Agency, Any]:
    return Agency.objects.filter(pk=agency_id).values("area_id")


def holds_cases(user: Actor) -> TypeGuard[User]:
    """Whether the user's role ever holds case files (the casework roles)."""
    return active_user(user) and user.role in CASEWORK


# One access path of a rule: a condition on the case's own columns, or the ids of cases that
# another table (the team, the grants) gives.
Part = Q | QuerySet[Any, Any]


class _Array(Subquery):
    template = "ARRAY(%(subquery)s)"


class _AnyOf(Func):
    """`column = ANY (ARRAY(subquery))`: the subquery runs once per statement (an InitPlan)
    and the column is looked up in its index, where `column IN (subquery)` under an OR is a
    hash of the subquery checked against every row."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def _among(column: str, ids: QuerySet[Any, Any]) -> Q:
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": ids})
    return Q(_AnyOf(F(column), _Array(ids.order_by())))


def _union(parts: list[QuerySet[Any, Any]]) -> QuerySet[Any, Any]:
    # UNION ALL, not UNION: a case twice in the set is still one case to `pk IN`, and
    # PostgreSQL plans the branches of a UNION ALL one by one (checking one case, each
    # probed by its id) where UNION would hash them first. No order in the branches: a
    # case's default one (viewflow's Process: newest first) would join and sort for nothing.
    first, *rest = [part.order_by() for part in parts]
    return first.union(*rest, all=True) if rest else first


def _role_parts(user: User) -> list[Part]:
    """The role's rule (module docstring), one part per access path, each read through an
    index: the cases led, the active team places, and for the area-wide roles their area's
    share."""
    parts: list[Part] = [
        Q(lead_practitioner=user),
        TeamMember.objects.filter(practitioner=user, left_at=None).values("case_id"),
    ]
    if user.agency_id is None:
        return parts
    # The case's own area column (its pathway's area, set when it opens): no join, and one
    # value (an InitPlan) that its index finds.
    in_area = Q(area_id=Subquery(_area_of(user.agency_id)))
    if user.role == Role.FRONT_DOOR:
        parts.append(in_area)
    elif user.role == Role.TEAM_MANAGER:
        parts += [
            _among(
                "lead_practitioner_id", User.objects.filter(agency_id=user.agency_id).values("pk")
            ),
            TeamMember.objects.filter(agency_id=user.agency_id, left_at=None).values("case_id"),
            # Escalated (an overdue stage) or awaiting allocation (no lead yet), still open.
            in_area
            & Q(closed_at__isnull=True)
            & (Q(stage_overdue_since__isnull=False) | Q(lead_practitioner__isnull=True)),
        ]
    elif user.role == Role.HSB_COORDINATOR:
        specialist = Stage.objects.filter(tier=ServiceTier.SPECIALIST).values("pk")
        been_specialist = StageMove.objects.filter(
            _among("to_stage_id", specialist), case=OuterRef("pk")
        )
        parts.append(
            in_area & (_among("current_stage_id", specialist) | Q(Exists(been_specialist)))
        )
    return parts


def _as_ids(part: Part) -> QuerySet[Any, Any]:
    return Case.objects.filter(part).values("pk") if isinstance(part, Q) else part


def _as_condition(part: Part) -> Q:
    return part if isinstance(part, Q) else _among("pk", part)


def _listed(parts: list[Part]) -> Q:
    """The parts as one condition for a list: an OR of indexed conditions on the case
    (BitmapOr), so the cases are read once, with the columns a list orders and filters by."""
    condition = Q()
    for part in parts:
        condition |= _as_condition(part)
    return condition


def role_case_ids(user: Actor) -> QuerySet[Any, Any] | None:
    """The ids of the cases the user's role gives them (module docstring); None when their
    role gives nothing."""
    if not holds_cases(user):
        return None
    return _union([_as_ids(part) for part in _role_parts(user)])


def role_scope_of_rows(user: Actor, case_id: str = "case_id") -> Q | None:
    """The role's rule as a check of each row's case (`case_id`: the row's column naming
    it), one correlated probe per part; None when the role gives nothing.

    For rows few beside the role's cases (the repeat referrals awaiting a decision): each
    row's case is probed by its id, where `case_id IN role_case_ids` would first gather every
    case of every part (a manager's ~6,000 team places) however few the rows."""
    if not holds_cases(user):
        return None
    condition = Q()
    for part in _role_parts(user):
        if isinstance(part, Q):
            probe = Case.objects.filter(part, pk=OuterRef(case_id))
        else:
            probe = part.filter(case_id=OuterRef(case_id))
        condition |= Q(Exists(probe))
    return condition


def role_scope(user: Actor) -> Q | None:
    """The condition on `Case` that the user's role gives them; None when it gives nothing.

    `pk IN` the union of the role's parts: checking one case (a transition, a case page),
    PostgreSQL probes each part by the case's id. Lists use `_listed` instead, which reads
    the user's cases once rather than each part's ids and then each case."""
    ids = role_case_ids(user)
    return None if ids is None else Q(pk__in=ids)


def active_grants(user: User, *, at: Any = None) -> QuerySet[AccessGrant]:
    """The user's grant records in force now: not revoked, and not expired (checked here, at
    read time, so an expired grant stops working without a job)."""
    now = at or timezone.now()
    return AccessGrant.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def in_force(*, at: Any = None, prefix: str = "") -> Q:
    """The condition on a guardian row (or a relation to one, through `prefix`) that it has
    not expired: expiry is read at query time, so no job has to delete expired rows."""
    now = at or timezone.now()
    return Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})


def view_grants(user: User, *, at: Any = None) -> QuerySet[CaseUserObjectPermission]:
    """Guardian's `view_case` rows of the user still in force: the per-object check that
    `cases_visible_to` and the grant services consult. A revoked grant has no row."""
    return CaseUserObjectPermission.objects.filter(
        in_force(at=at),
        user=user,
        permission__codename=VIEW_CASE_CODENAME,
        permission__content_type__app_label="cases",
    )


# What a list of cases shows (the API's CaseListSerializer, the pages' case table) and no
# more: three joins instead of five, and these columns of them instead of all 120.
LIST_RELATED = ("child", "current_stage", "lead_practitioner")
LIST_COLUMNS = (
    "involvement",
    "stage_entered_at",
    "stage_due_on",
    "stage_overdue_since",
    "confirmed_continuum_level",
    "closed_at",
    "lock_version",
    "child__reference",
    "child__first_name",
    "child__last_name",
    "current_stage__key",
    "current_stage__name",
    "lead_practitioner__username",
    "lead_practitioner__first_name",
    "lead_practitioner__last_name",
)


def as_case_list(cases: QuerySet[Case]) -> QuerySet[Case]:
    """The cases as a list shows them (LIST_COLUMNS); the same rows."""
    return cases.select_related(None).select_related(*LIST_RELATED).only(*LIST_COLUMNS)


def cases_by_role(user: Actor) -> QuerySet[Case]:
    """The cases the user's role gives them, without grants: the cases they may work on."""
    scope = role_scope(user)
    base: QuerySet[Case] = Case.objects.select_related(*CASE_RELATED)
    return base.none() if scope is None else base.filter(scope)


def _visible_parts(user: User, *, at: Any = None) -> list[Part]:
    # The role's parts and the grants' guardian rows in force (at `at`, now by default).
    return [*_role_parts(user), view_grants(user, at=at).values("content_object_id")]


def cases_visible_to(user: Actor) -> QuerySet[Case]:
    """Every case file the user may read: their role's cases and their active grants."""
    base: QuerySet[Case] = Case.objects.select_related(*CASE_RELATED)
    if not holds_cases(user):
        return base.none()
    return base.filter(pk__in=_union([_as_ids(part) for part in _visible_parts(user)]))


def case_list_visible_to(user: Actor, *, at: Any = None) -> QuerySet[Case]:
    """The cases of `cases_visible_to`, shaped for a list of many of them (`_listed`)."""
    base: QuerySet[Case] = Case.objects.select_related(*CASE_RELATED)
    if not holds_cases(user):
        return base.none()
    return base.filter(_listed(_visible_parts(user, at=at)))


def _case_list_by_role(user: Actor) -> QuerySet[Case]:
    """The cases of `cases_by_role`, shaped for a list (`_listed`)."""
    base: QuerySet[Case] = Case.objects.select_related(*CASE_RELATED)
    if not holds_cases(user):
        return base.none()
    return base.filter(_listed(_role_parts(user)))


def is_in_role_scope(user: Actor, case_id: int) -> bool:
    return cases_by_role(user).filter(pk=case_id).exists()


# --- people named in a payload ----------------------------------------------------------------


def case_area_id(case: Case) -> int:
    """The local area whose walls hold the case (its pathway's area, kept on the case)."""
    return int(case.area_id)


def people_of_area(area_id: int | None) -> QuerySet[User]:
    """The users who work for an agency of the area: the only people a case of that area can
    be given to (as lead, team member or grantee)."""
    return User.objects.filter(agency__area_id=area_id).select_related("agency")


def lead_candidates(area_id: int | None) -> QuerySet[User]:
    """Who may be designated lead practitioner of a case of the area."""
    return people_of_area(area_id).filter(is_active=True, role__in=CAN_LEAD)


def grant_candidates(area_id: int | None) -> QuerySet[User]:
    """Who may be given read access to a case of the area: active casework practitioners."""
    return people_of_area(area_id).filter(is_active=True, role__in=CASEWORK)


def as_pk(value: Any) -> int | None:
    """An object's id, or an id as a payload gave it; None for anything that is not one."""
    value = getattr(value, "pk", value)
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def person_of_area(area_id: int | None, person: Any) -> User | None:
    """The user named (by object or id) if they are of the area, else None: a user of another
    area and one who does not exist look the same to the caller."""
    pk = as_pk(person)
    if pk is None or area_id is None:
        return None
    return people_of_area(area_id).filter(pk=pk).first()


def agency_of_area(area_id: int | None, agency: Any) -> Agency | None:
    """The agency named (by object or id) if it is of the area, else None."""
    pk = as_pk(agency)
    if pk is None or area_id is None:
        return None
    return Agency.objects.filter(area_id=area_id, pk=pk).first()


def my_cases(user: Actor) -> QuerySet[Case]:
    """Open cases the user leads or is on, or for area-wide roles every open case their rule
    gives them, soonest due first. Emergency access is not the user's work: not listed."""
    # A lead practitioner's or team member's role gives them only the cases they lead or
    # are on (`role_scope`), so their role's cases are their own.
    cases = _case_list_by_role(user).filter(closed_at__isnull=True)
    return cases.order_by("stage_due_on", "pk")


def stage_tasks_for(user: Actor) -> QuerySet[Case]:
    """The user's inbox: open cases whose current stage is theirs to work, soonest due first.

    Built on our own query rather than viewflow's `Task.objects.user_queue`, which issues a
    query per guardian permission row. Team managers also receive every overdue stage:
    that is where a breached timescale escalates.
    """
    cases = _case_list_by_role(user).filter(closed_at__isnull=True)
    if not holds_cases(user):
        return cases
    mine = Q(current_stage__responsible_role=user.role)
    if user.role == Role.LEAD_PRACTITIONER:
        mine &= Q(lead_practitioner=user)
    if user.role == Role.TEAM_MANAGER:
        mine |= Q(stage_overdue_since__isnull=False)
    return cases.filter(mine).order_by("stage_due_on", "pk")


# The case lists as `core.pagination.Shape`s, compiled once per list and role: what a list's
# SQL depends on is the role and whether the user has an agency (the key); the user's id,
# their agency's and the time are parameters (the values), never frozen into the SQL.
_LISTS: dict[str, Callable[[User, Any], QuerySet[Case]]] = {
    "visible": lambda user, at: case_list_visible_to(user, at=at).order_by("-pk"),
    "mine": lambda user, at: my_cases(user),
    "tasks": lambda user, at: stage_tasks_for(user),
    # The tasks past their due date (`at`: today), as the landing counts them.
    "overdue": lambda user, at: stage_tasks_for(user).filter(stage_due_on__lt=at),
}


def case_list_shape(kind: str, user: User) -> Shape:
    """The list `kind` ("visible": every case the user may read, newest first; "mine":
    `my_cases`; "tasks": `stage_tasks_for`; "overdue": those tasks due before today) for
    `user` (who holds cases), as a list shows it (`as_case_list`)."""
    if not holds_cases(user):
        raise ValueError("only a user who holds cases has a case list")
    agency_id = user.agency_id
    has_agency = agency_id is not None
    values: list[Any] = [int(user.pk)]
    if agency_id is not None:
        values.append(int(agency_id))
    if kind == "visible":
        values.append(timezone.now())  # the grants in force: a parameter, read every time
    elif kind == "overdue":
        values.append(timezone.localdate())
    role = user.role

    def build(given: list[Any]) -> QuerySet[Case]:
        # A user standing in for the real one: the same role, their id and agency as given.
        stand_in = User(pk=given[0], role=role, is_active=True)
        stand_in.agency_id = given[1] if has_agency else None
        at = given[-1] if kind in ("visible", "overdue") else None
        return as_case_list(_LISTS[kind](stand_in, at))

    return Shape(key=("cases", kind, role, has_agency), build=build, values=values)


def case_route(case: Case) -> QuerySet[StageMove]:
    return (
        StageMove.objects.filter(case=case)
        .select_related("from_stage", "to_stage", "transition", "actor")
        .order_by("moved_at", "pk")
    )


# --- the case record's lists -----------------------------------------------------------------


def case_team(case: Case) -> QuerySet[TeamMember]:
    """The team around the child: current members first, then those who left."""
    return (
        TeamMember.objects.filter(case=case)
        .select_related("agency", "practitioner", "added_by")
        .order_by(F("left_at").asc(nulls_first=True), "joined_at", "pk")
    )


def case_recorded_views(case: Case) -> QuerySet[RecordedView]:
    return (
        RecordedView.objects.filter(case=case)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def case_sharing_decisions(case: Case) -> QuerySet[InformationSharingDecision]:
    return (
        InformationSharingDecision.objects.filter(case=case)
        .select_related("recipient_agency", "recipient_practitioner", "overridden_by", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def case_notes(case: Case) -> QuerySet[CaseNote]:
    return (
        CaseNote.objects.filter(case=case).select_related("author").order_by("-written_at", "-pk")
    )


# --- what was shared with the user ------------------------------------------------------------


def receives_shared_information(user: Actor) -> TypeGuard[User]:
    """Whether the user's role can be told about a child (practitioners, referrers)."""
    return active_user(user) and user.role in SHARING_RECIPIENTS


def decisions_shared_with(user: Actor) -> QuerySet[InformationSharingDecision]:
    """Decisions to share naming the user as recipient, newest first: what was shared, why,
    by whom and about which child. Never the case file itself."""
    if not receives_shared_information(user):
        return InformationSharingDecision.objects.none()
    return (
        InformationSharingDecision.objects.filter(
            recipient_practitioner=user, decision=SharingDecision.SHARE
        )
        .select_related("case__child", "decided_by__agency", "recipient_agency")
        .order_by("-decided_at", "-pk")
    )


# --- grants, break-glass reviews and the access log ------------------------------------------


def case_grants(case: Case) -> QuerySet[AccessGrant]:
    """Every grant on the case, newest first, with who holds it and who gave it."""
    return (
        AccessGrant.objects.filter(case=case)
        .select_related("user__agency", "granted_by", "revoked_by")
        .order_by("-granted_at", "-pk")
    )


def break_glass_reviews_for(user: Actor) -> QuerySet[BreakGlassReview]:
    """Emergency accesses by practitioners of the manager's agency: unreviewed first, then
    newest. Only team managers review; a manager never reviews their own."""
    if not holds_role(user, Role.TEAM_MANAGER) or user.agency_id is None:
        return BreakGlassReview.objects.none()
    return (
        BreakGlassReview.objects.filter(grant__user__agency_id=user.agency_id)
        .exclude(grant__user=user)
        .select_related("grant__user", "grant__case", "reviewed_by")
        .order_by(F("reviewed_at").asc(nulls_first=True), "-grant__granted_at", "-pk")
    )


# What the access log shows: reads of the record and the grants that opened it.
ACCESS_LOG_CASE_ACTIONS = (
    "case.read",
    "sharing.read",
    "case.break_glass",
    "case.break_glass_reviewed",
    "case.access_granted",
    "case.access_revoked",
)


def ids_as_text(queryset: QuerySet[Any]) -> QuerySet[Any]:
    # AuditEvent.object_id is text; compare like with like so the index on it is used.
    texts: QuerySet[Any] = queryset.annotate(text_id=Cast("pk", CharField())).values("text_id")
    return texts


# Reads of a case's rows kept by an app above cases, as conditions on the audit trail: the
# app registers its own from its AppConfig.ready() (assessments does, for reads of the
# case's assessments), so cases never imports it.
_ACCESS_LOG_READS: list[Callable[[Case], Q]] = []


def register_access_log_reads(reads: Callable[[Case], Q]) -> None:
    """Add the reads of one kind of a case's rows to its access log (once)."""
    if reads not in _ACCESS_LOG_READS:
        _ACCESS_LOG_READS.append(reads)


def case_access_log(case: Case) -> QuerySet[AuditEvent]:
    """Who has looked at this child's record: reads of the case, its assessments, referrals
    and sharing decisions, exports of the child's chronology, and grants of access, newest
    first. One query per page (and one to count), whatever the number of events: each part
    is an indexed (object_type, object_id) match. Reads of the assessments are the part the
    assessments app registers (`register_access_log_reads`)."""
    condition = (
        Q(object_type="cases.case", object_id=str(case.pk), action__in=ACCESS_LOG_CASE_ACTIONS)
        | Q(
            object_type="cases.child",
            object_id=str(case.child_id),
            action__in=("chronology.exported", "child.read"),
        )
        | Q(
            object_type="cases.referral",
            object_id__in=ReferralChild.objects.filter(case=case)
            .annotate(text_id=Cast("referral_id", CharField()))
            .values("text_id"),
            action="referral.read",
        )
        | Q(
            object_type="cases.informationsharingdecision",
            object_id__in=ids_as_text(InformationSharingDecision.objects.filter(case=case)),
            action="sharing.read",
        )
    )
    for reads in _ACCESS_LOG_READS:
        condition |= reads(case)
    agency_name = Agency.objects.filter(pk=OuterRef("actor_agency_id")).values("name")[:1]
    return (
        AuditEvent.objects.filter(condition)
        .select_related("actor")
        .annotate(actor_agency_name=Subquery(agency_name))
        .order_by("-occurred_at", "-pk")
    )


def audit_events_visible_to(user: Actor) -> QuerySet[AuditEvent]:
    """The trail an auditor may read: the events of people of their own area. An auditor with
    no agency audits the whole installation (as the set-up administrator sets it up)."""
    if not holds_role(user, Role.AUDITOR):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("actor")
    if user.agency_id is None:
        return events
    area_agencies = Agency.objects.filter(area_id__in=_area_of(user.agency_id)).values("pk")
    return events.filter(actor_agency_id__in=area_agencies)


def open_cases_in_area_of(user: Actor) -> QuerySet[Case]:
    """Open cases of the user's area, for aggregate counts (the analyst's landing); none for
    a user with no area."""
    cases: QuerySet[Case] = Case.objects.all()
    if not isinstance(user, User) or user.agency_id is None:
        return cases.none()
    return cases.filter(area_id__in=_area_of(user.agency_id), closed_at__isnull=True)


def holds_role(user: Actor, role: str) -> TypeGuard[User]:
    return active_user(user) and user.role == role
