"""HTTP throughput and latency of fithub, against a bare Quart hello-world under the same server.

Run from the repository root (as a module: a script named ``http.py`` would shadow the standard
library's ``http`` package)::

    python -m bench.http                       # 5 s per cell, 1/16/64 clients
    python -m bench.http --duration 3 --json   # machine-readable results on stdout

In one run it starts two servers, each a single hypercorn process on the asyncio loop configured
like ``fithub serve`` (no hypercorn access log):

* ``bench/hello_app.py``: Quart answering ``GET /`` with ``{"hello": "world"}``, the ceiling;
* a real fithub (``fithub migrate`` then ``fithub serve``, via tests/support.py) over a fresh
  data folder, on SQLite, or on a throw-away PostgreSQL database created on the server named by
  ``FITHUB_DATABASE_URL`` (dropped afterwards), with Redis if ``FITHUB_REDIS_URL`` is set.

It signs a user up, logs in, makes a few dozen profile updates (each writes an audit event), then
measures requests/s and p50/p95/p99 latency of ``GET /`` (hello), ``GET /api/v1/users/me``,
``GET /api/v1/audit-events?limit=20`` and ``GET /api/v1/workouts?limit=20`` (fithub, bearer
token; issue 16's goals: the single read at least 0.5x hello, a list page 0.3x), each at every ``--concurrency``
level. Load is closed-loop: every client sends its next request when the previous answer is in.
Each cell runs ``--warmup`` seconds unmeasured, then ``--duration`` seconds measured.

The load generator is ``wrk`` when installed (cheapest on CPU), else an aiohttp client in separate
process(es). Both servers and the load generator share the machine's cores; the table reports the
CPU each used so you can tell who was the bottleneck. See bench/README.md for how to read it.

Exit status: 0 when every request got a 2xx answer, 1 when any did not, 2 on a setup failure,
130/143 when interrupted (after stopping everything it started).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.http")

import httpx

from tests.support import FithubServer, cleanup, free_port, make_server

REPO_ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
API = "/api/v1"
PASSWORD = "bench-password-not-secret"
WORKOUTS = 25  # more than a page of 20
READY_TIMEOUT_S = 60.0


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the results."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Servers


class HelloServer:
    """``python -m bench.hello_app`` in a subprocess, on a free port."""

    def __init__(self, log_dir: Path) -> None:
        self.log_path = log_dir / "hello.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the hello-world server is not running")
        return self.process.pid

    def start(self) -> None:
        self.port = free_port()
        with self.log_path.open("wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.hello_app", "--port", str(self.port)],
                cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT,
            )
        wait_ready(f"{self.base_url}/", self.process, self.log_path)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready:\n{log_path.read_text(errors='replace')}")


@contextmanager
def running_hello(log_dir: Path) -> Iterator[HelloServer]:
    server = HelloServer(log_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def running_fithub(log_level: str) -> Iterator[FithubServer]:
    """A fithub server on a fresh data folder (and a throw-away PostgreSQL database if configured)."""
    server, database = make_server({
        "FITHUB_ENV": "production",
        "FITHUB_PASSWORD_HASHING": "rfc9106-low-memory",  # the test harness default is test-only
        "FITHUB_LOG_LEVEL": log_level,
        "FITHUB_ACCESS_TOKEN_TTL": "3600",
    })
    try:
        server.start()
        yield server
    finally:
        cleanup(server, database)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads), or None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU time spent not idle, summed over all cores since boot, or None off Linux."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU use of a server process, and of the whole machine, over the measured window.

    Both are in % of one core: the machine figure runs up to 100 x the number of cores.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._start: tuple[float | None, float | None, float] = (None, None, 0.0)
        self.server_percent: float | None = None
        self.machine_percent: float | None = None

    def start(self) -> None:
        self._start = (process_cpu_seconds(self.pid), machine_busy_seconds(), time.monotonic())

    def stop(self) -> None:
        server0, machine0, wall0 = self._start
        server, machine = process_cpu_seconds(self.pid), machine_busy_seconds()
        wall = time.monotonic() - wall0
        if wall <= 0:
            return
        if server is not None and server0 is not None:
            self.server_percent = 100.0 * (server - server0) / wall
        if machine is not None and machine0 is not None:
            self.machine_percent = 100.0 * (machine - machine0) / wall


# --------------------------------------------------------------------------------------------
# The fithub user and its data


class FithubUser:
    """A signed-up, signed-in user with a few dozen audit events and a page of workouts."""

    def __init__(self, base_url: str, audit_events: int) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
        created = self.http.post(f"{API}/auth/register", json={
            "email": email, "password": PASSWORD, "display_name": "Bench Runner"})
        expect(created, 202)
        tokens = expect(self.http.post(f"{API}/auth/login",
                                       json={"email": email, "password": PASSWORD}), 200)
        self.access_token: str = tokens["access_token"]
        self.refresh_token: str = tokens["refresh_token"]
        for number in range(audit_events):
            expect(self.http.patch(f"{API}/users/me", headers=self.headers(),
                                   json={"display_name": f"Bench Runner {number}"}), 200)
        for number in range(WORKOUTS):
            expect(self.http.post(f"{API}/workouts", headers=self.headers(), json={
                "name": f"Session {number}", "status": "completed", "tags": ["bench"],
                "started_at": f"2026-01-{number % 28 + 1:02d}T18:00:00Z"}), 201)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def fresh_headers(self) -> dict[str, str]:
        """Rotate the token pair first, so no cell can outlive its access token."""
        tokens = expect(self.http.post(f"{API}/auth/refresh",
                                       json={"refresh_token": self.refresh_token}), 200)
        self.access_token, self.refresh_token = tokens["access_token"], tokens["refresh_token"]
        return self.headers()

    def close(self) -> None:
        self.http.close()


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url} answered "
                           f"{response.status_code}, expected {status}: {response.text[:500]}")
    return response.json()


# --------------------------------------------------------------------------------------------
# Targets and results


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    url: str
    server_pid: int
    headers: Callable[[], dict[str, str]]
    check: Callable[[Any], bool]


@dataclass
class Measurement:
    """What a load generator saw during the measured window of one cell."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    non_2xx: int
    transport_errors: int
    client_cpu_seconds: float | None


@dataclass
class CellResult:
    target: str
    label: str
    concurrency: int
    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    non_2xx: int
    transport_errors: int
    server_cpu_pct: float | None
    client_cpu_pct: float | None
    other_cpu_pct: float | None
    pct_of_hello: float | None = None

    @property
    def errors(self) -> int:
        return self.non_2xx + self.transport_errors


@dataclass
class Report:
    client: str
    duration_s: float
    warmup_s: float
    cpu_count: int | None
    database: str
    redis: bool
    fithub_log_level: str
    results: list[CellResult]
    server_error_log: list[str]

    @property
    def errors(self) -> int:
        return sum(result.errors for result in self.results)

    def to_json(self) -> str:
        data = asdict(self)
        data["errors"] = self.errors
        data["results"] = [{**asdict(r), "errors": r.errors} for r in self.results]
        return json.dumps(data, indent=2)


def preflight(target: Target) -> None:
    """One request by hand: the endpoint must answer 200 with the expected body."""
    response = httpx.get(target.url, headers=target.headers(), timeout=30)
    body = expect(response, 200)
    if not target.check(body):
        raise RuntimeError(f"{target.label}: unexpected body {json.dumps(body)[:500]}")


# --------------------------------------------------------------------------------------------
# Load generator 1: wrk


def run_wrk(url: str, headers: dict[str, str], concurrency: int, args: argparse.Namespace,
            meter: CpuMeter) -> Measurement:
    """A warm-up wrk run, then the measured one. wrk is closed-loop: each connection is a client."""
    env = {**os.environ, "BENCH_AUTHORIZATION": headers.get("Authorization", "")}

    def wrk(seconds: float) -> dict[str, Any]:
        command = ["wrk", "-t", str(max(1, min(args.wrk_threads, concurrency))),
                   "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
                   "-s", str(WRK_SCRIPT), url]
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=seconds + 60)
        for line in done.stdout.splitlines():
            if line.startswith("BENCH_RESULT "):
                report: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
                return report
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    if args.warmup > 0:
        wrk(args.warmup)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    meter.start()
    report = wrk(args.duration)
    meter.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    socket_errors = sum(report[key] for key in ("connect_errors", "read_errors", "write_errors",
                                                "timeouts"))
    return Measurement(
        requests=int(report["requests"]), seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1e3, p95_ms=report["p95_us"] / 1e3,
        p99_ms=report["p99_us"] / 1e3, mean_ms=report["mean_us"] / 1e3,
        # wrk counts answers with a status above 399; the preflight checks nothing redirects.
        non_2xx=int(report["status_errors"]), transport_errors=int(socket_errors),
        client_cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    )


# --------------------------------------------------------------------------------------------
# Load generator 2: aiohttp, in separate processes


def python_client_process(url: str, headers: dict[str, str], clients: int, warmup: float,
                          duration: float, ready: Any, go: Any, results: Any) -> None:
    """Entry point of one load-generating process (spawned; reports through ``results``)."""
    import asyncio

    import aiohttp  # imported before "ready" so that start-up costs nothing measured

    async def main() -> dict[str, Any]:
        latencies = array("d")
        counts = {"non_2xx": 0, "transport_errors": 0}
        cpu: dict[str, float] = {}
        connector = aiohttp.TCPConnector(limit=clients)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers,
                                         auto_decompress=False) as session:
            start = time.monotonic()
            window_start, window_end = start + warmup, start + warmup + duration

            async def client() -> None:
                while (sent := time.monotonic()) < window_end:
                    failure: str | None = None
                    try:
                        async with session.get(url) as response:
                            await response.read()
                            if not 200 <= response.status < 300:
                                failure = "non_2xx"
                    except (aiohttp.ClientError, TimeoutError):
                        failure = "transport_errors"
                    answered = time.monotonic()
                    if window_start <= answered <= window_end:
                        if failure:
                            counts[failure] += 1
                        if failure != "transport_errors":  # no answer, so no latency (as wrk)
                            latencies.append(answered - sent)

            async def clock() -> None:
                await asyncio.sleep(window_start - time.monotonic())
                cpu["start"] = time.process_time()
                await asyncio.sleep(window_end - time.monotonic())
                cpu["end"] = time.process_time()

            await asyncio.gather(clock(), *(client() for _ in range(clients)))
        return {"latencies": latencies.tobytes(), **counts,
                "cpu_seconds": cpu["end"] - cpu["start"]}

    ready.put(os.getpid())
    go.wait()
    results.put(asyncio.run(main()))


def run_python(url: str, headers: dict[str, str], concurrency: int, args: argparse.Namespace,
               meter: CpuMeter) -> Measurement:
    """Split the clients over up to ``--client-processes`` aiohttp processes; merge their reports."""
    processes = args.client_processes
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    shares = [concurrency // processes + (1 if i < concurrency % processes else 0)
              for i in range(processes)]
    workers = [context.Process(target=python_client_process, daemon=True,
                               args=(url, headers, share, args.warmup, args.duration,
                                     ready, go, results))
               for share in shares if share > 0]
    try:
        for worker in workers:
            worker.start()
        collect(ready, workers, timeout=60)
        go.set()
        time.sleep(args.warmup)
        meter.start()
        time.sleep(args.duration)
        meter.stop()
        reports: list[dict[str, Any]] = collect(results, workers, timeout=60)
    finally:
        for worker in workers:
            if worker.pid is None:
                continue
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
    latencies = array("d")
    for report in reports:
        latencies.frombytes(report["latencies"])
    ordered = sorted(latencies)
    return Measurement(
        requests=len(ordered), seconds=args.duration,
        p50_ms=percentile(ordered, 50) * 1e3, p95_ms=percentile(ordered, 95) * 1e3,
        p99_ms=percentile(ordered, 99) * 1e3,
        mean_ms=(sum(ordered) / len(ordered) * 1e3) if ordered else math.nan,
        non_2xx=sum(report["non_2xx"] for report in reports),
        transport_errors=sum(report["transport_errors"] for report in reports),
        client_cpu_seconds=sum(report["cpu_seconds"] for report in reports),
    )


def collect(source: Any, workers: Sequence[Any], timeout: float) -> list[Any]:
    """One message from each worker, failing fast if a worker dies instead of answering."""
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(messages) < len(workers):
        try:
            messages.append(source.get(timeout=0.2))
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise RuntimeError("an aiohttp client process crashed") from None
            if time.monotonic() > deadline:
                raise RuntimeError("an aiohttp client process did not report in time") from None
    return messages


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (nan when empty)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------
# One cell, the whole matrix, and the report


def measure(target: Target, concurrency: int, args: argparse.Namespace) -> CellResult:
    meter = CpuMeter(target.server_pid)
    run = run_wrk if args.client == "wrk" else run_python
    m = run(target.url, target.headers(), concurrency, args, meter)
    client_cpu = (100.0 * m.client_cpu_seconds / m.seconds
                  if m.client_cpu_seconds is not None and m.seconds > 0 else None)
    other_cpu = None  # whatever else kept the machine busy: other programs, the idle server
    if (meter.machine_percent is not None and meter.server_percent is not None
            and client_cpu is not None):
        other_cpu = max(0.0, meter.machine_percent - meter.server_percent - client_cpu)
    return CellResult(
        target=target.key, label=target.label, concurrency=concurrency, requests=m.requests,
        seconds=round(m.seconds, 3),
        requests_per_s=round(m.requests / m.seconds, 1) if m.seconds > 0 else 0.0,
        p50_ms=round(m.p50_ms, 3), p95_ms=round(m.p95_ms, 3), p99_ms=round(m.p99_ms, 3),
        mean_ms=round(m.mean_ms, 3), non_2xx=m.non_2xx, transport_errors=m.transport_errors,
        server_cpu_pct=rounded(meter.server_percent), client_cpu_pct=rounded(client_cpu),
        other_cpu_pct=rounded(other_cpu),
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def relate_to_hello(results: list[CellResult]) -> None:
    """Fill ``pct_of_hello``: each fithub cell's requests/s over hello's at the same concurrency."""
    hello = {r.concurrency: r.requests_per_s for r in results if r.target == "hello"}
    for result in results:
        baseline = hello.get(result.concurrency)
        if result.target != "hello" and baseline:
            result.pct_of_hello = round(100.0 * result.requests_per_s / baseline, 1)


def render_table(report: Report) -> str:
    results = report.results

    def num(value: float | None, spec: str) -> str:
        return "-" if value is None or math.isnan(value) else format(value, spec)

    label_width = max(len("target"), *(len(r.label) for r in results))
    header = (f"{'target':<{label_width}}  {'clients':>7}  {'req/s':>9}  {'p50 ms':>8}  "
              f"{'p95 ms':>8}  {'p99 ms':>8}  {'errors':>6}  {'% hello':>7}  "
              f"{'srv CPU':>7}  {'cli CPU':>7}  {'other':>6}")
    lines = [header, "-" * len(header)]
    previous = None
    for r in results:
        if previous is not None and r.target != previous:
            lines.append("")
        previous = r.target
        lines.append(
            f"{r.label:<{label_width}}  {r.concurrency:>7}  {r.requests_per_s:>9.1f}  "
            f"{num(r.p50_ms, '.2f'):>8}  {num(r.p95_ms, '.2f'):>8}  {num(r.p99_ms, '.2f'):>8}  "
            f"{r.errors:>6}  {num(r.pct_of_hello, '.1f'):>7}  "
            f"{num(r.server_cpu_pct, '.0f'):>6}%  {num(r.client_cpu_pct, '.0f'):>6}%  "
            f"{num(r.other_cpu_pct, '.0f'):>5}%"
        )
    lines.append("")
    lines.append(f"load generator: {report.client}; database: {report.database}"
                 f"{' + redis' if report.redis else ''}; fithub log level: "
                 f"{report.fithub_log_level}; {report.duration_s:g} s per cell after "
                 f"{report.warmup_s:g} s warm-up")
    lines.append(f"CPU columns: % of one core during the measured window, for the server, the "
                 f"load generator and everything else on the machine ({report.cpu_count} cores)")
    return "\n".join(lines)


def error_lines(server: FithubServer, limit: int = 10) -> list[str]:
    """The last error records in fithub's log (its stderr: one JSON object per line)."""
    found = [line for line in server.read_logs().splitlines()
             if '"level": "error"' in line or '"level": "critical"' in line]
    return found[-limit:]


def build_targets(hello: HelloServer, fithub: FithubServer, user: FithubUser,
                  audit_events: int) -> list[Target]:
    page = 20
    fithub_pid = fithub.processes[0].pid  # the ``fithub serve`` process, not the job worker

    def full_page(body: Any) -> bool:
        items = body.get("items")
        return isinstance(items, list) and min(page, audit_events) <= len(items) <= page

    return [
        Target("hello", "hello GET /", f"{hello.base_url}/", hello.pid, dict,
               lambda body: body == {"hello": "world"}),
        Target("users_me", f"fithub GET {API}/users/me", f"{fithub.base_url}{API}/users/me",
               fithub_pid, user.fresh_headers,
               lambda body: str(body.get("display_name")).startswith("Bench Runner")),
        Target("audit_events", f"fithub GET {API}/audit-events?limit={page}",
               f"{fithub.base_url}{API}/audit-events?limit={page}", fithub_pid,
               user.fresh_headers, full_page),
        Target("workouts", f"fithub GET {API}/workouts?limit={page}",
               f"{fithub.base_url}{API}/workouts?limit={page}", fithub_pid,
               user.fresh_headers, lambda body: len(body.get("items", [])) == page),
    ]


def run(args: argparse.Namespace) -> Report:
    """Start both servers, seed fithub, measure every cell, and stop everything again."""
    log_dir = Path(tempfile.mkdtemp(prefix="fithub-bench-"))
    try:
        with ExitStack() as stack:
            log("starting the hello-world server and fithub ...")
            hello = stack.enter_context(running_hello(log_dir))
            fithub = stack.enter_context(running_fithub(args.fithub_log_level))
            log(f"seeding a user with {args.audit_events} profile updates ...")
            user = FithubUser(fithub.base_url, args.audit_events)
            stack.callback(user.close)
            targets = build_targets(hello, fithub, user, args.audit_events)
            for target in targets:
                preflight(target)
            # Concurrency outermost: the cells compared by "% hello" run back to back, so a
            # change in the machine's load during the run skews the ratio as little as possible.
            results: list[CellResult] = []
            for concurrency in args.concurrency:
                for target in targets:
                    log(f"  {target.label} with {concurrency} client(s) ...")
                    results.append(measure(target, concurrency, args))
            server_errors = error_lines(fithub)
            order = [target.key for target in targets]
            results.sort(key=lambda r: (order.index(r.target), args.concurrency.index(r.concurrency)))
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    relate_to_hello(results)
    return Report(
        client=args.client, duration_s=args.duration, warmup_s=args.warmup,
        cpu_count=os.cpu_count(),
        database="postgresql" if os.environ.get("FITHUB_DATABASE_URL") else "sqlite",
        redis=bool(os.environ.get("FITHUB_REDIS_URL")), fithub_log_level=args.fithub_log_level,
        results=results, server_error_log=server_errors,
    )


# --------------------------------------------------------------------------------------------
# Command line


def concurrency_list(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a comma-separated list of integers") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("at least one level, each 1 or more")
    return list(dict.fromkeys(levels))  # in the given order, without repeats


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http",
        description="Requests/s and latency of fithub against a bare Quart hello-world.",
    )
    parser.add_argument("--duration", type=float, default=5.0,
                        help="measured seconds per cell (wrk rounds to whole seconds; default 5)")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="unmeasured seconds before each cell (default 1)")
    parser.add_argument("--concurrency", type=concurrency_list, default=[1, 16, 64],
                        help="concurrent closed-loop clients, comma-separated (default 1,16,64)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk, the aiohttp client, or wrk when installed")
    parser.add_argument("--wrk-threads", type=int, default=1,
                        help="wrk threads (default 1: one is plenty below ~50k req/s)")
    parser.add_argument("--client-processes", type=int, default=1,
                        help="aiohttp client processes sharing the clients (default 1)")
    parser.add_argument("--audit-events", type=int, default=40,
                        help="profile updates made before measuring (default 40)")
    parser.add_argument("--fithub-log-level", default="INFO",
                        help="FITHUB_LOG_LEVEL of the server (default INFO, fithub's default, "
                             "which writes a JSON access-log line per request; WARNING drops it)")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout (the table goes to stderr)")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1 and --warmup not negative")
    if args.wrk_threads < 1 or args.client_processes < 1 or args.audit_events < 0:
        parser.error("--wrk-threads and --client-processes must be 1 or more, "
                     "--audit-events not negative")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), use --client python")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    fallback = args.client == "python" and not shutil.which("wrk")
    log(f"load generator: {args.client}" + (" (wrk not found)" if fallback else ""))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally blocks run
    try:
        report = run(args)
    except Exception as exc:  # a setup or load-generator failure: no numbers to report
        if not isinstance(exc, RuntimeError):  # RuntimeErrors here carry their own explanation
            traceback.print_exc()
        log(f"benchmark failed: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted; everything started has been stopped")
        return 130
    table = render_table(report)
    if args.json:
        log(table)
        print(report.to_json())
    else:
        print(table)
    if report.server_error_log:
        log("fithub logged errors:\n" + "\n".join(report.server_error_log))
    if report.errors:
        log(f"{report.errors} request(s) did not get a 2xx answer")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
