import pytest

from .factories import catalogue, early_help_case


@pytest.fixture
def tools(db):
    return catalogue()


@pytest.fixture
def case(default_version, front_door, lead_practitioner, manager):
    """A thirteen-year-old girl's case in early help (problematic), led by `lead_practitioner`."""
    return early_help_case(
        version=default_version, front_door=front_door, lead=lead_practitioner, manager=manager
    )
