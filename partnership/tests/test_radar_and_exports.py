"""The radar (SVG and PDF) and the XLSX export of a round's scores."""

import io
from datetime import date

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from agencies.roles import Role
from partnership.exports import round_pdf, round_xlsx
from partnership.radar import round_radar
from partnership.services import open_audit_round, record_agency_score, set_agreed_score

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_round(audit_round, statements, make_user, coordinator_user):
    managers = [make_user(Role.TEAM_MANAGER), make_user(Role.TEAM_MANAGER)]
    for manager, scores in zip(
        managers, [{"3.5": 3, "3.1": 2, "1.1": 4}, {"3.5": 1, "3.1": 2}], strict=True
    ):
        for ref, value in scores.items():
            record_agency_score(
                audit_round=audit_round,
                statement=statements[ref],
                agency=manager.agency,
                score=value,
                evidence=f"=HYPERLINK(evidence {ref})",
                actor=manager,
            )
    set_agreed_score(
        audit_round=audit_round,
        statement=statements["3.1"],
        score=3,
        rationale="Agreed at the workshop.",
        actor=coordinator_user,
    )
    return audit_round, managers


def _svg(rounds, view="domains"):
    return render_to_string("partnership/includes/radar.svg", {"radar": round_radar(rounds, view)})


def test_the_radar_renders_one_polygon_per_round(scored_round, coordinator_user):
    audit_round, _ = scored_round
    later = open_audit_round(
        label="T2",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 12, 31),
        actor=coordinator_user,
    )

    one = _svg([audit_round])
    both = _svg([audit_round, later], "statements")

    assert one.startswith("<svg") and one.rstrip().endswith("</svg>")
    assert one.count('class="radar-series"') == 1
    assert both.count('class="radar-series"') == 2
    assert 'data-round="T1"' in both and 'data-round="T2"' in both
    assert one.count('class="radar-axis"') == 5  # one per domain
    assert both.count('class="radar-axis"') == 46  # one per scored statement
    assert one.count('class="radar-ring"') == 4


def test_the_domain_axis_is_the_average_agreed_score(scored_round):
    audit_round, _ = scored_round

    radar = round_radar([audit_round])

    values = {vertex.axis: vertex.value for vertex in radar.series[0].vertices}
    # Domain 3: 3.5 agreed 1 (lowest), 3.1 agreed 3 (rationale): mean 2. Domain 1: 1.1 is 4.
    assert values["3 Assessment"] == 2.0
    assert values["1 Responses"] == 4.0
    assert values["2 Prevention"] is None


def test_the_xlsx_export_reopens_with_the_same_scores(scored_round):
    audit_round, (school, police) = scored_round

    export = round_xlsx(audit_round)

    workbook = load_workbook(io.BytesIO(export.content))
    assert workbook.sheetnames == ["Statements", "Agency scores", "Domains", "Round"]
    sheet = workbook["Statements"]
    header = [cell.value for cell in sheet[1]]
    rows = {
        row[1]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == 46
    assert rows["3.5"][school.agency.name] == 3
    assert rows["3.5"][police.agency.name] == 1
    assert (rows["3.5"]["Lowest agency score"], rows["3.5"]["Agreed score"]) == (1, 1)
    assert (rows["3.1"]["Agreed score"], rows["3.1"]["Rationale"]) == (3, "Agreed at the workshop.")
    assert rows["2.4"]["Agreed score"] is None
    evidence = [row for row in workbook["Agency scores"].iter_rows(min_row=2, values_only=True)]
    assert len(evidence) == 5
    # Formula injection neutralised by core.spreadsheets.
    assert all(row[3].startswith("'=") for row in evidence)
    assert export.filename.endswith(".xlsx")


def test_the_pdf_export_is_marked_and_carries_the_radar(scored_round, coordinator_user):
    audit_round, _ = scored_round
    later = open_audit_round(
        label="T2",
        period_start=date(2025, 7, 1),
        period_end=date(2025, 12, 31),
        actor=coordinator_user,
    )

    export = round_pdf(audit_round, [later])

    assert export.content.startswith(b"%PDF")
    assert export.content_type == "application/pdf"
    assert b"OFFICIAL-SENSITIVE" in export.content  # the subject; pages are compressed


def test_radar_shows_unscored_as_gap_and_partial_average(audit_round, statements, make_user):
    manager = make_user(Role.TEAM_MANAGER)
    # One of domain 3's eight scored statements, and nothing in domain 2.
    record_agency_score(
        audit_round=audit_round,
        statement=statements["3.5"],
        agency=manager.agency,
        score=3,
        evidence="Invented evidence.",
        actor=manager,
    )

    radar = round_radar([audit_round])
    vertices = {vertex.axis: vertex for vertex in radar.series[0].vertices}

    assert vertices["3 Assessment"].value == 3.0
    assert vertices["3 Assessment"].partial
    assert vertices["3 Assessment"].text == "3.0 (1 of 8 scored)"
    assert vertices["2 Prevention"].value is None  # a gap, not a 0
    assert vertices["2 Prevention"].text == "not scored"
    assert not radar.series[0].complete
    # A lone scored axis is its point: no outline drawn through the centre for the gaps.
    assert radar.series[0].runs == ()

    svg = _svg([audit_round])
    assert "3.0 (1 of 8 scored)" in svg
    assert 'class="radar-partial"' in svg
    assert svg.count('class="radar-gap"') == 4  # the four unscored domains
    assert svg.count('<circle class="radar-point') == 1  # one point drawn, for domain 3
    assert "<polygon points=" not in svg.split('class="radar-series"')[1]  # no closed outline

    statements_view = round_radar([audit_round], "statements")
    scored = [v for v in statements_view.series[0].vertices if v.value is not None]
    assert [(v.axis, v.text) for v in scored] == [("3.5", "3.0")]
    assert round_pdf(audit_round).content.startswith(b"%PDF")  # the drawing copes with gaps


def test_a_fully_scored_neighbourhood_is_joined_and_the_rest_left_open(scored_round):
    audit_round, _ = scored_round

    radar = round_radar([audit_round], "statements")
    series = radar.series[0]

    # 3.1 and 3.5 are not neighbours, 1.1 stands alone: points, no lines through the gaps.
    assert series.runs == ()
    assert sum(v.value is not None for v in series.vertices) == 3
