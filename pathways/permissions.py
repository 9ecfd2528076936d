"""Who may change pathway definitions: one rule, used by the API, the admin and the pages."""

from typing import Any

from agencies.roles import Role

PATHWAY_EDITOR_ROLES = frozenset({Role.SYSTEM_ADMINISTRATOR, Role.HSB_COORDINATOR})


def can_edit_pathways(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in PATHWAY_EDITOR_ROLES))
