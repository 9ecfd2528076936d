"""The most items any list in an API payload may hold, in one place.

Each maximum is enforced twice: by the serializer (`max_length`, so the OpenAPI schema says
`maxItems`) and by the service's own validation (the core), so the web forms, the API and
the management commands all stop at the same number. README.md ("API: limits") lists them.
They are generous for real work and small enough that a hostile payload is cheap to refuse.
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
