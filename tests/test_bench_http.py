"""benchmarks/http_load.py's verdicts, without a server or wrk (the run itself is
./scripts/bench_http; CI does not install wrk)."""

from benchmarks.http_load import ENDPOINTS, LUA, RESULT_PREFIX, Figures, Runs, lua_script, report

RAW = {
    "requests": 5000,
    "duration_us": 10_000_000,
    "non2xx": 0,
    "connect": 0,
    "read": 0,
    "write": 0,
    "timeout": 0,
    "p50": 40_000,
    "p95": 80_000,
    "p99": 90_000,
}


def _runs(p95_ms: float, **errors: int) -> Runs:
    return Runs([Figures.from_wrk({**RAW, "p95": int(p95_ms * 1000), **errors})])


def _results(**p95s: float) -> dict[str, Runs]:
    return {e.key: _runs(p95s.get(e.key, 100.0)) for e in ENDPOINTS}


def test_wrk_figures_are_read_in_milliseconds_and_requests_per_second():
    figures = Figures.from_wrk({**RAW, "non2xx": 2, "timeout": 1})

    assert figures.requests_per_second == 500
    assert (figures.p50_ms, figures.p95_ms, figures.p99_ms) == (40, 80, 90)
    assert figures.errors == 3


def test_every_ratio_within_its_target_passes():
    results = _results(floor=100, case_detail=300, case_list=500, my_tasks=500, dashboard=600)

    assert report(ENDPOINTS, results, [], (0.0, 0.0, 0.0)) == 0


def test_a_ratio_past_its_target_fails(capsys):
    results = _results(floor=100, case_detail=301)

    assert report(ENDPOINTS, results, [], (0.0, 0.0, 0.0)) == 1
    assert "case detail API" in [
        line[:22].strip() for line in capsys.readouterr().out.splitlines() if "FAIL" in line
    ]


def test_an_error_fails_however_fast():
    results = _results(floor=100)
    results["dashboard"] = _runs(10.0, non2xx=1)

    assert report(ENDPOINTS, results, [], (0.0, 0.0, 0.0)) == 1


def test_the_wrk_script_cycles_the_paths_and_prints_one_result_line(tmp_path):
    script = lua_script(tmp_path, "case_detail", ["/api/cases/1/", "/api/cases/2/"]).read_text()

    assert 'local paths = {"/api/cases/1/", "/api/cases/2/"}' in script
    assert RESULT_PREFIX in script
    assert "latency:percentile(95)" in LUA
