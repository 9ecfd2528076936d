"""The acting user: the one type services, selectors and permission rules name `actor` with.

An actor is whoever makes the request, `request.user`: a signed-in `User` (their role,
agency and area decide what they may do) or, before any check, Django's `AnonymousUser`,
whom every permission rule refuses. Where `actor=None` is accepted, the caller is the system
(a management command, the demo loader) and the signature says `Actor | None`.
"""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser

from .models import User

Actor: TypeAlias = User | AnonymousUser


def user_of(actor: Actor | None) -> User | None:
    """The actor as the row a record points at (`created_by`, `published_by`); None for the
    system. An anonymous actor never gets this far: each service checks permission first."""
    return actor if isinstance(actor, User) else None
