"""Small numbers stay small under differencing (issue 12, "Small numbers stay small").

An analyst who knows how the figures relate must not be able to work out a count from 1 to 4
by adding and subtracting shown counts: within a figure (numerator, complement, denominator),
across figures sharing a denominator, or across a breakdown and its total. The reader's
equations here are built from what the analyst is *shown* (the API's numbers), independently
of the suppression code, and solved exactly.
"""

from itertools import count

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.roles import Role
from partnership.differencing import determined
from partnership.disclosure import EDUCATION_CELLS, show_figures
from partnership.figures import FIGURES, Cell, Figure

from .dataset import PERIOD

SMALL = range(1, 5)


def _figure(key, numerator, denominator, cells=()):
    spec = FIGURES[key]
    return Figure(
        key=key,
        statement=spec.statement,
        domain=spec.domain,
        label=spec.label,
        definition=spec.definition,
        unit=spec.unit,
        numerator=numerator,
        denominator=denominator,
        cells=tuple(Cell(k, k, c) for k, c in cells),
    )


def _as_reader_sees(shown_figures):
    """[(key, numerator, denominator, {cell: count})] with None for what is withheld."""
    return [
        (
            f.key,
            f.numerator.value,
            f.denominator.value,
            {cell.key: cell.count.value for cell in f.cells},
        )
        for f in shown_figures
    ]


def recoverable_small_counts(exact, seen):
    """The small counts (shown or implied) a reader can work out from `seen`, knowing every
    relation between the figures: one variable per slot, tied by
    - numerator + complement = denominator;
    - cells + remainder = the breakdown's total (remainder known to be 0 when it is);
    - any two totals with the same exact value are the same count (more than a reader knows
      for sure: a coincidence counts too, so this can only find more, not less);
    - the education figure's numerator = the schools and education-services cells."""
    ids = count()
    values, known, relations = {}, {}, []
    totals = {}

    def slot(exact_value, seen_value):
        var = next(ids)
        values[var] = exact_value
        if seen_value is not None:
            known[var] = seen_value
        return var

    exact_by_key = {key: (n, d, cells) for key, n, d, cells in exact}
    slots = {}
    for key, n_seen, d_seen, cells_seen in seen:
        n, d, cells = exact_by_key[key]
        n_var = slot(n, n_seen) if n is not None else None
        d_var = slot(d, d_seen) if d is not None else None
        for var, value in ((n_var, n), (d_var, d)):
            if var is not None:
                totals.setdefault(value, []).append(var)
        if n_var is not None and d_var is not None:
            complement = slot(d - n, None)
            relations.append({n_var: 1, complement: 1, d_var: -1})
        cell_vars = {k: slot(c, cells_seen[k]) for k, c in cells.items()}
        slots[key] = (n_var, d_var, cell_vars)
        base_var, base = (n_var, n) if n is not None else (d_var, d)
        if cells and base_var is not None and base >= sum(cells.values()):
            relation = {v: 1 for v in cell_vars.values()}
            relation[base_var] = relation.get(base_var, 0) - 1
            remainder = base - sum(cells.values())
            if remainder:
                relation[slot(remainder, None)] = 1
            relations.append(relation)
    for same in totals.values():
        relations += [{same[0]: 1, other: -1} for other in same[1:]]
    if "education_share" in slots and "referral_sources" in slots:
        education = slots["education_share"][0]
        source_cells = slots["referral_sources"][2]
        named = [source_cells[c] for c in EDUCATION_CELLS if c in source_cells]
        if values[education] == sum(values[v] for v in named):
            relations.append({education: 1, **{v: -1 for v in named}})
    hidden = [var for var in values if var not in known]
    found = determined(relations, known, hidden)
    return sorted(values[var] for var in found if values[var] in SMALL)


def _exact(figures):
    return [(f.key, f.numerator, f.denominator, {c.key: c.count for c in f.cells}) for f in figures]


def _seen(figures):
    return _as_reader_sees(show_figures(figures, suppress=True))


# --- the cases the issue names ----------------------------------------------------------------


def test_six_of_eight_beside_six_of_eight_no_longer_gives_away_the_two():
    figures = [
        _figure("suitable_tool", 6, 8),
        _figure("holistic_sections_complete", 6, 8),
    ]
    # Before: both shown in full, and 8 - 6 = 2 assessments without a suitable tool.
    unprotected = [(k, n, d, c) for k, n, d, c in _exact(figures)]
    assert recoverable_small_counts(_exact(figures), unprotected) == [2, 2]

    seen = _seen(figures)

    assert recoverable_small_counts(_exact(figures), seen) == []
    assert [(n, d) for _, n, d, _ in seen] == [(None, 8), (None, 8)]
    shown = show_figures(figures, suppress=True)
    assert [f.numerator.display for f in shown] == ["[c]", "[c]"]
    assert [f.share.display for f in shown] == ["—", "—"]


def test_a_small_numerator_is_not_recovered_through_a_shared_denominator():
    # 3 of 9 is "<5"; the complement 6 and the total 9 appear nowhere else to subtract from.
    figures = [_figure("suitable_tool", 3, 9), _figure("multi_agency_contributions", 7, 9)]

    seen = _seen(figures)

    assert recoverable_small_counts(_exact(figures), seen) == []
    assert seen[0][1] is None  # "<5"
    assert seen[1][1] is None  # 9 - 7 = 2 would be given away: withheld as "[c]"


def test_a_breakdown_and_its_total_do_not_give_away_a_small_cell():
    figures = [
        _figure("children_displaying_hsb", 20, None),
        _figure("children_by_age_band", None, 20, [("10_12", 3), ("13_15", 9), ("16_17", 8)]),
    ]

    seen = _seen(figures)

    assert recoverable_small_counts(_exact(figures), seen) == []
    cells = seen[1][3]
    assert cells["10_12"] is None and list(cells.values()).count(None) >= 2
    assert seen[0][1] == 20  # the total itself stays shown


def test_the_education_numerator_does_not_give_away_a_small_source_cell():
    figures = [
        _figure("referral_sources", None, 30, [("2A", 10), ("2B", 2), ("3C", 18)]),
        _figure("education_share", 12, 30),
    ]

    seen = _seen(figures)

    assert recoverable_small_counts(_exact(figures), seen) == []


def test_managers_and_coordinators_still_see_every_count_exactly():
    figures = [_figure("suitable_tool", 6, 8), _figure("holistic_sections_complete", 6, 8)]

    shown = show_figures(figures, suppress=False)

    assert [(f.numerator.value, f.denominator.value) for f in shown] == [(6, 8), (6, 8)]


@pytest.mark.parametrize("seed", range(40))
def test_random_dashboards_leave_nothing_small_to_work_out(seed):
    import random

    rng = random.Random(seed)
    started = rng.randint(1, 30)
    referrals = rng.randint(1, 40)
    sources = {"2A": rng.randint(0, referrals)}
    sources["2B"] = rng.randint(0, referrals - sources["2A"])
    sources["3C"] = referrals - sources["2A"] - sources["2B"]
    children = rng.randint(0, 30)
    bands = {"10_12": rng.randint(0, children)}
    bands["13_15"] = rng.randint(0, children - bands["10_12"])
    bands["16_17"] = children - bands["10_12"] - bands["13_15"]
    figures = [
        _figure("suitable_tool", rng.randint(0, started), started),
        _figure("holistic_sections_complete", rng.randint(0, started), started),
        _figure("multi_agency_contributions", rng.randint(0, started), started),
        _figure("referral_sources", None, referrals, [(k, v) for k, v in sources.items() if v]),
        _figure("education_share", sources["2A"] + sources["2B"], referrals),
        _figure("re_referrals", rng.randint(0, referrals), referrals),
        _figure("children_displaying_hsb", children, None),
        _figure("children_by_age_band", None, children, list(bands.items())),
    ]

    assert recoverable_small_counts(_exact(figures), _seen(figures)) == []


# --- the whole dashboard as an analyst gets it ------------------------------------------------


def _dashboard(user):
    client = APIClient()
    client.force_authenticate(user)
    query = {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()}
    return client.get(reverse("api:partnership:dashboard"), query).json()["figures"]


def _from_api(figures):
    return [
        (f["key"], f["numerator"], f["denominator"], {c["key"]: c["count"] for c in f["cells"]})
        for f in figures
    ]


@pytest.mark.django_db
def test_nothing_small_can_be_worked_out_from_the_analysts_dashboard(dataset, make_user):
    exact = _from_api(_dashboard(make_user(Role.TEAM_MANAGER)))
    seen = _from_api(_dashboard(make_user(Role.ANALYST)))

    # Shown to a manager in full, small counts could be worked out of it...
    assert recoverable_small_counts(exact, exact)
    # ...and from what the analyst is shown, none can.
    assert recoverable_small_counts(exact, seen) == []
    # Nothing shown to the analyst is itself from 1 to 4.
    shown_counts = [v for _, n, d, cells in seen for v in (n, d, *cells.values())]
    assert not [v for v in shown_counts if v in SMALL]


@pytest.mark.django_db
def test_a_drill_down_of_a_count_withheld_by_secondary_suppression_lists_no_case(
    dataset, make_user
):
    analyst = make_user(Role.ANALYST)
    figures = _dashboard(analyst)
    withheld = [
        (f["key"], part, "")
        for f in figures
        for part in ("numerator", "denominator")
        if f.get(f"{part}_display") == "[c]"
    ] + [
        (f["key"], "cell", c["key"])
        for f in figures
        for c in f["cells"]
        if c["count_display"] == "[c]"
    ]
    assert withheld, "the invented dataset has a count withheld by secondary suppression"
    client = APIClient()
    client.force_authenticate(analyst)

    for key, part, cell in withheld:
        query = {
            "date_from": PERIOD[0].isoformat(),
            "date_to": PERIOD[1].isoformat(),
            "part": part,
            **({"cell": cell} if cell else {}),
        }
        body = client.get(reverse("api:partnership:figure-cases", args=[key]), query).json()

        assert body["results"] == [], (key, part, cell)
        assert body["count"] is None and body["count_display"] == "[c]"
