"""The acting user: the one type services, selectors and permission rules name `actor` with.

An actor is whoever makes the request, `request.user`: a signed-in `User` (their role,
agency and area decide what they may do) or, before any check, Django's `AnonymousUser`,
whom every permission rule refuses. Where `actor=None` is accepted, the caller is the system
(a management command, the demo loader) and the signature says `Actor | None`.
"""

from typing import TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from .models import User

Actor: TypeAlias = User | AnonymousUser


def user_of(actor: Actor | None) -> User | None:
    """The actor as the row a record points at (`created_by`, `published_by`); None for the
    system. An anonymous actor never gets this far: each service checks permission first."""
    return actor if isinstance(actor, User) else None


def active_user(actor: Actor | None) -> TypeGuard[User]:
    """Whether the actor is a signed-in, active user: every permission rule's first question.
    True narrows `actor` to `User`, so what follows may read its role and agency."""
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def signed_in(actor: Actor) -> User:
    """The actor as a `User` where the page or endpoint already required a login
    (`login_required`, DRF's `IsAuthenticated`), so services that act on the actor's own
    account can name a `User`; anyone else is refused as the login requirement would."""
    if not isinstance(actor, User):
        raise PermissionDenied
    return actor
