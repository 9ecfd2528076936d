"""The dashboard's figures computed in two lanes (partnership/figures/tuning.py): the same
figures as one lane computes, a second connection opened only outside a transaction, and
a result two lanes need computed once.

Transactional: a second connection sees only committed rows."""

import threading
import time

import pytest
from django.db.backends.signals import connection_created
from django.test import override_settings

from partnership.figures import DASHBOARD_ORDER, DashboardFilters, dashboard_figures
from partnership.figures.scope import dashboard_scope
from partnership.figures.tuning import Deferred, _lane, _Shared, lanes_available, shared_result

from .dataset import EXPECTED, PERIOD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _scope(dataset):
    return dashboard_scope(
        area_id=dataset.area.pk,
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        filters=DashboardFilters(),
    )


class _Opened:
    """Connections opened while the block runs (the second lane's)."""

    def __init__(self):
        self.count = 0

    def __call__(self, sender, connection, **kwargs):
        self.count += 1

    def __enter__(self):
        connection_created.connect(self, weak=False)
        return self

    def __exit__(self, *exc):
        connection_created.disconnect(self)


def test_two_lanes_give_the_one_lanes_figures_from_a_second_connection(dataset):
    with override_settings(DASHBOARD_LANES=1), _Opened() as opened_one:
        one = dashboard_figures(_scope(dataset))
    with override_settings(DASHBOARD_LANES=2), _Opened() as opened_two:
        assert lanes_available() == 2
        two = dashboard_figures(_scope(dataset))

    assert two == one
    assert [figure.key for figure in two] == list(DASHBOARD_ORDER)
    assert {f.key: (f.numerator, f.denominator) for f in two} == EXPECTED
    assert (opened_one.count, opened_two.count) == (0, 1)


def test_inside_a_transaction_one_lane_computes_everything(dataset):
    from django.db import transaction

    with override_settings(DASHBOARD_LANES=2), transaction.atomic(), _Opened() as opened:
        # The rows a second connection could not see yet.
        assert lanes_available() == 1
        figures = dashboard_figures(_scope(dataset))

    assert {f.key: (f.numerator, f.denominator) for f in figures} == EXPECTED
    assert opened.count == 0


def test_a_shared_result_is_computed_once_and_the_other_lane_puts_its_figure_aside():
    memo = {"__lanes__": _Shared()}
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append("computed")
        started.set()
        release.wait(5)
        return 42

    results = {}
    first = threading.Thread(target=lambda: results.setdefault("a", shared_result(memo, "k", slow)))
    first.start()
    started.wait(5)
    _lane.may_defer = True  # a lane's first pass: the figure is put aside, not waited for
    try:
        with pytest.raises(Deferred):
            shared_result(memo, "k", slow)
    finally:
        _lane.may_defer = False
    waiter = threading.Thread(
        target=lambda: results.setdefault("b", shared_result(memo, "k", slow))
    )
    waiter.start()  # after its first pass a lane waits for the other's result
    time.sleep(0.05)
    release.set()
    first.join(5)
    waiter.join(5)

    assert results == {"a": 42, "b": 42}
    assert calls == ["computed"]
