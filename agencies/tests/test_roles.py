"""Roles and their capability sets have one home, `agencies/roles.py`.

Twins (the same set of roles written again in another module) drift apart: the menu once
offered "Log a referral" to fewer roles than intake let refer. So the other modules name a
capability set from `agencies.roles` and never write a collection of roles of their own.
"""

import ast
from pathlib import Path

import pytest

from agencies import roles
from agencies.roles import Role

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "agencies",
    "assessments",
    "audit",
    "cases",
    "config",
    "core",
    "demo",
    "partnership",
    "pathways",
)
HOME = ROOT / "agencies" / "roles.py"

CAPABILITY_SETS = {
    name: value
    for name, value in vars(roles).items()
    if name.isupper() and isinstance(value, frozenset) and name != "ROLE_KEYS"
}


def _source_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or path == HOME:
                continue
            files.append(path)
    return files


def _is_role(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Role"
        and node.attr in Role.names
    )


def _role_collections(tree: ast.AST) -> list[int]:
    """Lines of a set of roles written out: `{Role.X, …}`, `(Role.X, …)`, `[Role.X, …]`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Set):
            written_out = any(_is_role(element) for element in node.elts)
        elif isinstance(node, ast.Tuple | ast.List):
            written_out = bool(node.elts) and all(_is_role(element) for element in node.elts)
        else:
            continue
        if written_out:
            lines.append(node.lineno)
    return lines


def _module_level_aliases(tree: ast.Module) -> list[int]:
    """Lines of a module-level name bound to a capability set (or a set made from one)."""
    lines = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            if names & CAPABILITY_SETS.keys():
                lines.append(node.lineno)
    return lines


def test_there_are_capability_sets():
    assert {
        "CASEWORK",
        "CAN_LOG_REFERRAL",
        "CAN_LEAD",
        "CAN_EDIT_PATHWAYS",
    } <= CAPABILITY_SETS.keys()


@pytest.mark.parametrize("name", sorted(CAPABILITY_SETS))
def test_each_capability_set_holds_only_roles(name):
    members = CAPABILITY_SETS[name]

    assert members
    assert all(isinstance(member, Role) for member in members), members


def test_the_role_keys_are_every_role():
    assert set(Role.values) == roles.ROLE_KEYS


def test_no_module_but_agencies_roles_writes_out_a_set_of_roles():
    found = []
    for path in _source_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT)
        found += [f"{where}:{line}" for line in _role_collections(tree)]
        found += [f"{where}:{line} (an alias)" for line in _module_level_aliases(tree)]

    assert not found, "name a capability set from agencies.roles instead:\n" + "\n".join(found)


def test_the_scan_would_catch_a_twin():
    twin = ast.parse(
        "CASEWORK_ROLES = frozenset({Role.FRONT_DOOR, Role.TEAM_MANAGER})\n"
        "ASSESSORS = CAN_LEAD\n"
        "def f(user):\n    return user.role in (Role.DSL, Role.ANALYST)\n"
    )

    assert _role_collections(twin) == [1, 4]
    assert _module_level_aliases(twin) == [2]
