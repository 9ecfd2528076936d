"""The framework's statements load from YAML, once, by migration and by command."""

from io import StringIO

import pytest
from django.core.management import call_command

from partnership.models import Domain, Statement
from partnership.statements import (
    STATEMENTS_YAML,
    StatementsError,
    load_statements,
    read_statements,
)

pytestmark = pytest.mark.django_db


def test_all_five_domains_and_their_statements_are_loaded(statements):
    assert list(Domain.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert Statement.objects.count() == 49
    assert Statement.objects.filter(scored=True).count() == 46
    assert set(Statement.objects.filter(scored=False).values_list("ref", flat=True)) == {
        "1.6",
        "2.1",
        "4.1",
    }
    assert statements["3.5"].text.startswith("Our initial assessment processes identify need")
    assert statements["3.5"].domain.short == "Assessment"


def test_loading_twice_changes_nothing(statements):
    result = load_statements(Domain, Statement)

    assert not result.created and not result.updated
    assert len(result.unchanged) == 49


def test_the_command_reports_and_is_idempotent(statements):
    Statement.objects.filter(ref="3.1").update(text="Edited locally.")
    out = StringIO()

    call_command("load_audit_statements", stdout=out)
    call_command("load_audit_statements", stdout=out)

    assert "Updated: 3.1" in out.getvalue()
    assert "0 created, 0 updated, 49 unchanged." in out.getvalue()
    assert Statement.objects.get(ref="3.1").text.startswith("The assessment tools used")


def test_a_broken_file_is_refused_naming_the_problem(tmp_path):
    broken = tmp_path / "statements.yaml"
    broken.write_text(STATEMENTS_YAML.read_text().replace('ref: "3.2"', 'ref: "4.9"'))

    with pytest.raises(StatementsError, match=r"4\.9"):
        read_statements(broken)
