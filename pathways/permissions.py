"""Who may see and change pathway definitions: one rule, used by the services, the API, the
pages, the admin and the management commands.

Areas are walls. A pathway belongs to one local area; a user's area is their agency's.

- Anyone signed in with an agency reads their own area's pathways, and only those.
- HSB coordinators and system administrators with an agency import, edit, validate as a
  draft, publish, diff and migrate the cases of their own area's pathways only.
- A system administrator (or superuser) with no agency is the installation's set-up account:
  they read, import, edit and publish pathways in every area (a new area's first pathway is
  loaded before anyone in that area has an account), but they never migrate cases, which is
  casework and belongs to the area's coordinator.
- Everyone else sees no pathway at all.

Another area's pathway or version is answered exactly like one that does not exist
(`PathwayNotFound`, a 404), so ids cannot be walked to learn what other areas run.
`actor=None` is the system (management commands without --actor, the demo loader).
"""

from typing import Any, TypeGuard

from django.db.models import Q

from agencies.actors import Actor
from agencies.models import User
from agencies.roles import ADMINISTRATORS, CAN_EDIT_PATHWAYS
from core.errors import DomainError


class PathwayNotFound(DomainError):
    """The pathway, version or area named does not exist or is of another area: one answer
    for both, the same body as DRF's own 404."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class NotAPathwayEditor(DomainError):
    status_code = 403
    code = "permission_denied"


def _signed_in(user: Actor | None) -> TypeGuard[User]:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def area_of(user: Actor | None) -> int | None:
    """The local area the user works in (their agency's), or None."""
    agency = getattr(user, "agency", None) if getattr(user, "agency_id", None) else None
    return getattr(agency, "area_id", None)


def is_installation_administrator(user: Actor | None) -> bool:
    """A system administrator (or superuser) with no agency: set-up across every area."""
    return bool(
        _signed_in(user)
        and (user.is_superuser or user.role in ADMINISTRATORS)
        and getattr(user, "agency_id", None) is None
    )


def can_edit_pathways(user: Actor | None) -> bool:
    """The role half of the rule: whether the user may change some pathway (menus, buttons,
    DRF's has_permission). The object half is `can_edit_pathway`."""
    if not _signed_in(user) or not (user.is_superuser or user.role in CAN_EDIT_PATHWAYS):
        return False
    return is_installation_administrator(user) or area_of(user) is not None


def can_edit_in_area(user: Actor | None, area: Any) -> bool:
    """Whether the user may create or change pathways of the area (object or id)."""
    if user is None:
        return True
    if not can_edit_pathways(user):
        return False
    area_id = getattr(area, "pk", area)
    return is_installation_administrator(user) or (area_id is not None and area_id == area_of(user))


def can_view_pathway(user: Actor | None, pathway: Any) -> bool:
    if user is None:
        return True
    if is_installation_administrator(user):
        return True
    return _signed_in(user) and area_of(user) is not None and pathway.area_id == area_of(user)


def can_edit_pathway(user: Actor | None, pathway: Any) -> bool:
    """Django's has_change_permission(request, obj) for a pathway (or a version's pathway)."""
    return can_edit_in_area(user, pathway.area_id)


def can_migrate_cases(user: Actor | None, pathway: Any) -> bool:
    """Moving open cases is casework: the area's own coordinator or administrator, never the
    installation's set-up account."""
    if user is None:
        return True
    return (
        can_edit_pathways(user) and area_of(user) is not None and pathway.area_id == area_of(user)
    )


def visible_pathways_q(user: Actor | None, prefix: str = "") -> Q:
    """The condition on Pathway (or a relation to it, through `prefix`) for what the user sees."""
    if user is None or is_installation_administrator(user):
        return Q()
    area_id = area_of(user) if _signed_in(user) else None
    if area_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}area_id": area_id})


def check_view_pathway(user: Actor | None, pathway: Any) -> None:
    if not can_view_pathway(user, pathway):
        raise PathwayNotFound()


def check_edit_pathway(user: Actor | None, pathway: Any) -> None:
    """404 for a pathway the user cannot see; 403 for one they see but may not change."""
    check_view_pathway(user, pathway)
    if not can_edit_pathway(user, pathway):
        raise NotAPathwayEditor(
            "Only HSB coordinators and system administrators may change pathway definitions."
        )
