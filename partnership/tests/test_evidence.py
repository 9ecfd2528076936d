"""Domain 3 statements come pre-filled with the live figures for the round's period."""

import pytest

from partnership.evidence import suggested_evidence

pytestmark = pytest.mark.django_db


def test_domain_3_statements_get_the_live_figures_as_evidence(dataset, audit_round):
    evidence = suggested_evidence(audit_round)

    assert {"3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "1.1", "1.2"} <= set(evidence)
    assert "01 Apr 2025 to 30 Jun 2025" in evidence["3.6"]
    assert (
        "Referrals from education settings: 6 of 11 referrals of children (54.5%)"
        in evidence["3.6"]
    )
    # Shared with every agency and exported: small numbers are suppressed.
    assert "Re-referrals within 12 months: <5 of 11 referrals of children (—)" in evidence["3.5"]
    # 3.3 has a figure of its own now (issue 16): school referrals taken on by the pathway.
    assert "School referrals taken on beyond universal advice" in evidence["3.3"]


def test_a_statement_can_be_asked_for_alone(dataset, audit_round):
    assert list(suggested_evidence(audit_round, ["3.8"])) == ["3.8"]
    assert suggested_evidence(audit_round, ["2.4"]) == {}
