"""Hostile clients: jackfield against aiohttp in the same run, from raw sockets on 127.0.0.1.

Run by hand (never in CI):
``flock /tmp/jackfield-bench.lock .venv/bin/python bench/hostile.py [--scenario NAME] [--real]``.

Each server (``apps/hostile_app.py``) runs as its own process pinned to CPU 0;
this script attacks it from CPU 1 with asyncio sockets, one server at a time,
and reads the server's memory (``VmRSS``, and the peak ``VmHWM`` after a reset
through ``/proc/PID/clear_refs``) and its open sockets (``/proc/PID/fd``).
Every figure is a growth over the server's own idle state just before the
attack, after one warm-up request.

Scenarios (``--scenario``, all by default):

* ``slow_body``: N connections (500) send a POST head with Content-Length
  1,000,000, then one body byte per second each, for ``--hold`` seconds.
* ``stalled_chunked``: the same with a chunked body that sends one chunk and
  stalls.
* ``never_reading``: 40 clients (SO_RCVBUF 4 KiB) ask for a 50 MiB
  ``Response(body=...)`` and never read; peak memory growth after 3 s, a probe
  client's ``GET /`` meanwhile, and when the server drops them.
* ``idle_keepalive``: 2,000 connections that made one request and stay idle.
* ``tiny_pieces``: 50 connections send a chunked body in 2-byte chunks, as
  fast as the server reads, to a handler that sleeps 5 s before reading;
  first, the server CPU time one such body of 512 KiB costs to read.

By default the run is quick (about 2 minutes): jackfield gets
``--body-timeout 10`` and ``--send-timeout 5`` and the windows are short.
``--real`` keeps jackfield's defaults (60 s and 60 s) and waits long enough
to see them act (about 8 minutes). aiohttp has neither setting. The table
says which was used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ServerError, cpu_seconds, free_port, pinning, server, table  # bench/ is on sys.path

APP = Path(__file__).resolve().parent / "apps" / "hostile_app.py"
CONTENDERS = ("jackfield", "aiohttp")
SCENARIOS = ("slow_body", "stalled_chunked", "never_reading", "idle_keepalive", "tiny_pieces")
KIB, MIB = 1024, 1024 * 1024
OPEN_AT_ONCE = 100  # connections being opened concurrently (the listen backlog is bigger)


@dataclass
class Figure:
    """One line of the table: a measured value for each contender, and how to show it."""

    label: str
    unit: str  # "", "s", "ms", "KiB", "MiB"
    values: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # why a value is missing


@dataclass
class Report:
    """A scenario's figures, in table order."""

    scenario: str
    setting: str  # what the jackfield server was given, for the table
    figures: list[Figure] = field(default_factory=list)

    def put(
        self, contender: str, label: str, unit: str, value: float | None, note: str = ""
    ) -> None:
        for figure in self.figures:
            if figure.label == label:
                break
        else:
            figure = Figure(label, unit)
            self.figures.append(figure)
        figure.values[contender] = value
        if note:
            figure.notes[contender] = note


# -- the server's side, read from /proc


def memory(pid: int) -> dict[str, int]:
    """Return ``VmRSS`` and ``VmHWM`` of ``pid`` in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * KIB
    return found


def reset_peak(pid: int) -> None:
    """Make ``VmHWM`` start again from the current RSS (Linux: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def sockets(pid: int) -> int:
    """Return how many sockets ``pid`` holds open (listeners and self-pipes included)."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):  # closed while we looked
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


class Watch:
    """Samples the server's RSS and held connections every ``period`` seconds."""

    def __init__(self, pid: int, period: float = 0.5) -> None:
        self.pid = pid
        self.period = period
        reset_peak(pid)
        self.base_rss = memory(pid)["VmRSS"]
        self.base_sockets = sockets(pid)
        self.samples: list[tuple[float, int, int]] = []  # (time, rss growth, connections)
        self._task: asyncio.Task[None] | None = None

    def held(self) -> int:
        """Connections the server holds now (its sockets beyond the idle ones)."""
        return sockets(self.pid) - self.base_sockets

    def peak_growth(self) -> int:
        """Peak RSS since the watch started, over the RSS then."""
        return max(0, memory(self.pid)["VmHWM"] - self.base_rss)

    def sample(self) -> tuple[float, int, int]:
        taken = (time.monotonic(), memory(self.pid)["VmRSS"] - self.base_rss, self.held())
        self.samples.append(taken)
        return taken

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.period)

    def __enter__(self) -> Watch:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


# -- the client's side


async def open_many(
    port: int, count: int, rcvbuf: int | None = None
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Open ``count`` connections to the server, ``OPEN_AT_ONCE`` at a time."""
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf is not None:  # before connecting, so the window is small from the start
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
            return await asyncio.open_connection(sock=sock)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one response with a Content-Length body; return its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def probe(port: int, timeout: float = 5.0) -> float | None:
    """Return the seconds a fresh connection's ``GET /`` took, or None if not served in time."""
    started = time.monotonic()

    async def get() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return await read_response(reader)
        finally:
            writer.transport.abort()

    try:
        status, body = await asyncio.wait_for(get(), timeout)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        return None
    return time.monotonic() - started if status == 200 and body == b"ok" else None


async def probes(port: int, until: float, timeout: float) -> list[float | None]:
    """Probe ``GET /`` one after another until loop time ``until``; each one's seconds or None."""
    loop = asyncio.get_running_loop()
    took: list[float | None] = []
    while loop.time() < until:
        took.append(await probe(port, timeout))
        await asyncio.sleep(0.1)
    return took


def drop_times(
    samples: Sequence[tuple[float, int, int]], count: int, since: float
) -> tuple[float | None, float | None]:
    """When the server's connections first fell below ``count``, and when they reached 0.

    Counted from ``since``, and only after all ``count`` were seen held (the
    server may still have been accepting them before).
    """
    reached = False
    first = None
    for taken, _, held in samples:
        if held >= count:
            reached = True
        elif reached:
            if first is None:
                first = taken - since
            if held <= 0:
                return first, taken - since
    return first, None


def close_all(writers: Sequence[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.transport.abort()


# -- the scenarios: each takes (port, pid, contender, options, report)


async def slow_body(port: int, pid: int, who: str, opts: argparse.Namespace, rep: Report) -> None:
    """Body bytes at one a second (or one chunk, then nothing): who closes them, and when."""
    chunked = rep.scenario == "stalled_chunked"
    if chunked:
        head = b"POST /upload HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n"
        first = b"10\r\n" + b"x" * 16 + b"\r\n"
    else:
        head = b"POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Length: 1000000\r\n\r\n"
        first = b"x"
    loop = asyncio.get_running_loop()
    with Watch(pid) as watch:
        conns = await open_many(port, opts.connections)
        started = loop.time()
        closed: list[float] = []
        statuses: Counter[str] = Counter()

        async def wait_close(reader: asyncio.StreamReader) -> None:
            outcome = "closed, no answer"
            try:
                first_line = await reader.readline()
                if first_line:
                    outcome = first_line.split(b" ")[1].decode()
                while await reader.read(65536):
                    pass
            except OSError:  # a reset after the answer: our trickle hit the closed socket
                if outcome == "closed, no answer":
                    outcome = "reset, no answer"
            statuses[outcome] += 1
            closed.append(loop.time() - started)

        waiters = [loop.create_task(wait_close(reader)) for reader, _ in conns]
        for _, writer in conns:
            writer.write(head + first)
        deadline = started + opts.hold
        while loop.time() < deadline:
            await asyncio.sleep(min(1.0, deadline - loop.time()))
            if not chunked:
                for (_, writer), waiter in zip(conns, waiters, strict=True):
                    if not waiter.done() and not writer.transport.is_closing():
                        writer.write(b"x")
        held = watch.held()
        held_rss = [rss for t, rss, _ in watch.samples if not closed or t < started + min(closed)]
    close_all([writer for _, writer in conns])
    for waiter in waiters:
        waiter.cancel()
    n = opts.connections
    rep.put(who, f"connections open after {opts.hold:.0f} s (of {n})", "", held)
    rep.put(who, "first closed by the server after", "s", min(closed) if closed else None, "never")
    rep.put(who, "last closed by the server after", "s", max(closed) if closed else None, "never")
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
    rep.put(who, "answers before the close", "", None, answers or "none")
    per_conn = max(held_rss, default=0) / n / KIB if held_rss else None
    rep.put(who, "RSS growth per connection while all are held", "KiB", per_conn)


async def never_reading(
    port: int, pid: int, who: str, opts: argparse.Namespace, rep: Report
) -> None:
    """Clients that ask for a big answer and never read it: memory, others served, drop time."""
    loop = asyncio.get_running_loop()
    with Watch(pid, period=0.25) as watch:
        conns = await open_many(port, opts.readers, rcvbuf=4 * KIB)
        started = loop.time()
        for _, writer in conns:
            writer.write(b"GET /big HTTP/1.1\r\nHost: bench\r\n\r\n")
        await asyncio.sleep(0.5)
        end = started + opts.stall_window
        prober = loop.create_task(probes(port, end, opts.probe_timeout))
        await asyncio.sleep(end - loop.time())
        peak = watch.peak_growth()
        rep.put(who, f"peak RSS growth after {opts.stall_window:g} s", "MiB", peak / MIB)
        latencies = await prober  # the last one may still be waiting for its answer
        served = [t * 1e3 for t in latencies if t is not None]
        answered = f"{len(served)} of {len(latencies)}"
        rep.put(
            who,
            f"probe GET / meanwhile: answered within {opts.probe_timeout:g} s",
            "",
            None,
            answered,
        )
        rep.put(
            who,
            "probe GET / meanwhile: median",
            "ms",
            statistics.median(served) if served else None,
            "none answered",
        )
        rep.put(
            who,
            "probe GET / meanwhile: slowest",
            "ms",
            max(served) if served else None,
            "none answered",
        )
        while loop.time() < started + opts.drop_window:
            await asyncio.sleep(0.25)
            if drop_times(watch.samples, opts.readers, started)[1] is not None:
                break  # all dropped
        held = watch.held()
        first, last = drop_times(watch.samples, opts.readers, started)
    close_all([writer for _, writer in conns])
    rep.put(who, "first dropped by the server after", "s", first, "never")
    rep.put(who, "last dropped by the server after", "s", last, "never")
    rep.put(who, f"still held after {opts.drop_window:.0f} s (of {opts.readers})", "", held)


async def idle_keepalive(
    port: int, pid: int, who: str, opts: argparse.Namespace, rep: Report
) -> None:
    """Connections that made one request and stay open, idle: what each one costs."""
    with Watch(pid) as watch:
        conns = await open_many(port, opts.idle)

        async def one_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
            writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
            return await read_response(reader) == (200, b"ok")

        answered = await asyncio.gather(*(one_request(r, w) for r, w in conns))
        await asyncio.sleep(2.0)  # let the server settle: freed buffers, finished tasks
        _, rss, held = watch.sample()
    close_all([writer for _, writer in conns])
    rep.put(who, f"connections held (of {opts.idle})", "", held, f"{sum(answered)} answered")
    rep.put(who, "RSS growth per idle connection", "KiB", rss / opts.idle / KIB)


async def tiny_pieces(port: int, pid: int, who: str, opts: argparse.Namespace, rep: Report) -> None:
    """A body in 2-byte chunks, sent as fast as the server takes it, to a sleeping handler."""
    block = b"2\r\nab\r\n" * 9362  # about 64 KiB on the wire, 18 KiB of payload
    head = b"POST /sleepy HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n"
    loop = asyncio.get_running_loop()
    cpu = await tiny_pieces_cpu(port, pid)
    rep.put(who, "server CPU per MiB of body in 2-byte chunks", "ms", cpu and cpu * 1e3)
    with Watch(pid) as watch:
        conns = await open_many(port, opts.tiny_connections)
        started = loop.time()

        async def feed(writer: asyncio.StreamWriter) -> None:
            writer.write(head)
            with contextlib.suppress(OSError):
                while True:  # until the window ends: drain() waits while the server does not read
                    writer.write(block)
                    await writer.drain()

        feeders = [loop.create_task(feed(writer)) for _, writer in conns]
        # Measured just before the handler wakes up and starts reading.
        await asyncio.sleep(max(0.5, opts.sleep - 0.5) - (loop.time() - started))
        peak = watch.peak_growth()
    for feeder in feeders:
        feeder.cancel()
    close_all([writer for _, writer in conns])
    n = opts.tiny_connections
    label = f"peak RSS growth per connection at {opts.sleep - 0.5:.1f} s"
    rep.put(who, label, "KiB", peak / n / KIB)


async def tiny_pieces_cpu(port: int, pid: int) -> float | None:
    """Server CPU seconds per MiB of a body in 2-byte chunks, read at once by the handler.

    What parsing such a body costs, whoever sends it; None without /proc or if
    the answer was wrong. 512 KiB, under both frameworks' 1 MiB body limit.
    """
    pieces = 256 * 1024
    request = (
        b"POST /upload HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"2\r\nab\r\n" * pieces
        + b"0\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    before = cpu_seconds(pid)
    try:
        writer.write(request)
        answer = await asyncio.wait_for(read_response(reader), 120)
    finally:
        writer.transport.abort()
    after = cpu_seconds(pid)
    if before is None or after is None or answer != (200, str(2 * pieces).encode()):
        return None
    return (after - before) / (2 * pieces / MIB)


ATTACKS: dict[str, Callable[[int, int, str, argparse.Namespace, Report], Awaitable[None]]] = {
    "slow_body": slow_body,
    "stalled_chunked": slow_body,
    "never_reading": never_reading,
    "idle_keepalive": idle_keepalive,
    "tiny_pieces": tiny_pieces,
}


# -- running and reporting


def server_argv(who: str, opts: argparse.Namespace, pin: Sequence[str], port: int) -> list[str]:
    argv = [*pin, sys.executable, str(APP), who, "--port", str(port)]
    argv += ["--big-mib", str(opts.big_mib), "--sleep", str(opts.sleep)]
    if who == "jackfield":
        if opts.body_timeout is not None:
            argv += ["--body-timeout", str(opts.body_timeout)]
        if opts.send_timeout is not None:
            argv += ["--send-timeout", str(opts.send_timeout)]
    return argv


def jackfield_setting(scenario: str, opts: argparse.Namespace) -> str:
    """What jackfield was given that matters to ``scenario``, as the table shows it."""
    if scenario in ("slow_body", "stalled_chunked"):
        if opts.body_timeout is None:
            return "body_timeout=60 s (default), body_min_rate=500 B/s"
        return f"body_timeout={opts.body_timeout:g} s, body_min_rate=500 B/s"
    if scenario == "never_reading":
        if opts.send_timeout is None:
            return "send_timeout=60 s (default)"
        return f"send_timeout={opts.send_timeout:g} s"
    return "defaults"


def attack(
    scenario: str, who: str, opts: argparse.Namespace, pin: Sequence[str], rep: Report
) -> None:
    """Start ``who``, warm it up, run the scenario against it, stop it."""
    port = free_port()
    with server(server_argv(who, opts, pin, port), port) as (pid, _stderr):

        async def go() -> None:
            if await probe(port) is None:
                raise ServerError("GET / was not answered 200 ok")
            # The server's idle state, the warm-up connection gone, is the baseline.
            count, settled = sockets(pid), time.monotonic() + 3.0
            while time.monotonic() < settled:
                await asyncio.sleep(0.2)
                count, before = sockets(pid), count
                if count == before:
                    break
            await ATTACKS[scenario](port, pid, who, opts, rep)

        asyncio.run(go())


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("", "ms"):
        shown = f"{value:,.0f}" if unit == "" or value >= 10 else f"{value:.1f}"
    else:
        shown = f"{value:,.1f}"
    return f"{shown} {unit}".strip()


def render(reports: Sequence[Report], markdown: bool) -> str:
    rows = []
    for rep in reports:
        for number, figure in enumerate(rep.figures):
            cells = []
            for who in CONTENDERS:
                value, note = figure.values.get(who), figure.notes.get(who, "")
                cells.append(note if value is None and note else fmt(value, figure.unit))
            ours, theirs = figure.values.get("jackfield"), figure.values.get("aiohttp")
            ratio = f"{ours / theirs:.2f}" if ours is not None and theirs else "-"
            name = rep.scenario if number == 0 else ""
            setting = rep.setting if number == 0 else ""
            rows.append([name, setting, figure.label, *cells, ratio])
    headers = ["scenario", "jackfield given", "figure", "jackfield", "aiohttp", "jf/aiohttp"]
    return table(headers, rows, markdown)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--contender", action="append", choices=CONTENDERS, help="only these")
    parser.add_argument(
        "--real", action="store_true", help="jackfield's default deadlines, windows to match"
    )
    parser.add_argument("--body-timeout", type=float, help="jackfield's (quick: 10)")
    parser.add_argument("--send-timeout", type=float, help="jackfield's (quick: 5)")
    parser.add_argument("--hold", type=float, help="slow bodies held (s; quick: 15, real: 70)")
    parser.add_argument("--connections", type=int, default=500, help="slow-body connections")
    parser.add_argument("--readers", type=int, default=40, help="never-reading clients")
    parser.add_argument("--big-mib", type=int, default=50, help="their response (MiB)")
    parser.add_argument("--stall-window", type=float, default=3.0, help="peak measured after (s)")
    parser.add_argument("--probe-timeout", type=float, default=10.0, help="a probe's wait (s)")
    parser.add_argument("--drop-window", type=float, help="drops awaited (s; quick 10, real 70)")
    parser.add_argument("--idle", type=int, default=2000, help="idle keep-alive connections")
    parser.add_argument("--tiny-connections", type=int, default=50)
    parser.add_argument("--sleep", type=float, default=5.0, help="tiny pieces' handler sleep (s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    opts = parser.parse_args(argv)
    if opts.real:
        if opts.body_timeout is not None or opts.send_timeout is not None:
            parser.error("--real keeps jackfield's defaults: drop --body-timeout/--send-timeout")
        opts.hold = 70.0 if opts.hold is None else opts.hold
        opts.drop_window = 70.0 if opts.drop_window is None else opts.drop_window
    else:
        opts.body_timeout = 10.0 if opts.body_timeout is None else opts.body_timeout
        opts.send_timeout = 5.0 if opts.send_timeout is None else opts.send_timeout
        opts.hold = opts.body_timeout + 5 if opts.hold is None else opts.hold
        opts.drop_window = opts.send_timeout + 5 if opts.drop_window is None else opts.drop_window
    for name in ("connections", "readers", "big_mib", "idle", "tiny_connections"):
        if getattr(opts, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if opts.drop_window < opts.stall_window:
        parser.error("--drop-window must not be shorter than --stall-window")
    return opts


def raise_fd_limit() -> None:
    """The client holds up to 2,000 sockets: lift the soft open-file limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    # Writes racing the server's close are expected here, not worth a warning each.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    raise_fd_limit()
    server_pin, _, pin_note = pinning()
    if server_pin:
        os.sched_setaffinity(0, {1})  # this process is the client: CPU 1
    scenarios = SCENARIOS if opts.scenario == "all" else (opts.scenario,)
    contenders = opts.contender or list(CONTENDERS)
    reports = []
    for scenario in scenarios:
        rep = Report(scenario, jackfield_setting(scenario, opts))
        for who in contenders:
            started = time.monotonic()
            try:
                attack(scenario, who, opts, server_pin, rep)
            except ServerError as exc:
                rep.put(who, "error", "", None, str(exc)[:150])
            print(f"  {scenario} {who}: {time.monotonic() - started:.0f} s", file=sys.stderr)
        reports.append(rep)
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in CONTENDERS)
    mode = "real defaults" if opts.real else "quick (short jackfield deadlines)"
    pin_note = pin_note.replace("wrk", "the attacking client")
    print(f"hostile clients, {mode}; {pin_note}; Python {sys.version.split()[0]}, {versions}")
    print()
    print(render(reports, opts.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
