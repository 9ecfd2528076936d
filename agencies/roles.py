"""The roles a practitioner can hold. Pathway definitions name these keys."""

from django.db import models


class Role(models.TextChoices):
    DSL = "dsl", "Designated safeguarding lead / referrer"
    FRONT_DOOR = "front_door", "Front-door screening practitioner"
    LEAD_PRACTITIONER = "lead_practitioner", "Lead practitioner"
    TEAM_MEMBER = "team_member", "Team member"
    TEAM_MANAGER = "team_manager", "Team manager"
    HSB_COORDINATOR = "hsb_coordinator", "HSB coordinator / panel member"
    ANALYST = "analyst", "Partnership analyst"
    SYSTEM_ADMINISTRATOR = "system_administrator", "System administrator"
    AUDITOR = "auditor", "Auditor"


ROLE_KEYS = frozenset(Role.values)
