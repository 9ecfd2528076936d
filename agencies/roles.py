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


# --- capability sets ---------------------------------------------------------------------------
# Named by what they allow; the one home of every set of roles (agencies/tests/test_roles.py
# fails if another module defines one). A rule about one case adds its own condition on top
# (the case in the user's role scope, the user its lead …): these say only which roles may.

# The roles that work cases: only they hold a case file, by role or by grant, or break glass.
CASEWORK = frozenset(
    {
        Role.FRONT_DOOR,
        Role.LEAD_PRACTITIONER,
        Role.TEAM_MEMBER,
        Role.TEAM_MANAGER,
        Role.HSB_COORDINATOR,
    }
)
# Roles whose rule reaches beyond the cases they lead or are on: they may add to the record
# of any case their rule shows them (`cases.services.can_work_on_case`).
AREA_WIDE = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Roles whose work is the cases they lead or are on: "My cases" lists only those.
CASE_WORKERS = frozenset({Role.LEAD_PRACTITIONER, Role.TEAM_MEMBER})
# Who can be told something about a case through an information-sharing decision: the
# practitioners and the referrers; analysts, administrators and auditors never are.
SHARING_RECIPIENTS = CASEWORK | {Role.DSL}
# Who works with referrals at all: the referrers and the casework roles.
CAN_READ_REFERRALS = CASEWORK | {Role.DSL}
# Who records a referral (`cases.referrals.services.record_referral`): a DSL (for their own agency
# only), the front door and a team manager.
CAN_LOG_REFERRAL = frozenset({Role.DSL, Role.FRONT_DOOR, Role.TEAM_MANAGER})
# Who decides what a referral that joined a child's open case changes (within one working
# day): the front door, and a team manager, as at the initial decision.
CAN_DECIDE_REPEAT_REFERRALS = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER})
# Who can be a case's lead practitioner.
CAN_LEAD = frozenset({Role.LEAD_PRACTITIONER, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Who allocates or hands over a case's lead (of a case their role's rule shows them).
CAN_DESIGNATE_LEAD = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Who, besides the case's own lead practitioner, grants and revokes access to a case and
# reads its access log: the team's manager.
CAN_MANAGE_CASE_ACCESS = frozenset({Role.TEAM_MANAGER})
# Who reviews the break-glass access of their agency's practitioners.
CAN_REVIEW_BREAK_GLASS = frozenset({Role.TEAM_MANAGER})
# Who can be named as an assessment's assessor: the roles that can lead a case.
CAN_ASSESS = CAN_LEAD
# Who authorises or returns a submitted assessment (never their own).
CAN_REVIEW_ASSESSMENT = frozenset({Role.TEAM_MANAGER})
# Who lifts the lockouts of their agency's users.
CAN_LIFT_LOCKOUTS = frozenset({Role.TEAM_MANAGER})
# Who imports, edits, publishes and migrates pathways (their area's, or with no agency every
# area's set-up).
CAN_EDIT_PATHWAYS = frozenset({Role.SYSTEM_ADMINISTRATOR, Role.HSB_COORDINATOR})
# The system administrators: configuration and set-up, never case content.
ADMINISTRATORS = frozenset({Role.SYSTEM_ADMINISTRATOR})
# Who sees the partnership dashboard: analysts (suppressed), managers and coordinators.
CAN_VIEW_DASHBOARD = frozenset({Role.ANALYST, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Who sees small numbers suppressed and cases by pseudonym only.
PSEUDONYMISED = frozenset({Role.ANALYST})
# Who sees the framework audit's rounds, scores, radar and exports.
CAN_VIEW_AUDIT = frozenset({Role.ANALYST, Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Who opens and closes audit rounds and agrees the partnership's scores.
CAN_MANAGE_ROUNDS = frozenset({Role.HSB_COORDINATOR})
# Who records an agency's score in an audit round (a manager their own agency's).
CAN_SCORE = frozenset({Role.TEAM_MANAGER, Role.HSB_COORDINATOR})
# Who records a score for any agency of the area, as at a multi-agency workshop.
CAN_SCORE_FOR_ANY_AGENCY = frozenset({Role.HSB_COORDINATOR})
