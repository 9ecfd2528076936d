"""HTTP load on the production stack: each endpoint's p95 against a trivial one's, in one run.

    ./scripts/bench_http [--cases 1000] [--duration 10] [--connections 50] [--rounds 1]

Starts what the image runs (tests/production/harness.py: gunicorn with deploy/gunicorn.conf.py,
two sync workers, under config.settings.production, serving as hsb_app on a throwaway
PostgreSQL cluster with durable settings, static files collected), writes an invented
partnership of `--cases` cases with the dashboard benchmark's set-based generator, and drives
each endpoint in turn with wrk (Debian's, /usr/bin/wrk) on loopback, `--connections`
connections for `--duration` seconds after a `--warmup`, with the headers the TLS proxy sends:

- floor: GET /api/me/ (token), the same middleware and authentication, no query of its own;
- case list: GET /api/cases/ (token; the lead practitioner's cases, 50 a page);
- case detail: GET /api/cases/<id>/ (token; cycling through the lead's cases);
- my tasks: GET /work/tasks/ (the page; a session cookie from logging in through the form);
- dashboard: GET /api/partnership/dashboard/ (token; a partnership analyst).

Prints per endpoint requests/s, p50, p95, p99, errors (non-2xx answers, socket errors,
timeouts), the server's CPU time per request (gunicorn's workers and PostgreSQL, from /proc)
and its ratio to the floor's, each p95's ratio to the floor's and PASS/FAIL against the
issue's targets (detail <= 3x, case list and my tasks <= 5x, dashboard <= 6x, no errors),
then each gunicorn worker's memory (RSS and PSS from /proc/<pid>/smaps_rollup). Exit status 0
when every line passes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRK = Path("/usr/bin/wrk")
PASSWORD = "bench-http-password-2026"  # noqa: S105 - invented users of a throwaway database
RESULT_PREFIX = "HSB-WRK "


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    # Ratio of its p95 to the floor's p95 that passes; None for the floor itself.
    target: float | None
    session: bool = False


ENDPOINTS = [
    Endpoint("floor", "floor: GET /api/me/", None),
    Endpoint("case_list", "case list API", 5.0),
    Endpoint("case_detail", "case detail API", 3.0),
    Endpoint("my_tasks", "my tasks page", 5.0, session=True),
    Endpoint("dashboard", "dashboard API", 6.0),
]

# Run as hsb_owner under production settings (ProductionStack.run_python), as an
# administrator's set-up would: the area and its cases from benchmarks.dashboard's generator,
# then a lead practitioner leading one case in five, an analyst, their API tokens, and the
# paths to load. Prints one JSON line.
WORLD = """
import json
from django.urls import reverse
from agencies.models import AgencyType, User
from agencies.roles import Role
from agencies.services import issue_api_token
from benchmarks.dashboard import create_area, generate
from cases.models import Case

setup = create_area()
counts = generate(CASES, setup)
by_type = {agency.agency_type: agency for agency in setup["agencies"]}
lead = User.objects.create_user(
    username="bench-lead", password=PASSWORD, role=Role.LEAD_PRACTITIONER,
    agency=by_type[AgencyType.EARLY_HELP], first_name="Invented", last_name="Lead",
)
analyst = User.objects.create_user(
    username="bench-analyst", password=PASSWORD, role=Role.ANALYST,
    agency=by_type[AgencyType.CHILDRENS_SOCIAL_CARE], first_name="Invented", last_name="Analyst",
)
led = Case.objects.filter(area=setup["area"]).extra(where=["mod(process_ptr_id, 5) = 0"])
led.update(lead_practitioner=lead)
ids = list(led.order_by("pk").values_list("pk", flat=True))
print(json.dumps({
    "cases": counts["cases"],
    "events": counts["events"],
    "led": len(ids),
    "lead_token": issue_api_token(user=lead, code="").key,
    "analyst_token": issue_api_token(user=analyst, code="").key,
    "paths": {
        "floor": [reverse("api:me")],
        "case_list": [reverse("api:cases:case-list")],
        "case_detail": [reverse("api:cases:case-detail", args=[pk]) for pk in ids],
        "my_tasks": [reverse("cases:tasks")],
        "dashboard": [reverse("api:partnership:dashboard")],
    },
}))
"""

# wrk's script: cycles through the endpoint's paths, counts answers that are not 2xx (wrk's
# own status error counts only >= 400, and a redirect to the login page must fail too), and
# prints the figures as one JSON line. Latencies are in microseconds.
LUA = """
local paths = {%(paths)s}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; n = 0 end
function request()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    '%(prefix)s{"requests": %%d, "duration_us": %%d, "non2xx": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"mean": %%f, "max": %%d}\\n',
    summary.requests, summary.duration, non2xx, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max))
end
"""


@dataclass
class Figures:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    # CPU time the server spent per request (gunicorn's workers and PostgreSQL's processes).
    cpu_ms: float = 0.0

    @classmethod
    def from_wrk(cls, raw: dict[str, Any], cpu_seconds: float = 0.0) -> Figures:
        seconds = raw["duration_us"] / 1e6
        socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
        return cls(
            requests_per_second=raw["requests"] / seconds if seconds else 0.0,
            p50_ms=raw["p50"] / 1000,
            p95_ms=raw["p95"] / 1000,
            p99_ms=raw["p99"] / 1000,
            errors=raw["non2xx"] + socket_errors,
            cpu_ms=cpu_seconds * 1000 / raw["requests"] if raw["requests"] else 0.0,
        )


@dataclass
class Runs:
    rounds: list[Figures] = field(default_factory=list)

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in self.rounds))

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.rounds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per endpoint.")
    parser.add_argument("--warmup", type=int, default=2, help="Seconds per endpoint, unmeasured.")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads: one keeps up with two sync workers and leaves them the cores.",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="Passes over every endpoint; medians are printed."
    )
    parser.add_argument(
        "--only", nargs="*", default=None, help="Endpoint keys to load besides the floor."
    )
    return parser.parse_args(argv)


def load_harness() -> ModuleType:
    """tests/production/harness.py, imported by path (tests/ is not a package)."""
    name = "hsb_production_harness"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "tests" / "production" / "harness.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def lua_script(directory: Path, key: str, paths: list[str]) -> Path:
    quoted = ", ".join(json.dumps(path) for path in paths)
    script = directory / f"{key}.lua"
    script.write_text(LUA % {"paths": quoted, "prefix": RESULT_PREFIX})
    return script


def run_wrk(
    url: str, script: Path, headers: dict[str, str], *, seconds: int, args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        str(WRK),
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        # gunicorn's own timeout: a slow answer is measured, not dropped as a wrk timeout.
        "--timeout=30s",
        f"--script={script}",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    result = subprocess.run(  # noqa: S603 - fixed argv: wrk and our own script
        [*command, url], capture_output=True, text=True, check=False, timeout=seconds + 120
    )
    for line in result.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return dict(json.loads(line[len(RESULT_PREFIX) :]))
    raise RuntimeError(f"wrk printed no result (exit {result.returncode}):\n{result.stderr}")


def _children(pid: int) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def _cpu_fields(pid: int) -> list[int]:
    """utime, stime, cutime, cstime of a process in clock ticks (zeros once it has exited)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return [0, 0, 0, 0]
    return [int(value) for value in fields[11:15]]


def _family_cpu_ticks(parent: int) -> int:
    """CPU time of a parent's children: those alive now, and those it has already reaped (its
    cutime and cstime), so a PostgreSQL backend that ends (CONN_MAX_AGE) or a gunicorn worker
    that is replaced between two readings still counts. The parent's own time is not
    request work: left out."""
    reaped = sum(_cpu_fields(parent)[2:])
    return reaped + sum(sum(_cpu_fields(child)[:2]) for child in _children(parent))


def server_cpu_seconds(stack: Any) -> float:
    """CPU time so far of gunicorn's workers and of PostgreSQL's processes (the postmaster's
    children: the workers' backends, the WAL writer, the checkpointer ...). Divided by the
    requests served in between, it is what a request costs the machine, which a busy machine
    (other processes taking turns on the cores) stretches far less than latencies."""
    postmaster = int((stack.cluster.datadir / "postmaster.pid").read_text().split()[0])
    ticks = _family_cpu_ticks(stack.gunicorn_pid) + _family_cpu_ticks(postmaster)
    return ticks / os.sysconf("SC_CLK_TCK")


def drain(stack: Any, *, quiet_share: float = 0.05, limit: float = 90.0) -> float:
    """Waits until the server is idle again; returns the seconds waited.

    When wrk stops, requests it sent are still queued at the sync workers, which serve them
    although nobody waits for the answer; left alone they would run into the next endpoint's
    figures. Idle: less than `quiet_share` of a core busy over half a second.
    """
    started = time.monotonic()
    before = server_cpu_seconds(stack)
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        now = server_cpu_seconds(stack)
        if 0 <= now - before < 0.5 * quiet_share:
            break
        before = now
    return time.monotonic() - started


def worker_memory(arbiter: int) -> list[tuple[int, int, int]]:
    """(pid, RSS kB, PSS kB) of each of the arbiter's children (gunicorn's workers)."""
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    rows = []
    for pid in sorted(int(child) for child in children):
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value, *_ = line.split()
            fields[name.rstrip(":")] = int(value)
        rows.append((pid, fields.get("Rss", 0), fields.get("Pss", 0)))
    return rows


def check_answers(stack: Any, world: dict[str, Any], headers: dict[str, dict[str, str]]) -> None:
    """One request to each endpoint first: a 200 of the expected kind, or the run stops."""
    import requests

    proxy = load_harness().PROXY_HEADERS
    for endpoint in ENDPOINTS:
        path = world["paths"][endpoint.key][0]
        response = requests.get(
            stack.url + path,
            headers={**proxy, **headers[endpoint.key]},
            allow_redirects=False,
            timeout=60,
        )
        kind = "text/html" if endpoint.session else "application/json"
        if response.status_code != 200 or kind not in response.headers.get("Content-Type", ""):
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not WRK.exists():
        print(f"{WRK} not found: the benchmark drives the server with wrk (apt-get install wrk).")
        return 3
    harness = load_harness()
    run_tests = harness.run_tests
    endpoints = [
        e for e in ENDPOINTS if args.only is None or e.target is None or e.key in args.only
    ]
    print("Starting the production stack (gunicorn, PostgreSQL durable) ...", flush=True)
    with (
        harness.ProductionStack(server_options=run_tests.DURABLE_SERVER_OPTIONS) as stack,
        tempfile.TemporaryDirectory(prefix="hsb-bench-http-") as scratch,
    ):
        print(f"Writing {args.cases} invented cases ...", flush=True)
        code = f"CASES = {int(args.cases)}\nPASSWORD = {PASSWORD!r}\n{WORLD}"
        world = json.loads(stack.run_python(code).strip().splitlines()[-1])
        client = stack.client()
        client.login("bench-lead", PASSWORD)
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        lead = {"Authorization": f"Token {world['lead_token']}"}
        headers = {
            "floor": lead,
            "case_list": lead,
            "case_detail": lead,
            "my_tasks": {"Cookie": cookie},
            "dashboard": {"Authorization": f"Token {world['analyst_token']}"},
        }
        check_answers(stack, world, headers)
        scripts = {
            e.key: lua_script(Path(scratch), e.key, world["paths"][e.key]) for e in endpoints
        }
        load_before = os.getloadavg()
        print(
            f"{world['cases']} cases, {world['events']} events; the lead leads {world['led']}. "
            f"wrk: {args.connections} connections, {args.threads} thread(s), "
            f"{args.warmup} s warm-up + {args.duration} s per endpoint, {args.rounds} round(s); "
            f"load average {load_before[0]:.2f}",
            flush=True,
        )
        results = {e.key: Runs() for e in endpoints}
        for round_number in range(args.rounds):
            for endpoint in endpoints:
                wrk_headers = {**harness.PROXY_HEADERS, **headers[endpoint.key]}
                if args.warmup:
                    run_wrk(
                        stack.url,
                        scripts[endpoint.key],
                        wrk_headers,
                        seconds=args.warmup,
                        args=args,
                    )
                    drain(stack)
                workers = _children(stack.gunicorn_pid)
                cpu_before = server_cpu_seconds(stack)
                raw = run_wrk(
                    stack.url,
                    scripts[endpoint.key],
                    wrk_headers,
                    seconds=args.duration,
                    args=args,
                )
                cpu = server_cpu_seconds(stack) - cpu_before
                waited = drain(stack)
                figures = Figures.from_wrk(raw, cpu)
                results[endpoint.key].rounds.append(figures)
                restarted = _children(stack.gunicorn_pid) != workers
                print(
                    f"  round {round_number + 1} {endpoint.key}: "
                    f"{figures.requests_per_second:.0f} req/s, p95 {figures.p95_ms:.1f} ms, "
                    f"server CPU {figures.cpu_ms:.2f} ms/request "
                    f"(load average {os.getloadavg()[0]:.2f}; drained in {waited:.1f} s"
                    f"{'; a worker was restarted: its CPU is not counted' if restarted else ''})",
                    flush=True,
                )
        load_after = os.getloadavg()
        memory = worker_memory(stack.gunicorn_pid)
    return report(endpoints, results, memory, load_after)


def report(
    endpoints: list[Endpoint],
    results: dict[str, Runs],
    memory: list[tuple[int, int, int]],
    load: tuple[float, float, float],
) -> int:
    floor_p95 = results["floor"].median("p95_ms")
    floor_cpu = results["floor"].median("cpu_ms")
    print()
    header = (
        f"{'endpoint':<22}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'CPU ms':>8}{'CPU/floor':>10}{'p95/floor':>11}{'target':>8}  verdict"
    )
    print(header)
    print("-" * len(header))
    passed = True
    for endpoint in endpoints:
        runs = results[endpoint.key]
        p95 = runs.median("p95_ms")
        ratio = p95 / floor_p95 if floor_p95 else float("inf")
        cpu = runs.median("cpu_ms")
        cpu_ratio = cpu / floor_cpu if floor_cpu else float("inf")
        answered = runs.median("requests_per_second") > 0
        ok = answered and runs.errors == 0 and (endpoint.target is None or ratio <= endpoint.target)
        passed &= ok
        target = "-" if endpoint.target is None else f"<={endpoint.target:g}x"
        print(
            f"{endpoint.label:<22}{runs.median('requests_per_second'):>8.0f}"
            f"{runs.median('p50_ms'):>9.1f}{p95:>9.1f}{runs.median('p99_ms'):>9.1f}"
            f"{runs.errors:>8}{runs.median('cpu_ms'):>8.2f}{cpu_ratio:>9.2f}x"
            f"{ratio:>10.2f}x{target:>8}  {'PASS' if ok else 'FAIL'}"
        )
    print()
    for pid, rss, pss in memory:
        print(f"gunicorn worker {pid}: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB")
    print(f"load average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        "CPU ms: gunicorn's workers' and PostgreSQL's CPU time per request; on a machine "
        "shared with other work its ratio to the floor's is the steadier figure (the verdict "
        "stays on p95)."
    )
    print(f"\nOverall: {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
