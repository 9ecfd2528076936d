"""Every dashboard figure's exact numerator and denominator on the fixed dataset."""

from datetime import date, timedelta

import pytest
from django.db.models import Value

from agencies.models import AgencyType, LocalArea
from partnership.expressions import (
    DayNumber,
    WorkingDayIndex,
    weekday_holidays,
    working_day_numbers,
)
from partnership.figures import (
    DASHBOARD_ORDER,
    FIGURES,
    DashboardFilters,
    dashboard_figures,
    dashboard_scope,
    figure_cases,
    median,
)
from pathways.working_days import working_days_between

from .dataset import EXPECTED, EXPECTED_CELLS, EXPECTED_MEDIANS, PERIOD

pytestmark = pytest.mark.django_db


def _scope(dataset, **filters):
    return dashboard_scope(
        area_id=dataset.area.pk,
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        filters=DashboardFilters(**filters),
    )


@pytest.fixture
def figures(dataset):
    return {figure.key: figure for figure in dashboard_figures(_scope(dataset))}


def test_every_registered_figure_is_on_the_dashboard_and_expected():
    assert set(DASHBOARD_ORDER) == set(FIGURES) == set(EXPECTED)


@pytest.mark.parametrize("key", DASHBOARD_ORDER)
def test_each_figure_has_its_exact_numerator_and_denominator(figures, key):
    figure = figures[key]

    assert (figure.numerator, figure.denominator) == EXPECTED[key]
    assert figure.statement == FIGURES[key].statement
    assert figure.label and figure.definition


@pytest.mark.parametrize("key", sorted(EXPECTED_MEDIANS))
def test_medians_count_working_days_or_days_as_defined(figures, key):
    assert figures[key].value == EXPECTED_MEDIANS[key]


@pytest.mark.parametrize("key", sorted(EXPECTED_CELLS))
def test_breakdowns_have_exact_cells(figures, key):
    cells = {
        cell.key: cell.count
        for cell in figures[key].cells
        if cell.count or key.startswith("children_by_gender")
    }

    assert cells == EXPECTED_CELLS[key]


def test_each_figure_names_the_statement_it_informs(figures):
    statements = {key: figures[key].statement for key in figures}

    assert statements["education_share"] == "3.6"
    assert statements["initial_decision_within_one_working_day"] == "3.5"
    assert statements["suitable_tool"] == statements["warnings_justified"] == "3.1"
    assert statements["holistic_sections_complete"] == "3.2"
    assert statements["multi_agency_contributions"] == "3.4"
    assert statements["continuum_level_agreement"] == "3.7"
    assert statements["child_process_feedback"] == statements["family_process_feedback"] == "3.8"
    assert statements["school_referrals_taken_up"] == "3.3"
    assert statements["school_on_team"] == statements["school_assessment_contributions"] == "3.6"
    assert statements["not_receiving_service"] == "1.1"
    assert statements["children_by_ethnicity"] == "1.2"


@pytest.mark.parametrize(
    ("filters", "key", "expected"),
    [
        # Boys' referrals: C2 (2A), C3 (2B), C5 (3A), C6 (2A), C10 (1A).
        ({"gender": "boy"}, "education_share", (3, 5)),
        # 13 to 15 at referral: C3 (14), C4 (15), C9 (15); K4's C4b came at 16.
        ({"age_band": "13_15"}, "children_displaying_hsb", (3, None)),
        ({"age_band": "18_plus"}, "children_displaying_hsb", (1, None)),
        # The police referred C4 only; decided within a working day.
        ({"agency_type": AgencyType.POLICE}, "initial_decision_within_one_working_day", (1, 1)),
        ({"source": "2A"}, "education_share", (5, 5)),
        # SEN: K1, K3, K6.
        ({"sen": True}, "children_displaying_hsb", (3, None)),
        ({"sen": False}, "children_displaying_hsb", (5, None)),
        ({"ethnicity": "white_british"}, "children_by_gender", (None, 4)),
        # The one child harmed (C7) has no feedback recorded.
        ({"involvement": "harmed"}, "child_process_feedback", (0, 1)),
        ({"involvement": "harmed"}, "children_displaying_hsb", (0, None)),
    ],
)
def test_filters_narrow_every_figure(dataset, filters, key, expected):
    figure = FIGURES[key].compute(_scope(dataset, **filters))

    assert (figure.numerator, figure.denominator) == expected


def test_a_period_boundary_is_the_local_day_not_utc(dataset):
    # C10 at 23:30 BST on 30 June is in; C11 at 00:30 BST on 1 July (23:30 UTC) is out.
    scope = _scope(dataset)
    cases = set(
        figure_cases(scope, "police_involved_routes", "denominator").values_list("pk", flat=True)
    )

    assert dataset.cases["C10"].pk in cases
    assert dataset.cases["C11"].pk not in cases
    assert dataset.cases["C12"].pk not in cases  # another partnership's


@pytest.mark.parametrize(
    ("key", "part", "cell", "names"),
    [
        ("education_share", "numerator", "", {"C1", "C2", "C3", "C4b", "C6", "C7"}),
        ("re_referrals", "numerator", "", {"C4b", "C9", "C1"}),
        (
            "initial_decision_within_one_working_day",
            "denominator",
            "",
            {"C1", "C2", "C3", "C4", "C4b", "C6", "C7", "C9", "C10"},
        ),
        ("stepped_within_90_days", "numerator", "", {"C2"}),
        ("police_involved_routes", "cell", "no_further_action", {"C4"}),
        ("assessment_authorised_within_45_days", "denominator", "", {"C3"}),
        (
            "lead_practitioner_designated",
            "denominator",
            "",
            {"C1", "C2", "C3", "C4b", "C6", "C10"},
        ),
        ("school_on_team", "numerator", "", {"C1", "C6"}),
        ("continuum_level_agreement", "numerator", "", {"C1", "C4b", "C6", "C9"}),
        ("child_process_feedback", "numerator", "", {"C1", "C3"}),
        ("not_receiving_service", "numerator", "", {"C4", "C5"}),
        ("stages_overdue_now", "numerator", "", {"C3", "C5", "C6", "C11"}),
        ("children_by_age_band", "cell", "13_15", {"C3", "C4", "C9"}),
        (
            "children_displaying_hsb",
            "numerator",
            "",
            {"C1", "C2", "C3", "C4", "C5", "C6", "C9", "C10"},
        ),
        ("lead_practitioner_designated", "numerator", "", {"C1", "C2", "C6", "C10"}),
    ],
)
def test_drill_downs_list_exactly_the_cases_behind_a_figure(dataset, key, part, cell, names):
    cases = figure_cases(_scope(dataset), key, part, cell)
    by_pk = {case.pk: name for name, case in dataset.cases.items()}

    assert {by_pk[pk] for pk in cases.values_list("pk", flat=True)} == names


def test_drill_down_sizes_match_their_figures(dataset, figures):
    scope = _scope(dataset)
    for key, figure in figures.items():
        if figure.numerator is not None:
            # Referral figures count referrals of children; a case may carry two (C1 and R8).
            cases = figure_cases(scope, key, "numerator").count()
            assert cases <= figure.numerator, key
        for cell in figure.cells:
            assert figure_cases(scope, key, "cell", cell.key).count() <= cell.count, (key, cell.key)


def test_the_median_of_a_histogram():
    assert median({}) is None
    assert median({3: 1}) == 3
    assert median({1: 2, 5: 2}) == 3
    assert median({0: 1, 1: 6, 2: 1, 3: 1}) == 1


@pytest.mark.parametrize("one_step", [False, True], ids=["arithmetic", "working-day list"])
@pytest.mark.parametrize("region", ["ENG", "SCT", "NIR"])
def test_working_days_in_sql_match_the_engine_calendar(db, area, region, one_step):
    first, last = date(2024, 12, 1), date(2026, 2, 1)
    range_first, range_last = first - timedelta(days=10), last + timedelta(days=10)
    holidays = weekday_holidays(region, range_first, range_last)
    working = working_day_numbers(range_first, range_last, holidays) if one_step else ()
    days = [first + timedelta(days=n) for n in range(0, (last - first).days, 5)]

    def index(day):
        return WorkingDayIndex(
            DayNumber(Value(day), timestamp=False), holidays=holidays, working=working
        )

    for start in days[::7]:
        expressions = {f"to_{n}": index(end) - index(start) for n, end in enumerate(days)}
        row = LocalArea.objects.filter(pk=area.pk).values(**expressions).get()
        for n, end in enumerate(days):
            assert row[f"to_{n}"] == working_days_between(start, end, region), (start, end)
