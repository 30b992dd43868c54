"""HTTP throughput of jackfield against its anchors, aiohttp and a raw asyncio ceiling.

Run by hand (never in CI): ``python bench/run.py --duration 10 --scenario all``.
Each contender in ``bench/apps/`` runs as its own process pinned to CPU 0 and is
driven by ``wrk`` pinned to CPU 1, one contender at a time, so they never share
a core. Only ratios measured in the same run mean anything (see bench/README.md);
the targets checked at the end are ratios for that reason.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

APPS = Path(__file__).resolve().parent / "apps"
READY_TIMEOUT = 20.0  # seconds for a server to accept; jackfield's plugin discovery included
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Scenario:
    """One request shape: the path wrk hits, what each server needs, what a right answer is."""

    name: str
    path: str
    app_args: tuple[str, ...]
    raw_args: tuple[str, ...] | None  # None: no raw ceiling (it cannot route)
    check: Callable[[bytes], bool]
    script: Path | None = None  # a wrk Lua script shaping each request
    floor: bool = False  # the floor server (bench/apps/floor.py) answers it too


def _is_user_json(body: bytes) -> bool:
    try:
        return bool(json.loads(body) == {"name": "alice", "id": 1})
    except ValueError:
        return False


SCENARIOS: dict[str, Scenario] = {
    "hello": Scenario(
        "hello", "/", ("--scenario", "hello"), (), lambda b: b == b"Hello, world", floor=True
    ),
    # GET / again, but no head repeats the previous one's header fields.
    "hello_changing": Scenario(
        "hello_changing",
        "/",
        ("--scenario", "hello"),
        (),
        lambda b: b == b"Hello, world",
        Path(__file__).resolve().parent / "changing_headers.lua",
        floor=True,
    ),
    "json_user": Scenario(
        "json_user", "/users/alice", ("--scenario", "json_user"), ("--json",), _is_user_json
    ),
    **{
        f"routes{n}": Scenario(
            f"routes{n}",
            "/target/bob",
            ("--scenario", "routes", "--routes", str(n)),
            None,
            lambda b: b == b"bob",
        )
        for n in (1, 100, 1000)
    },
}
SCENARIO_GROUPS = {
    "all": list(SCENARIOS),
    "routes": ["routes1", "routes100", "routes1000"],
    **{name: [name] for name in SCENARIOS},
}
# jackfield-pure: the same install with JACKFIELD_NO_EXTENSIONS=1, so a compiled
# install's two builds are measured in one run (the same as jackfield when the
# install is pure: the conditions line says which it is).
# floor: the least a pure-Python framework must do per request (bench/apps/floor.py),
# a reference for what Python can reach, measured where it can answer (GET /).
CONTENDERS = ("jackfield", "jackfield-pure", "aiohttp", "floor", "raw")
OURS = ("jackfield", "jackfield-pure")
RATIOED = (*OURS, "floor")  # the rows that show their ratios to aiohttp and raw
SCRIPTS = {
    "jackfield": APPS / "jackfield_app.py",
    "jackfield-pure": APPS / "jackfield_app.py",
    "aiohttp": APPS / "aiohttp_app.py",
    "floor": APPS / "floor.py",
    "raw": APPS / "raw_ceiling.py",
}


@dataclass(frozen=True)
class Settings:
    """What every measurement shares."""

    duration: int
    warmup: int
    connections: int
    wrk: str
    server_pin: tuple[str, ...]
    client_pin: tuple[str, ...]


@dataclass
class Result:
    """One contender's measurement; ``error`` set means it could not be measured."""

    scenario: str
    contender: str
    loop: str
    rps: float = 0.0
    avg_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_us: float | None = None  # server CPU time per request; None where /proc is missing
    busy: float | None = None  # server CPU time / wall time while measured (1.0 = saturated)
    note: str = ""
    error: str | None = None


def pinning() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Return the taskset prefixes for server and client, and a line saying what was done."""
    taskset = shutil.which("taskset")
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if taskset is None:
        return (), (), "not pinned (taskset not found): numbers are noisier"
    if not {0, 1} <= cpus:
        return (), (), f"not pinned (CPUs 0 and 1 not both available: {sorted(cpus)})"
    return (taskset, "-c", "0"), (taskset, "-c", "1"), "server on CPU 0, wrk on CPU 1"


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def last_lines(stream: IO[bytes], count: int = 2) -> str:
    """Return the last non-empty lines written to ``stream``: for a traceback, the error."""
    stream.seek(0)
    lines = [line.strip() for line in stream.read().decode(errors="replace").splitlines()]
    stream.seek(0, os.SEEK_END)
    return " / ".join([line for line in lines if line][-count:]) or "(no output)"


class ServerError(Exception):
    """A contender could not be started or answered wrongly; the message says why."""


@contextlib.contextmanager
def server(
    argv: Sequence[str], port: int, env: dict[str, str] | None = None
) -> Iterator[tuple[int, IO[bytes]]]:
    """Run ``argv`` until the block ends; yield its pid and stderr once ``port`` accepts."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise ServerError(f"exited with code {proc.returncode}: {last_lines(stderr)}")
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                if time.monotonic() > deadline:
                    raise ServerError(f"port {port} not accepting after {READY_TIMEOUT:.0f}s")
                time.sleep(0.05)
            try:
                yield proc.pid, stderr
            except ServerError as exc:
                if stderr.tell():  # the server's own complaint is the useful part
                    raise ServerError(f"{exc}; server said: {last_lines(stderr)}") from exc
                raise
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU seconds ``pid`` has used, or None without Linux's /proc.

    CPU time per request is the cross-check for a noisy machine: a neighbour stealing the
    server's core lowers its req/s but not the CPU time each request costs.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_answer(port: int, scenario: Scenario) -> None:
    """Raise ServerError unless the server answers the scenario's request correctly."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", scenario.path)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise ServerError(f"GET {scenario.path} failed: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != 200 or not scenario.check(body):
        raise ServerError(f"GET {scenario.path} gave {response.status} {body[:80]!r}")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_LATENCY = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)\b", re.M)
_P99 = re.compile(r"^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\b", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:\s+(.*)")


def parse_wrk(output: str) -> tuple[float, float, float, str]:
    """Return (req/s, average ms, p99 ms, note) from ``wrk --latency`` output.

    Raises ServerError when the output lacks a figure or some answers were not 2xx/3xx.
    """
    rps, avg, p99 = _RPS.search(output), _LATENCY.search(output), _P99.search(output)
    if rps is None or avg is None or p99 is None:
        raise ServerError(f"could not read wrk's output:\n{output}")
    bad = _NON_2XX.search(output)
    if bad is not None:
        raise ServerError(f"{bad.group(1)} answers were not 2xx/3xx")
    errors = _SOCKET_ERRORS.search(output)
    note = f"socket errors: {errors.group(1)}" if errors else ""
    return (
        float(rps.group(1)),
        float(avg.group(1)) * _UNITS[avg.group(2)],
        float(p99.group(1)) * _UNITS[p99.group(2)],
        note,
    )


def run_wrk(settings: Settings, url: str, duration: int, script: Path | None = None) -> str:
    """Return wrk's output after driving ``url`` for ``duration`` seconds."""
    argv = [
        *settings.client_pin,
        settings.wrk,
        "-t1",
        f"-c{settings.connections}",
        f"-d{duration}s",
        "--latency",
        *(("-s", str(script)) if script is not None else ()),
        url,
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30)
    except subprocess.TimeoutExpired as exc:
        raise ServerError(f"wrk did not finish within {duration + 30}s") from exc
    if done.returncode != 0:
        raise ServerError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def contender_args(scenario: Scenario, contender: str) -> tuple[str, ...]:
    """The options ``contender``'s script takes for ``scenario`` (after port and loop)."""
    if contender == "raw":
        return scenario.raw_args or ()
    if contender == "floor":
        return ()  # it answers GET / only, and has no other options
    return scenario.app_args


def measure(settings: Settings, scenario: Scenario, contender: str, loop: str) -> Result:
    """Start one contender, check it, warm it up, measure it, stop it."""
    port = free_port()
    args = contender_args(scenario, contender)
    argv = [
        *settings.server_pin,
        sys.executable,
        str(SCRIPTS[contender]),
        "--port",
        str(port),
        "--loop",
        loop,
        *args,
    ]
    url = f"http://127.0.0.1:{port}{scenario.path}"
    result = Result(scenario.name, contender, loop)
    env = {**os.environ, "JACKFIELD_NO_EXTENSIONS": "1"} if contender == "jackfield-pure" else None
    try:
        with server(argv, port, env) as (pid, stderr):
            check_answer(port, scenario)
            if settings.warmup:
                run_wrk(settings, url, settings.warmup, scenario.script)
            cpu_before, started = cpu_seconds(pid), time.monotonic()
            output = run_wrk(settings, url, settings.duration, scenario.script)
            cpu_after, elapsed = cpu_seconds(pid), time.monotonic() - started
            result.rps, result.avg_ms, result.p99_ms, result.note = parse_wrk(output)
            served = _REQUESTS.search(output)
            if cpu_before is not None and cpu_after is not None and served:
                result.cpu_us = (cpu_after - cpu_before) / int(served.group(1)) * 1e6
                result.busy = (cpu_after - cpu_before) / elapsed
            check_answer(port, scenario)  # still alive and still right after the load
            if stderr.tell():  # a framework that logs under load is paying for it
                said = f"server stderr: {last_lines(stderr)}"
                result.note = "; ".join(filter(None, [result.note, said]))
    except ServerError as exc:
        result.error = str(exc)
    return result


# (scenario, ratio, minimum): "x/y" is req/s of x over y in the same scenario and loop.
# jackfield is the install as it is (compiled, for these minimums: issue 17);
# jackfield-pure the same install without its compiled modules.
TARGETS = (
    ("hello", "jackfield/aiohttp", 3.0),
    ("hello", "jackfield/raw", 0.7),
    ("hello_changing", "jackfield/aiohttp", 3.0),
    ("hello_changing", "jackfield/raw", 0.7),
    ("json_user", "jackfield/aiohttp", 2.5),
    ("hello", "jackfield-pure/aiohttp", 1.8),
    ("hello_changing", "jackfield-pure/aiohttp", 1.8),
    ("json_user", "jackfield-pure/aiohttp", 1.6),
    ("routes", "jackfield 1000/1 routes", 0.95),
)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    """Return ``rows`` as a Markdown table or as aligned plain text (text left, numbers right)."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    numeric = [
        all(re.fullmatch(r"[\d.,%-]*|unavailable", r[i]) for r in rows) for i in range(len(headers))
    ]

    def line(row: Sequence[str]) -> str:
        aligned = zip(row, widths, numeric, strict=True)
        cells = [c.rjust(w) if n else c.ljust(w) for c, w, n in aligned]
        return "  ".join(cells).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def ratio(top: Result | None, bottom: Result | None) -> float | None:
    """Return top/bottom req/s, or None when either side has no measurement."""
    if top is None or bottom is None or top.error or bottom.error or not bottom.rps:
        return None
    return top.rps / bottom.rps


def cpu_ratio(top: Result | None, bottom: Result | None) -> float | None:
    """Return bottom/top CPU time per request: the req/s ratio if both were CPU-bound."""
    if top is None or bottom is None or top.error or bottom.error:
        return None
    if top.cpu_us is None or bottom.cpu_us is None or not top.cpu_us:
        return None
    return bottom.cpu_us / top.cpu_us


def two_places(value: float | None) -> str:
    """Return ``value`` with two decimals, or "-" when there is none."""
    return "-" if value is None else f"{value:.2f}"


def render(results: Sequence[Result], loops: Sequence[str], markdown: bool) -> str:
    """Return the results table, the routes table and the targets with PASS/FAIL."""
    found = {(r.scenario, r.contender, r.loop): r for r in results}
    scenarios = [s for s in SCENARIOS if any(r.scenario == s for r in results)]
    rows = []
    for scenario in scenarios:
        for loop in loops:
            for contender in CONTENDERS:
                r = found.get((scenario, contender, loop))
                if r is None:
                    continue
                x_aio = x_raw = ""
                if contender in RATIOED:
                    for_aio = ratio(r, found.get((scenario, "aiohttp", loop)))
                    for_raw = ratio(r, found.get((scenario, "raw", loop)))
                    x_aio, x_raw = two_places(for_aio), two_places(for_raw)
                if r.error:
                    figures = ["unavailable", "-", "-", "-", "-"]
                else:
                    cpu = "-" if r.cpu_us is None else f"{r.cpu_us:.1f}"
                    busy = "-" if r.busy is None else f"{r.busy:.0%}"
                    figures = [f"{r.rps:,.0f}", f"{r.avg_ms:.2f}", f"{r.p99_ms:.2f}", cpu, busy]
                note = (r.error or r.note).replace("|", "/")
                rows.append([scenario, contender, loop, *figures, x_aio, x_raw, note[:200]])
    headers = ["scenario", "contender", "loop", "req/s", "avg ms", "p99 ms", "cpu us/req", "busy"]
    out = [table([*headers, "x aiohttp", "x raw", "note"], rows, markdown)]

    route_rows: list[list[str]] = []
    route_ratio: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    for contender in ("jackfield", "aiohttp"):
        for loop in loops:
            by_n = [found.get((f"routes{n}", contender, loop)) for n in (1, 100, 1000)]
            if all(r is None for r in by_n):
                continue
            cells = ["-" if r is None or r.error else f"{r.rps:,.0f}" for r in by_n]
            by_rps, by_cpu = ratio(by_n[2], by_n[0]), cpu_ratio(by_n[2], by_n[0])
            route_ratio[contender, loop] = by_rps, by_cpu
            route_rows.append([contender, loop, *cells, two_places(by_rps), two_places(by_cpu)])
    if route_rows:
        heads = ["contender", "loop", "1 route", "100 routes", "1000 routes", "1000/1", "by cpu"]
        title = "Throughput by route count (req/s)"
        out += ["", f"**{title}**\n" if markdown else title, table(heads, route_rows, markdown)]

    target_rows = []
    for scenario, what, minimum in TARGETS:
        for loop in loops:
            if scenario == "routes":
                if not route_rows:
                    continue
                value, by_cpu = route_ratio.get(("jackfield", loop), (None, None))
            elif scenario in scenarios:
                mine, other = what.split("/")
                ours = found.get((scenario, mine, loop))
                theirs = found.get((scenario, other, loop))
                value, by_cpu = ratio(ours, theirs), cpu_ratio(ours, theirs)
            else:
                continue
            # Judged as shown: a ratio printed as 0.50 passes a 0.50 target.
            verdict = "n/a" if value is None else ("PASS" if round(value, 2) >= minimum else "FAIL")
            shown = [two_places(value), two_places(by_cpu), f">= {minimum:.2f}", verdict]
            target_rows.append([f"{scenario}: {what}", loop, *shown])
    if target_rows:
        heads = ["target", "loop", "ratio", "by cpu", "wanted", "verdict"]
        title = "Targets (ratios from this run)"
        out += ["", f"**{title}**\n" if markdown else title, table(heads, target_rows, markdown)]
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before measuring")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--scenario", choices=list(SCENARIO_GROUPS), default="all")
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default="asyncio")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each contender N times, keep the best"
    )
    parser.add_argument(
        "--contender", action="append", choices=CONTENDERS, help="only these (repeatable)"
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        parser.error(f"--warmup must be 0 or more, got {args.warmup}")
    return args


def conditions(args: argparse.Namespace, pin_note: str) -> str:
    """Return one line saying how this run was measured, to keep next to its numbers."""
    versions = []
    for dist in ("jackfield", "aiohttp", "uvloop"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} not installed")
    try:
        from jackfield._extensions import COMPILED_MODULES, compiled_modules

        versions.append(
            f"jackfield compiled: {len(compiled_modules())} of {len(COMPILED_MODULES)} modules"
        )
    except ImportError:
        pass
    best_of = f", best of {args.repeat}" if args.repeat > 1 else ""
    return (
        f"wrk -t1 -c{args.connections} -d{args.duration}s after {args.warmup}s warm-up{best_of}; "
        f"{pin_note}; Python {sys.version.split()[0]}, {', '.join(versions)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios, print the tables; return 0, or 2 if wrk is missing."""
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the running server and wrk are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk not found on PATH; install it (apt-get install wrk)", file=sys.stderr)
        return 2
    server_pin, client_pin, pin_note = pinning()
    settings = Settings(args.duration, args.warmup, args.connections, wrk, server_pin, client_pin)
    scenarios = [SCENARIOS[name] for name in SCENARIO_GROUPS[args.scenario]]
    loops = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    wanted = args.contender or list(CONTENDERS)
    plan = [
        (scenario, loop, contender)
        for scenario in scenarios
        for loop in loops
        for contender in CONTENDERS
        if contender in wanted
        and (contender != "raw" or scenario.raw_args is not None)
        and (contender != "floor" or scenario.floor)
    ]
    seconds = len(plan) * args.repeat * (args.duration + args.warmup + 1)
    print(
        f"# {len(plan)} runs x{args.repeat}, about {seconds}s; {pin_note}; "
        f"wrk -t1 -c{args.connections} -d{args.duration}s; Python {sys.version.split()[0]}",
        file=sys.stderr,
    )
    best: dict[tuple[str, str, str], Result] = {}
    seen: dict[tuple[str, str, str], list[float]] = {}
    for round_no in range(args.repeat):
        for scenario, loop, contender in plan:
            result = measure(settings, scenario, contender, loop)
            shown = f"{result.rps:,.0f} req/s" if result.error is None else result.error
            label = f"[{round_no + 1}] {scenario.name} {contender} {loop}"
            print(f"  {label}: {shown}", file=sys.stderr)
            key = (scenario.name, contender, loop)
            kept = best.get(key)
            if kept is None or (result.error is None and (kept.error or result.rps > kept.rps)):
                best[key] = result
            if result.error is None:
                seen.setdefault(key, []).append(result.rps)
    for key, rates in seen.items():
        if len(rates) > 1:  # the spread tells the reader how noisy the machine was
            spread = f"best of {len(rates)}, worst {min(rates):,.0f}"
            best[key].note = "; ".join(filter(None, [spread, best[key].note]))
    print(conditions(args, pin_note))
    print()
    print(render(list(best.values()), loops, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
