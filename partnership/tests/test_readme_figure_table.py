"""The README's table of the dashboard's figures names every figure, with the statement it
informs, its numerator and its denominator (issue 16)."""

import re
from pathlib import Path

from partnership.figures import DASHBOARD_ORDER, FIGURES

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(
    r"^\| `(?P<key>\w+)` \| (?P<statement>[\d.]+) \| (?P<num>[^|]+) \| (?P<den>[^|]+) \|$"
)


def _rows() -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in README.read_text().splitlines():
        if match := ROW.match(line):
            rows[match["key"]] = (match["statement"], match["num"].strip(), match["den"].strip())
    return rows


def test_the_readme_names_each_figures_statement_numerator_and_denominator():
    rows = _rows()

    assert list(rows) == list(DASHBOARD_ORDER)
    for key, (statement, numerator, denominator) in rows.items():
        assert statement == FIGURES[key].statement, key
        assert numerator and denominator, key
