"""The whole referral -> route -> lead workflow: sequential, then from many clients at once.

    DATABASE_URL=postgres://user@host:port/db .venv/bin/python -m benchmarks.workflow \\
        [--workflows 300] [--seconds 8] [--clients 8,32] [--database-name hsb_bench_workflow]

    ./scripts/bench_workflow [same flags]   # on a throwaway cluster with durable settings

One workflow is what three people do through the services, as the API calls them:

1. a designated safeguarding lead (DSL) records a referral about one invented child
   (`cases.referrals.services.record_referral`): a new child record and a case on the
   area's published default pathway, at the initial decision;
2. the front door opens the case and refers it to the multi-agency HSB panel, confirming the
   continuum level (`cases.process.engine.take_transition`, `refer_to_hsb_panel`); finding
   the case the referral's answer names is not timed, as the peer's finding of its next task
   is not;
3. a team manager designates the lead practitioner of the unallocated case
   (`cases.services.designate_lead_practitioner`).

(A route into early help now names the lead in the same step, issue 16: the panel, which
needs no lead on entry, keeps the three steps the benchmark has always timed.)

Every child is invented: names are letters drawn from a hash of the run, process, client and
workflow number, so no two are alike and no referral is held up as a likely duplicate.

In one run it prints:

- one intake's SQL statements, listed, with its SAVEPOINT/RELEASE statements counted;
- the sequential cost (median, p95) of each step and of the whole workflow, and its
  statements, against viewflow's own whole workflow (a minimal flow, start -> 2 tasks -> end,
  `benchmarks.viewflow_peer`) measured in the same run;
- workflows per second with 8 clients in one process, 8 clients over two processes, 32
  clients over two processes, and server processes as the Dockerfile runs them (gunicorn
  sync: one request at a time each) one and two: errors, the mean number of sessions waiting
  on a lock (pg_stat_activity sampled every 20 ms), and the two-processes-to-one ratio of
  the sync workers (with threads, one process already fills a two-core machine);
- PASS/FAIL per acceptance line of issue 15; exit status 0 when all pass.

A client is a thread with its own database connection, running workflows back to back; a
"server process" is an OS process (multiprocessing, spawn) hosting client threads, as a
gunicorn worker hosts requests. Connections act as production's do: the serving role
`hsb_app` (row-level security on) with the area context set. The sealer runs every 0.5 s
throughout, as the worker would.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from benchmarks.harness import sample_lock_waiters, setup_django, throwaway_database

SPEED_TARGET = 2.0  # whole workflow at least twice as fast as viewflow's whole workflow
INTAKE_MAX_STATEMENTS = 12
THROUGHPUT_TARGET = 80.0  # workflows per second with 8 and with 32 clients
WAITERS_TARGET = 1.0  # fewer than one session waiting on a lock, on average
PROCESS_RATIO_TARGET = 1.7  # two gunicorn sync workers against one
SERVING_ROLE = "hsb_app"
LEADS = 10  # lead practitioners the managers designate in turn
BLOCKS = 10  # sequential timing alternates ours and the peer's in this many blocks


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workflows", type=int, default=300, help="Sequential workflows timed (and peer runs)."
    )
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="Length of each concurrent measurement."
    )
    parser.add_argument(
        "--clients", default="8,32", help="Client counts run over two processes (and 8 over one)."
    )
    parser.add_argument("--no-sealer", action="store_true", help="Do not run the audit sealer.")
    parser.add_argument(
        "--database-name",
        default="hsb_bench_workflow",
        help="Throwaway database (created, then dropped).",
    )
    return parser.parse_args(argv)


# --- the world: one area, its people and its published default pathway ------------------------


def create_world() -> dict[str, Any]:
    from agencies.models import Agency, AgencyType, LocalArea, User
    from agencies.roles import Role
    from pathways.services import create_draft_version, publish_version
    from pathways.tests.factories import DEFAULT_PATHWAY_YAML
    from pathways.yaml_io import parse_yaml

    area = LocalArea.objects.create(name="Benchmark area (invented)")
    school = Agency.objects.create(
        area=area, name="Invented Primary School", agency_type=AgencyType.SCHOOL
    )
    council = Agency.objects.create(
        area=area, name="Invented Children's Services", agency_type=AgencyType.EARLY_HELP
    )

    def person(username: str, role: str, agency: Any) -> Any:
        return User.objects.create(username=username, role=role, agency=agency)

    dsl = person("bench_dsl", Role.DSL, school)
    front_door = person("bench_front_door", Role.FRONT_DOOR, council)
    manager = person("bench_manager", Role.TEAM_MANAGER, council)
    leads = [person(f"bench_lead_{n}", Role.LEAD_PRACTITIONER, council) for n in range(LEADS)]
    draft = create_draft_version(
        area=area, definition=parse_yaml(DEFAULT_PATHWAY_YAML.read_text()), actor=None
    )
    publish_version(version=draft, actor=None)
    return {
        "area_id": area.pk,
        "dsl": dsl.pk,
        "front_door": front_door.pk,
        "manager": manager.pk,
        "leads": [lead.pk for lead in leads],
    }


@dataclass
class Actors:
    """The people of one client, loaded as the authentication backend loads a request's user."""

    dsl: Any
    front_door: Any
    manager: Any
    leads: list[int]

    @classmethod
    def load(cls, world: dict[str, Any]) -> Actors:
        from agencies.models import User

        def user(pk: int) -> Any:
            return User.objects.get(pk=pk)

        return cls(
            dsl=user(world["dsl"]),
            front_door=user(world["front_door"]),
            manager=user(world["manager"]),
            leads=list(world["leads"]),
        )


def serve_as_production(area_id: int) -> bool:
    """This thread's connection acts as a request does: the serving role, the area set.

    False (and the owner, without row-level security) when the server has no serving role.
    """
    from django.db import connection

    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [SERVING_ROLE])
        if cursor.fetchone() is None:
            return False
        cursor.execute(f"SET ROLE {SERVING_ROLE}")
        cursor.execute("SELECT set_config('app.area_ids', %s, false)", [str(area_id)])
    return True


# --- one workflow -------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _invented_name(digest: bytes, start: int, length: int) -> str:
    letters = "".join(LETTERS[byte % 26] for byte in digest[start : start + length])
    return letters.capitalize()


def referral_payload(seed: str, number: int) -> dict[str, Any]:
    """A referral about one invented child: a name no other workflow's child resembles."""
    from django.utils import timezone

    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    born = date.today() - timedelta(days=6 * 365 + int.from_bytes(digest[20:24]) % (10 * 365))
    return {
        "received_at": timezone.now() - timedelta(hours=1),
        "source": "2A",
        "channel": "phone",
        "description": "Invented referral for the workflow benchmark.",
        "behaviours": [
            {
                "description": "Invented: coercive sexual behaviour towards a younger pupil.",
                "continuum_level": "abusive",
                "traffic_light": "red",
                "setting": "school",
            }
        ],
        "children": [
            {
                "involvement": "displaying_hsb",
                "first_name": _invented_name(digest, 0, 8),
                "last_name": _invented_name(digest, 8, 9),
                "date_of_birth": born,
                "gender": "girl" if digest[30] % 2 else "boy",
            }
        ],
        "parents_informed": True,
    }


STEPS = ("intake", "route", "lead")


def run_workflow(
    actors: Actors, seed: str, number: int, step: Callable[[str], Any] | None = None
) -> Any:
    """Refer, route and designate the lead of one invented child; the case at the end.

    `step(name)`, if given, is a context manager entered around each step (for timing)."""
    from cases.exceptions import PossibleDuplicateChild
    from cases.models import Case
    from cases.process.engine import take_transition
    from cases.referrals.services import record_referral
    from cases.services import designate_lead_practitioner

    around = step or (lambda name: nullcontext())
    with around("intake"):
        payload = referral_payload(seed, number)
        try:
            referral = record_referral(actor=actors.dsl, **payload)
        except PossibleDuplicateChild:
            # Invented names can resemble another workflow's child born the same day (a few
            # in thousands): intake proposes the existing record, and the DSL, having looked,
            # confirms a new child, as the referral page asks them to.
            payload["children"][0]["confirm_new"] = True
            referral = record_referral(actor=actors.dsl, **payload)
    # The front door opens the new case: the referral's answer names it. Finding it is not
    # timed, as the peer's finding of its next task (what a page link carries) is not.
    case = Case.objects.get(referral=referral)
    with around("route"):
        case = take_transition(
            case=case,
            transition="refer_to_hsb_panel",
            actor=actors.front_door,
            data={"continuum_level": "abusive"},
        )
    with around("lead"):
        designate_lead_practitioner(
            case=case, practitioner=actors.leads[number % len(actors.leads)], actor=actors.manager
        )
    return case


# --- sequential: each step timed, its statements counted ----------------------------------------


def is_savepoint(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))


@dataclass
class StatementLog:
    """Statements sent on the connection, by step (BEGIN and COMMIT are not statements the
    driver is asked to execute, so they are not counted; SAVEPOINTs are)."""

    current: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    savepoints: dict[str, int] = field(default_factory=dict)
    keep: list[str] | None = None

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        self.counts[self.current] = self.counts.get(self.current, 0) + 1
        if is_savepoint(sql):
            self.savepoints[self.current] = self.savepoints.get(self.current, 0) + 1
        if self.keep is not None and self.current == "intake":
            self.keep.append(sql)
        return execute(sql, params, many, ctx)


class Sequential:
    """Sequential workflows, each step timed and its statements counted, over several blocks
    (alternated with the peer's, so drift on a shared machine hits both alike)."""

    def __init__(self) -> None:
        self.timings: dict[str, list[float]] = {name: [] for name in (*STEPS, "workflow")}
        # This process's CPU time (Python's share of the cost; the server's is not in it).
        self.cpu: dict[str, float] = dict.fromkeys((*STEPS, "workflow"), 0.0)
        self.log = StatementLog()
        self.total = 0

    def run(self, actors: Actors, count: int, seed: str) -> None:
        from django.db import connection

        timings, cpu, log = self.timings, self.cpu, self.log

        class _Step:
            def __init__(self, name: str) -> None:
                self.name = name

            def __enter__(self) -> None:
                log.current = self.name
                self.cpu = time.process_time()
                self.started = time.perf_counter()

            def __exit__(self, *exc: Any) -> None:
                timings[self.name].append(time.perf_counter() - self.started)
                cpu[self.name] += time.process_time() - self.cpu
                log.current = ""

        with connection.execute_wrapper(log):
            for number in range(count):
                log.current = ""  # what runs between the steps is not counted
                run_workflow(actors, seed, number, _Step)
                # The workflow is its steps, as the peer's whole process is (what is found
                # between them is not timed on either side).
                timings["workflow"].append(sum(timings[name][-1] for name in STEPS))
        cpu["workflow"] = sum(cpu[name] for name in STEPS)
        self.total += count

    def cpu_ms(self, name: str) -> float:
        return self.cpu[name] / self.total * 1000

    def statements(self, name: str) -> float:
        names = STEPS if name == "workflow" else (name,)
        return sum(self.log.counts.get(step, 0) for step in names) / self.total

    def savepoints(self, name: str) -> float:
        names = STEPS if name == "workflow" else (name,)
        return sum(self.log.savepoints.get(step, 0) for step in names) / self.total


def intake_statements(actors: Actors, seed: str) -> list[str]:
    """The statements of one intake, in order."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    log = StatementLog(current="intake", keep=[])
    with connection.execute_wrapper(log):
        from cases.referrals.services import record_referral

        record_referral(actor=actors.dsl, **referral_payload(seed, 0))
    # A statement prepared on the server is sent as EXECUTE: name what it runs.
    prepared = getattr(connections[DEFAULT_DB_ALIAS], "_case_process_prepared", None)
    names = {name: sql for sql, name in getattr(prepared, "names", {}).items()}
    listed = []
    for sql in log.keep or []:
        name = sql.split()[1] if sql.startswith("EXECUTE ") else None
        listed.append(f"{sql.split(' (')[0]}: {names[name]}" if name in names else sql)
    return listed


# --- concurrent: client threads in server processes ---------------------------------------------


def _client_process(
    database_name: str,
    world: dict[str, Any],
    clients: int,
    label: str,
    ready: Any,
    go: Any,
    deadline: Any,
    results: Any,
) -> None:
    """One server process: `clients` threads, each with its own connection."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = database_name
    import django

    django.setup()
    from django.db import connections

    barrier = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        seed = f"{label}:{os.getpid()}:{number}"
        done = 0
        errors: list[str] = []
        latencies: list[float] = []
        set_up = False
        try:
            serve_as_production(world["area_id"])
            actors = Actors.load(world)
            for warm in range(2):  # caches (compiled pathway, content types) as a live server
                run_workflow(actors, seed + ":warm", warm)
            set_up = True
        except BaseException as error:
            errors.append(f"setup: {error!r}")
        barrier.wait()
        go.wait()
        end = deadline.value
        number = 0
        while set_up:
            started = time.monotonic()
            if started >= end:
                break
            try:
                run_workflow(actors, seed, number)
            except Exception as error:
                errors.append(repr(error))
            finished = time.monotonic()
            if finished <= end:
                done += 1
                latencies.append(finished - started)
            number += 1
        results.put({"done": done, "errors": errors, "latencies": latencies})
        connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    ready.put(os.getpid())
    # The process's CPU time (all its threads) over the measured window.
    go.wait()
    cpu = time.process_time()
    time.sleep(max(0.0, deadline.value - time.monotonic()))
    results.put({"cpu": time.process_time() - cpu})
    for thread in threads:
        thread.join()


def _backend_cpu_seconds() -> float | None:
    """CPU seconds used so far by the benchmark database's server processes (this one's
    excepted), read from /proc; None when the server is not on this machine or not readable."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    ticks = os.sysconf("SC_CLK_TCK")
    total, read = 0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            read += 1
        except (OSError, IndexError, ValueError):
            continue  # a session that has just ended (or a server elsewhere)
    return total / ticks if read else None


def _sealer(stop: threading.Event, errors: list[BaseException]) -> None:
    from django.db import connections

    try:
        seal = getattr(importlib.import_module("audit.sealing"), "seal_pending_events", None)
        while not stop.is_set():
            if seal is not None:
                seal()
            stop.wait(0.5)
    except BaseException as error:
        errors.append(error)
    finally:
        connections.close_all()


@dataclass
class Scenario:
    label: str
    processes: int
    clients_per_process: int

    @property
    def clients(self) -> int:
        return self.processes * self.clients_per_process


def run_scenario(
    scenario: Scenario,
    *,
    database_name: str,
    world: dict[str, Any],
    seconds: float,
    sealer: bool,
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    go = context.Event()
    deadline = context.Value("d", 0.0)
    label = scenario.label.replace(" ", "_")
    processes = [
        context.Process(
            target=_client_process,
            args=(
                database_name,
                world,
                scenario.clients_per_process,
                f"{label}:{n}",
                ready,
                go,
                deadline,
                results,
            ),
        )
        for n in range(scenario.processes)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=300)

    stop = threading.Event()
    waiting: list[int] = []
    helper_errors: list[BaseException] = []
    helpers = [threading.Thread(target=sample_lock_waiters, args=(stop, waiting))]
    if sealer:
        helpers.append(threading.Thread(target=_sealer, args=(stop, helper_errors)))
    load_before = os.getloadavg()[0]
    backend_cpu = _backend_cpu_seconds()
    deadline.value = time.monotonic() + seconds
    began = time.monotonic()
    for helper in helpers:
        helper.start()
    go.set()
    time.sleep(max(0.0, deadline.value - time.monotonic()))
    elapsed = time.monotonic() - began
    backend_after = _backend_cpu_seconds()
    stop.set()
    messages = [results.get(timeout=300) for _ in range(scenario.clients + scenario.processes)]
    outcomes = [message for message in messages if "done" in message]
    python_cpu = sum(message["cpu"] for message in messages if "cpu" in message)
    for process in processes:
        process.join(timeout=60)
    for helper in helpers:
        helper.join()
    if helper_errors:
        raise helper_errors[0]
    errors = [error for outcome in outcomes for error in outcome["errors"]]
    latencies = sorted(value for outcome in outcomes for value in outcome["latencies"])
    done = sum(outcome["done"] for outcome in outcomes)
    server_cpu = (
        backend_after - backend_cpu
        if backend_cpu is not None and backend_after is not None
        else None
    )
    return {
        "python_cpu_ms": python_cpu / done * 1000 if done else 0.0,
        "server_cpu_ms": server_cpu / done * 1000 if done and server_cpu is not None else None,
        "scenario": scenario,
        "per_second": done / elapsed,
        "done": done,
        "errors": errors,
        "waiting": statistics.fmean(waiting) if waiting else 0.0,
        "waiting_max": max(waiting) if waiting else 0,
        "p50": percentile(latencies, 0.50) * 1000 if latencies else 0.0,
        "p95": percentile(latencies, 0.95) * 1000 if latencies else 0.0,
        "load": (load_before, os.getloadavg()[0]),
    }


# --- the peer: viewflow's own whole workflow ----------------------------------------------------


def viewflow_peer() -> Any:
    """`benchmarks.viewflow_peer`, when the tree has it (None otherwise)."""
    try:
        return importlib.import_module("benchmarks.viewflow_peer")
    except ImportError:
        return None


# --- figures ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered) * 1000,
        "p95": percentile(ordered, 0.95) * 1000,
        "mean": statistics.fmean(ordered) * 1000,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workflows < 1 or args.seconds <= 0:
        sys.exit("--workflows and --seconds must be positive.")
    counts = [int(part) for part in args.clients.split(",") if part.strip()]
    setup_django(benchmark="workflow", database_name=args.database_name)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)

    lines: list[tuple[str, bool]] = []
    with throwaway_database(args.database_name) as server:
        from django.conf import settings
        from django.db import connection

        from benchmarks.transitions import row_level_security, serving_role_exists

        world = create_world()
        database_name = settings.DATABASES["default"]["NAME"]
        rls = serving_role_exists()
        actors = Actors.load(world)
        peer = viewflow_peer()
        sequential = Sequential()
        peer_seconds: list[float] = []
        peer_statements: list[int] = []
        print(
            f"Timing {args.workflows} sequential workflows"
            + (" and as many of viewflow's, in alternating blocks ..." if peer else " ..."),
            flush=True,
        )
        with row_level_security(world["area_id"]) if rls else nullcontext():
            for number in range(args.warmup):
                run_workflow(actors, "warmup", number)
            listed = intake_statements(actors, "listing")
        if peer is not None:
            peer.time_whole_processes(max(1, args.warmup))  # warmed, as ours are
        blocks = max(1, min(BLOCKS, args.workflows))
        for block in range(blocks):
            count = args.workflows // blocks + (block < args.workflows % blocks)
            with row_level_security(world["area_id"]) if rls else nullcontext():
                sequential.run(actors, count, f"sequential{block}")
            if peer is not None:
                # viewflow's own flow as a plain viewflow app runs it: the owner, no audit.
                run = peer.time_whole_processes(count)
                peer_seconds += run.seconds
                peer_statements += run.statements
        connection.close()

        scenarios = [Scenario("8 clients, 1 process", 1, 8)]
        scenarios += [Scenario(f"{n} clients, 2 processes", 2, n // 2) for n in counts]
        # Server processes as the Dockerfile runs them (gunicorn sync): one request at a
        # time each, so one process is one client; the process ratio is measured on these.
        scenarios.append(Scenario("pool: gunicorn sync x1", 1, 1))
        scenarios.append(Scenario("pool: gunicorn sync x2", 2, 1))
        concurrent = []
        for scenario in scenarios:
            print(f"Running {scenario.label} for {args.seconds:.0f} s ...", flush=True)
            concurrent.append(
                run_scenario(
                    scenario,
                    database_name=database_name,
                    world=world,
                    seconds=args.seconds,
                    sealer=not args.no_sealer,
                )
            )
        connection.close()

    # --- report ---
    print()
    print(
        f"PostgreSQL {server}; {args.workflows} sequential workflows; "
        f"{'serving role, row-level security on' if rls else 'owner, row-level security off'}."
    )
    print(f"One intake's statements ({len(listed)}):")
    for number, sql in enumerate(listed, 1):
        text = " ".join(sql.split())
        print(f"  {number:2d}. {text[:130]}{' ...' if len(text) > 130 else ''}")
    savepoints = [sql for sql in listed if is_savepoint(sql)]
    print(f"  SAVEPOINT/RELEASE statements: {len(savepoints)}")

    timings = sequential.timings
    for name in (*STEPS, "workflow"):
        figures = summary(timings[name])
        print(
            f"{name:<9} median {figures['median']:6.2f} ms   p95 {figures['p95']:6.2f} ms   "
            f"mean {figures['mean']:6.2f} ms   Python CPU {sequential.cpu_ms(name):6.2f} ms   "
            f"statements {sequential.statements(name):5.2f}   "
            f"savepoints {sequential.savepoints(name):4.2f}"
        )
    whole = summary(timings["workflow"])["median"]
    intake_count = sequential.statements("intake")
    intake_savepoints = sequential.savepoints("intake")
    lines.append(
        (
            f"intake {intake_count:.0f} statements (<= {INTAKE_MAX_STATEMENTS}), "
            f"{intake_savepoints:.0f} savepoints (none)",
            intake_count <= INTAKE_MAX_STATEMENTS and intake_savepoints == 0 and not savepoints,
        )
    )
    if peer_seconds:
        peer_figures = summary(peer_seconds)
        peer_median = peer_figures["median"]
        ratio = peer_median / whole
        print(
            f"viewflow   median {peer_median:6.2f} ms   p95 {peer_figures['p95']:6.2f} ms   "
            f"mean {peer_figures['mean']:6.2f} ms   statements "
            f"{statistics.fmean(peer_statements):5.2f}   (the peer: start -> 2 tasks -> end, "
            "benchmarks.viewflow_peer)"
        )
        print(f"whole workflow against viewflow's (medians): ours {ratio:.2f}x as fast")
        lines.append(
            (
                f"whole workflow {ratio:.2f}x as fast as viewflow's (>= {SPEED_TARGET:.0f}x)",
                ratio >= SPEED_TARGET,
            )
        )
    else:
        print("viewflow whole workflow: benchmarks/viewflow_peer.py is not in the tree")
        lines.append(("whole workflow against viewflow's: no peer measured", False))

    print()
    for result in concurrent:
        scenario = result["scenario"]
        print(
            f"{scenario.label:<26} {scenario.clients:3d} clients  "
            f"{result['per_second']:6.1f} workflows/s   errors {len(result['errors'])}   "
            f"lock waiters mean {result['waiting']:.2f} (max {result['waiting_max']})   "
            f"p50 {result['p50']:.0f} ms  p95 {result['p95']:.0f} ms   "
            f"load {result['load'][0]:.2f}->{result['load'][1]:.2f}"
        )
        server_cpu = result["server_cpu_ms"]
        print(
            f"{'':<26} CPU per workflow: Python {result['python_cpu_ms']:.1f} ms, "
            + (f"PostgreSQL {server_cpu:.1f} ms" if server_cpu is not None else "PostgreSQL n/a")
        )
        for error in result["errors"][:3]:
            print(f"    error: {error[:200]}")
    one = concurrent[0]
    by_label = {result["scenario"].label: result for result in concurrent}
    for count in counts:
        result = by_label[f"{count} clients, 2 processes"]
        lines.append(
            (
                f"{count} clients over 2 processes: {result['per_second']:.1f} workflows/s "
                f"(>= {THROUGHPUT_TARGET:.0f})",
                result["per_second"] >= THROUGHPUT_TARGET,
            )
        )
    lines.append(
        (
            f"8 clients in 1 process: {one['per_second']:.1f} workflows/s "
            f"(>= {THROUGHPUT_TARGET:.0f})",
            one["per_second"] >= THROUGHPUT_TARGET,
        )
    )
    errors = sum(len(result["errors"]) for result in concurrent)
    lines.append((f"errors under load: {errors} (none)", errors == 0))
    worst = max(result["waiting"] for result in concurrent)
    lines.append(
        (
            f"sessions waiting on a lock, worst mean {worst:.2f} (< {WAITERS_TARGET:.0f})",
            worst < WAITERS_TARGET,
        )
    )
    if "8 clients, 2 processes" in by_label:
        # Eight threads in one process already keep both cores of a two-core machine busy
        # (Python while others wait on PostgreSQL): a second process has no core to add.
        two = by_label["8 clients, 2 processes"]
        threaded = two["per_second"] / one["per_second"] if one["per_second"] else 0.0
        print(f"8 client threads over two processes against one: {threaded:.2f}x (information)")
    sync_one = by_label["pool: gunicorn sync x1"]["per_second"]
    sync_two = by_label["pool: gunicorn sync x2"]["per_second"]
    process_ratio = sync_two / sync_one if sync_one else 0.0
    print(f"two server processes against one (gunicorn sync workers): {process_ratio:.2f}x")
    lines.append(
        (
            f"two server processes (gunicorn sync, one request at a time each) "
            f"{process_ratio:.2f}x one (>= {PROCESS_RATIO_TARGET}x)",
            process_ratio >= PROCESS_RATIO_TARGET,
        )
    )
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    for text, ok in lines:
        print(f"{verdict(ok)}: {text}")
    return 0 if all(ok for _, ok in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
