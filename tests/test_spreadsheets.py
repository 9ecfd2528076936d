import io

from openpyxl import load_workbook

from core.spreadsheets import csv_text, neutralise_cell, xlsx_bytes


def test_cells_a_spreadsheet_would_run_as_formulas_are_made_text():
    for risky in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_cell(risky) == "'" + risky
    assert neutralise_cell("Plain = words") == "Plain = words"
    assert neutralise_cell(3) == 3


def test_xlsx_exports_neutralise_text_and_keep_numbers():
    data = xlsx_bytes({"Scores": (["Statement", "Score"], [['=HYPERLINK("x")', 3]])})

    sheet = load_workbook(io.BytesIO(data))["Scores"]

    assert [c.value for c in sheet[1]] == ["Statement", "Score"]
    assert sheet["A2"].value == '\'=HYPERLINK("x")'
    assert sheet["B2"].value == 3


def test_csv_exports_neutralise_every_cell():
    assert csv_text(["a"], [["=cmd"]]).splitlines()[1] == "'=cmd"
