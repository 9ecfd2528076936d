"""The most items any list in an API payload may hold, and the longest text any field may, in
one place.

Each maximum is enforced by the service's own validation (the rule, so the web forms, the API,
the demo loader and the management commands all stop at the same number) and declared by the
serializer from the same constant (`max_length`, so the OpenAPI schema says `maxItems` or
`maxLength`). README.md ("API: limits") lists them. They are generous for real work and small
enough that a hostile payload is cheap to refuse.
"""

# A referral: the children it names (displaying HSB and harmed) and the behaviours described.
REFERRAL_MAX_CHILDREN = 20
REFERRAL_MAX_BEHAVIOURS = 50

# A pathway definition (JSON or YAML): stages, transitions, and the lists inside them.
PATHWAY_MAX_STAGES = 60
PATHWAY_MAX_TRANSITIONS = 200
STAGE_MAX_REQUIRES = 30
TRANSITION_MAX_ROLES = 20
TRANSITION_MAX_GUARDS = 20
# Nesting of a definition's YAML (the canonical shape is 5 levels deep).
PATHWAY_YAML_MAX_DEPTH = 20
# The YAML text of a definition, in characters (the default pathway is under 9,000).
PATHWAY_YAML_MAX_CHARS = 200_000
# A pathway's, a stage's or a transition's key (lower-case letters, digits, "_" and "-") and
# name.
PATHWAY_KEY_MAX_LENGTH = 64
PATHWAY_NAME_MAX_LENGTH = 200

# Text, in characters. An account in prose: a referral's description, what was done to keep
# the children safe, a note, a recorded view, an assessment's sections.
TEXT_MAX_LENGTH = 20_000
# A shorter passage: a reason, a purpose, a comment, one behaviour's description.
SHORT_TEXT_MAX_LENGTH = 5_000
# A child's first or last name.
NAME_MAX_LENGTH = 100
# One line of text: a referrer's name or phone number or email address, what a team member
# does for the child, who holds a recorded view.
LINE_MAX_LENGTH = 200
# A child's pseudonymous reference (HSB-XXXXXXXX when generated) and a police crime reference.
CHILD_REFERENCE_MAX_LENGTH = 32
CRIME_REFERENCE_MAX_LENGTH = 64
# The partnership audit: a round's label (T1, T2 …), and an agency score's evidence, assurance
# and comments or an agreed score's rationale.
AUDIT_ROUND_LABEL_MAX_LENGTH = 16
AUDIT_TEXT_MAX_LENGTH = 10_000
