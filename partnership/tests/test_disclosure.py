"""Small numbers and pseudonyms: what an analyst may and may not see."""

import re

import pytest

from agencies.roles import Role
from partnership.disclosure import pseudonym, show_count, show_figure
from partnership.drilldown import drilldown
from partnership.figures import FIGURES, Cell, Figure, dashboard_figures, dashboard_scope

from .dataset import PERIOD

pytestmark = pytest.mark.django_db


def _figure(numerator, denominator, cells=(), value=None, value_count=None):
    spec = FIGURES["education_share"]
    return Figure(
        key=spec.key,
        statement=spec.statement,
        domain=spec.domain,
        label=spec.label,
        definition=spec.definition,
        unit=spec.unit,
        numerator=numerator,
        denominator=denominator,
        value=value,
        value_count=value_count,
        cells=tuple(Cell(key, key, count) for key, count in cells),
    )


@pytest.mark.parametrize(
    ("count", "display", "value"),
    [(0, "0", 0), (1, "<5", None), (4, "<5", None), (5, "5", 5), (1234, "1,234", 1234)],
)
def test_counts_from_one_to_four_show_as_under_five_for_analysts(count, display, value):
    shown = show_count(count, suppress=True)

    assert (shown.display, shown.value) == (display, value)
    assert show_count(count, suppress=False).value == count


def test_a_share_from_a_suppressed_count_shows_as_a_dash():
    assert show_figure(_figure(3, 20), suppress=True).share.display == "—"
    assert show_figure(_figure(12, 3), suppress=True).share.display == "—"
    assert show_figure(_figure(3, 20), suppress=False).share.display == "15%"
    assert show_figure(_figure(0, 20), suppress=True).share.display == "0%"
    assert show_figure(_figure(0, 0), suppress=True).share.display == "—"


def test_a_median_over_a_few_cases_is_withheld():
    assert show_figure(_figure(3, 3, value=4.0, value_count=3), suppress=True).value.display == "—"
    assert show_figure(_figure(3, 9, value=4.0, value_count=9), suppress=True).value.display == "4"


def test_a_lone_small_cell_takes_the_next_smallest_with_it():
    shown = show_figure(
        _figure(None, 20, cells=[("a", 3), ("b", 5), ("c", 12), ("d", 0)]), suppress=True
    )

    assert [cell.count.display for cell in shown.cells] == ["<5", "[c]", "12", "0"]
    assert shown.cells[1].count.value is None


def test_two_small_cells_need_no_more():
    shown = show_figure(_figure(None, 20, cells=[("a", 3), ("b", 2), ("c", 15)]), suppress=True)

    assert [cell.count.display for cell in shown.cells] == ["<5", "<5", "15"]


def test_pseudonyms_are_stable_keyed_and_hold_no_identifiers():
    first, again, other = pseudonym(7), pseudonym(7), pseudonym(8)

    assert first == again != other
    assert re.fullmatch(r"Case [0-9A-F]{4}-[0-9A-F]{4}", first)


def test_analysts_see_the_dataset_suppressed_and_others_exactly(dataset, analyst, make_user):
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])
    figures = {figure.key: figure for figure in dashboard_figures(scope)}

    re_referrals = show_figure(figures["re_referrals"], suppress=True)  # 3 of 11
    assert (re_referrals.numerator.display, re_referrals.denominator.display) == ("<5", "11")
    assert re_referrals.share.display == "—"
    education = show_figure(figures["education_share"], suppress=True)  # 6 of 11
    assert (education.numerator.display, education.share.display) == ("6", "54.5%")
    sources = {
        c.key: c.count.display
        for c in show_figure(figures["referral_sources"], suppress=True).cells
    }
    assert sources == {
        "1A": "<5",
        "2A": "5",
        "2B": "<5",
        "3A": "<5",
        "3C": "<5",
        "5D": "<5",
        "6": "<5",
    }
    # Girls 3 and boys 5 of 8: the girls' count alone would be 8 - 5.
    gender = {
        c.key: c.count.display
        for c in show_figure(figures["children_by_gender"], suppress=True).cells
    }
    assert gender == {"girl": "<5", "boy": "[c]", "non_binary": "0", "not_known": "0"}
    exact = {
        c.key: c.count.display
        for c in show_figure(figures["children_by_gender"], suppress=False).cells
    }
    assert exact["girl"] == "3"


def _rows_text(result):
    return " ".join(
        f"{row.label} {row.stage} {row.status} {row.involvement}" for row in result.rows
    )


def test_an_analysts_drill_down_names_cases_by_pseudonym_only(dataset, analyst):
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])

    result = drilldown(
        scope=scope, key="education_share", part="denominator", cell="", user=analyst
    )

    assert result.pseudonymised and not result.withheld
    assert len(result.rows) == 10
    assert all(re.fullmatch(r"Case [0-9A-F]{4}-[0-9A-F]{4}", row.label) for row in result.rows)
    assert all(row.case_id is None and row.url is None for row in result.rows)
    text = _rows_text(result)
    for forbidden in [*dataset.names, *dataset.references, *dataset.dates_of_birth]:
        assert forbidden not in text
    for case in dataset.cases.values():
        assert not re.search(rf"\b{case.pk}\b", text)


def test_an_analyst_gets_no_list_of_fewer_than_five_cases(dataset, analyst):
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])

    result = drilldown(
        scope=scope, key="stepped_within_90_days", part="numerator", cell="", user=analyst
    )

    assert result.withheld and result.rows == []
    assert result.count.display == "<5"


def test_a_coordinator_sees_references_and_links_to_the_cases(dataset, make_user):
    coordinator = make_user(Role.HSB_COORDINATOR)
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])

    result = drilldown(
        scope=scope, key="stepped_within_90_days", part="numerator", cell="", user=coordinator
    )

    assert not result.pseudonymised
    assert [row.label for row in result.rows] == ["PT-K2"]
    assert result.rows[0].url == f"/work/cases/{dataset.cases['C2'].pk}/"
    assert result.count.display == "1"


def test_a_manager_sees_references_only_of_cases_they_may_open(dataset, make_user):
    manager = make_user(Role.TEAM_MANAGER)
    scope = dashboard_scope(area_id=dataset.area.pk, date_from=PERIOD[0], date_to=PERIOD[1])

    result = drilldown(
        scope=scope, key="not_receiving_service", part="numerator", cell="", user=manager
    )

    # C5 is open with no lead yet (a manager allocates it); C4 closed at the door.
    labels = sorted(row.label for row in result.rows)
    assert labels[1] == "PT-K5" and re.fullmatch(r"Case [0-9A-F]{4}-[0-9A-F]{4}", labels[0])
    assert result.case_ids == [dataset.cases["C5"].pk]
