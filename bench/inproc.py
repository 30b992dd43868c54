"""In-process cost of one request: the connection loop driven with a fake transport.

No sockets and no ``wrk``: ``HttpProtocol.data_received`` is called directly,
from a plain loop callback as a real transport would call it, with one
``GET`` per call. It prints microseconds per request (best of ``--repeat``),
or with ``--instructions`` the instructions per request counted by
callgrind, by difference of two runs so start-up cancels out. Instruction
counts do not depend on how busy the machine is, which makes them the figure
to compare two versions of the hot path on a noisy machine.

    .venv/bin/python bench/inproc.py --scenario hello
    .venv/bin/python bench/inproc.py --scenario json_user --instructions
    .venv/bin/python bench/inproc.py --changing-headers  # no repeated header block
    .venv/bin/python bench/inproc.py --browser-headers  # browser-like, none repeated
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent / "apps"))

from _common import build_app

from jackfield import web

TARGETS = {
    "hello": b"/",
    "json_user": b"/users/alice",
    "routes1": b"/target/bob",
    "routes1000": b"/target/bob",
}
WARMUP = 2000
TURNS = 4096  # distinct heads of --changing-headers and --browser-headers, cycled


class _Transport(asyncio.Transport):
    """Accepts every write and counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: Any) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0  # every write is taken at once

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def _serve(protocol: Any, requests: list[bytes], count: int, repeat: int) -> float:
    # flush() after each request: what the end of a loop turn does live, where
    # one turn reads each connection once (its call_soon is shared by them all).
    data_received, flush = protocol.data_received, protocol.flush
    turns = len(requests)
    for i in range(min(WARMUP, count)):
        data_received(requests[i % turns])
        flush()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for i in range(count):
            data_received(requests[i % turns])
            flush()
        best = min(best, (time.perf_counter() - started) / count)
    return best


async def _measure(scenario: str, count: int, repeat: int, heads: str) -> float:
    if scenario.startswith("routes"):
        app = build_app(web, "routes", int(scenario[len("routes") :]), "asyncio")
    else:
        app = build_app(web, scenario, 1, "asyncio")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = runner.server
    if server is None:
        raise RuntimeError("AppRunner.setup() made no server")
    protocol = server()
    transport = _Transport()
    protocol.connection_made(transport)
    await asyncio.sleep(0)  # let the connection's task park
    requests = _requests(TARGETS[scenario], heads)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()

    def run() -> None:  # outside any task, as a transport's callback is
        try:
            done.set_result(_serve(protocol, requests, count, repeat))
        except BaseException as exc:
            done.set_exception(exc)

    loop.call_soon(run)
    best = await done
    if transport.writes < count:
        raise RuntimeError(f"only {transport.writes} responses for {count} requests")
    await runner.cleanup()
    return best


def _requests(target: bytes, heads: str) -> list[bytes]:
    """The requests to cycle through: one fixed head, or TURNS that all differ.

    changing: an X-Turn line counting up, as bench/changing_headers.lua sends
    it, so no head repeats any of the TURNS before it (two heads in turn would
    flatter any cache keyed on lines or sections). browser: the field section
    a browser sends, its cookie and request id counting up. TURNS does not
    depend on --count, so building them cancels out of --instructions.
    """
    line = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    if heads == "changing":
        return [line + b"X-Turn: %d\r\n\r\n" % n for n in range(1, TURNS + 1)]
    if heads == "browser":
        return [
            line + b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101"
            b" Firefox/133.0\r\n"
            b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            b"Accept-Language: en-GB,en;q=0.5\r\n"
            b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
            b"Referer: http://127.0.0.1:8080/articles\r\n"
            b"Cookie: session=%032x; theme=dark\r\n"
            b"X-Request-Id: %08x\r\n"
            b"Connection: keep-alive\r\n\r\n" % (n * 7919, n * 104729)
            for n in range(1, TURNS + 1)
        ]
    return [line + b"\r\n"]


def _instructions(scenario: str, heads: str) -> int:
    """Instructions per request: two callgrind runs, 500 and 2500 requests."""
    me = [sys.executable, __file__, "--scenario", scenario, "--repeat", "1"]
    if heads != "fixed":
        me.append(f"--{heads}-headers")
    subprocess.run([*me, "--count", "10"], check=True, capture_output=True)  # fresh .pyc
    totals = []
    for count in (500, 2500):
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                *me,
                "--count",
                str(count),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stderr
        m = re.search(r"Collected : ([\d,]+)", out)
        if m is None:
            raise RuntimeError(f"no callgrind total in:\n{out[-500:]}")
        totals.append((int(m.group(1).replace(",", "")), min(WARMUP, count) + count))
    (small, n_small), (large, n_large) = totals
    return round((large - small) / (n_large - n_small))


def main() -> None:
    """Parse the command line and print the figure asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(TARGETS), default="hello")
    parser.add_argument("--count", type=int, default=20000, help="requests per repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument(
        "--changing-headers",
        action="store_true",
        help="no head repeats the previous one's header fields",
    )
    parser.add_argument(
        "--browser-headers",
        action="store_true",
        help="browser-like heads whose cookie and request id change on every request",
    )
    args = parser.parse_args()
    heads = "browser" if args.browser_headers else "changing" if args.changing_headers else "fixed"
    name = args.scenario + ("" if heads == "fixed" else f" ({heads} headers)")
    if args.instructions:
        count = _instructions(args.scenario, heads)
        print(f"{name}: {count:,} instructions/request")
        return
    best = asyncio.run(_measure(args.scenario, args.count, args.repeat, heads))
    print(f"{name}: {best * 1e6:.2f} us/request in process")


if __name__ == "__main__":
    main()
