"""Session throughput: jackfield's sessions plugin against aiohttp + aiohttp_session.

One handler reads a session value and writes it back incremented, with the
session in an encrypted (Fernet) cookie, then in Redis. Each contender runs as
its own process pinned to CPU 0 (``bench/apps/sessions_app.py``); ``wrk`` and
one ``redis-server`` (started here on a free loopback port, no persistence)
share CPU 1. ``wrk`` sends the cookie the contender gave on a first request
with every request, so each request loads and saves a real session: a Fernet
decrypt and encrypt, or a Redis GET and SET.

    .venv/bin/python bench/sessions.py --duration 10
    flock /tmp/jackfield-bench.lock .venv/bin/python bench/sessions.py --repeat 3

Only the ratios printed at the end mean anything (both sides measured in one
run on one machine); the target is jackfield >= 1.5x aiohttp for each storage.

With Redis, ceiling rows follow (``--no-ceiling`` leaves them out): a bare
asyncio server doing the same GET and SET per request with no framework,
sending each command on its own (as aiohttp_session does) and pipelined (as
jackfield's RedisStorage does); and no server at all, 64 tasks doing GET+SET
through redis-py in a loop, where "req/s" is GET+SET pairs per second. They
tell how much of a request the Redis client costs, whatever the framework.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # bench/run.py: server, pinning, wrk parsing

APP = Path(__file__).resolve().parent / "apps" / "sessions_app.py"
STORAGES = ("encrypted", "redis")
# (name, framework, form): the contenders, anchor last.
CONTENDERS = (
    ("jackfield", "jackfield", "setup"),
    ("jackfield (middleware form)", "jackfield", "middleware"),
    ("aiohttp + aiohttp_session", "aiohttp", "setup"),
)
# Ceilings, Redis only: (name, framework, form) as above.
CEILINGS = (
    ("ceiling: raw asyncio, redis-py one by one", "raw", "plain"),
    ("ceiling: raw asyncio, redis-py pipelined", "raw", "pipelined"),
    ("ceiling: redis-py GET+SET loop, one by one", "redis-loop", "plain"),
    ("ceiling: redis-py GET+SET loop, pipelined", "redis-loop", "pipelined"),
)
TARGET = 1.5


@dataclass
class Row:
    storage: str
    contender: str
    rps: float = 0.0
    p99_ms: float = 0.0
    cpu_us: float | None = None
    error: str | None = None


@contextlib.contextmanager
def redis_server(pin: Sequence[str]) -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = bench.free_port()
    argv = [*pin, binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no"]
    with bench.server(argv, port):
        yield f"redis://127.0.0.1:{port}/0"


def first_cookie(port: int) -> str:
    """GET / without a cookie: check the answer, return the session cookie it set."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    cookie = response.getheader("Set-Cookie")
    if response.status != 200 or body != b"1" or not cookie:
        raise bench.ServerError(f"GET / gave {response.status} {body[:80]!r}, cookie {cookie!r}")
    return cookie.split(";", 1)[0]


def check_with(port: int, cookie: str) -> None:
    """The cookie must bring the session back: the count goes on past 1."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/", headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200 or not body.isdigit() or int(body) < 2:
        raise bench.ServerError(f"GET / with the cookie gave {response.status} {body[:80]!r}")


def wrk(args: argparse.Namespace, pin: Sequence[str], port: int, cookie: str, secs: int) -> str:
    argv = [*pin, args.wrk, "-t1", f"-c{args.connections}", f"-d{secs}s", "--latency"]
    argv += ["-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}/"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 30)
    if done.returncode != 0:
        raise bench.ServerError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def measure(
    args: argparse.Namespace, pins: tuple[Sequence[str], Sequence[str]], storage: str,
    contender: tuple[str, str, str], redis_url: str,
) -> Row:  # fmt: skip
    name, framework, form = contender
    server_pin, client_pin = pins
    if framework == "redis-loop":
        return client_loop(args, server_pin, storage, contender, redis_url)
    port = bench.free_port()
    argv = [*server_pin, sys.executable, str(APP), "--port", str(port), "--framework", framework]
    argv += ["--storage", storage, "--form", form, "--redis-url", redis_url, "--loop", args.loop]
    row = Row(storage, name)
    try:
        with bench.server(argv, port) as (pid, _stderr):
            cookie = first_cookie(port)
            check_with(port, cookie)
            if args.warmup:
                wrk(args, client_pin, port, cookie, args.warmup)
            before = bench.cpu_seconds(pid)
            output = wrk(args, client_pin, port, cookie, args.duration)
            after = bench.cpu_seconds(pid)
            row.rps, _avg, row.p99_ms, _note = bench.parse_wrk(output)
            count = bench._REQUESTS.search(output)
            if before is not None and after is not None and count:
                row.cpu_us = (after - before) / int(count.group(1)) * 1e6
            check_with(port, cookie)
    except (bench.ServerError, subprocess.TimeoutExpired) as exc:
        row.error = str(exc)
    return row


def client_loop(
    args: argparse.Namespace, pin: Sequence[str], storage: str, contender: tuple[str, str, str],
    redis_url: str,
) -> Row:  # fmt: skip
    """No HTTP: redis-py doing GET+SET pairs in a loop on the server's CPU."""
    name, framework, form = contender
    argv = [*pin, sys.executable, str(APP), "--port", "0", "--framework", framework]
    argv += ["--storage", storage, "--form", form, "--redis-url", redis_url]
    argv += ["--duration", str(args.duration)]
    row = Row(storage, name)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=args.duration + 30)
    except subprocess.TimeoutExpired as exc:
        row.error = str(exc)
        return row
    try:
        pairs, cpu_us = done.stdout.split()
        row.rps, row.cpu_us, row.p99_ms = float(pairs), float(cpu_us), float("nan")
    except ValueError:
        row.error = f"redis-py loop failed: {done.stderr.strip()[-300:] or done.stdout!r}"
    return row


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (2)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--storage", choices=(*STORAGES, "all"), default="all")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--no-ceiling", dest="ceiling", action="store_false", help="leave out the ceiling rows"
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server_pin, client_pin, pin_note = bench.pinning()
    storages = STORAGES if args.storage == "all" else (args.storage,)
    conditions = (
        f"# sessions: {pin_note}; redis-server shares wrk's CPU; loop {args.loop}; "
        f"{args.duration}s x {args.repeat}, {args.connections} connections"
    )
    print(conditions, file=sys.stderr)
    rows: list[Row] = []
    with redis_server(client_pin) as redis_url:
        for storage in storages:
            ceilings = CEILINGS if args.ceiling and storage == "redis" else ()
            for contender in (*CONTENDERS, *ceilings):
                best: Row | None = None
                for _ in range(args.repeat):
                    print(f"  {storage}: {contender[0]} ...", file=sys.stderr)
                    row = measure(args, (server_pin, client_pin), storage, contender, redis_url)
                    if best is None or (row.error is None and row.rps > best.rps):
                        best = row
                assert best is not None
                rows.append(best)
    table_rows = []
    for row in rows:
        anchor = next(r for r in rows if r.storage == row.storage and r.contender.startswith("aio"))
        ratio = row.rps / anchor.rps if anchor.rps and not row.error else None
        cpu = anchor.cpu_us / row.cpu_us if anchor.cpu_us and row.cpu_us else None
        table_rows.append([
            row.storage, row.contender,
            "unavailable" if row.error else f"{row.rps:,.0f}",
            f"{row.p99_ms:.2f}" if row.p99_ms == row.p99_ms else "-",
            f"{row.cpu_us:.0f}" if row.cpu_us else "-",
            f"{ratio:.2f}" if ratio else "-", f"{cpu:.2f}" if cpu else "-",
        ])  # fmt: skip
    headers = ["storage", "contender", "req/s", "p99 ms", "CPU us/req", "x aiohttp", "x CPU"]
    print(conditions)
    print(bench.table(headers, table_rows, args.markdown))
    print("x aiohttp: req/s over aiohttp's; x CPU: aiohttp's CPU time per request over ours")
    if any(row.contender.startswith("ceiling: redis-py") for row in rows):
        print("redis-py loop rows: req/s is GET+SET pairs per second, with no HTTP at all")
    failed = False
    for row in rows:
        if row.error:
            print(f"error: {row.storage} {row.contender}: {row.error}")
            failed = True
    for storage in storages:
        ours = next(r for r in rows if r.storage == storage and r.contender == "jackfield")
        anchor = next(r for r in rows if r.storage == storage and r.contender.startswith("aio"))
        if ours.error or anchor.error or not anchor.rps:
            continue
        got = ours.rps / anchor.rps
        verdict = "met" if got >= TARGET else "MISSED"
        print(f"target {storage}: jackfield/aiohttp req/s >= {TARGET}: {got:.2f} {verdict}")
        failed |= got < TARGET
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
