"""The request parser alone, in process: nanoseconds (or instructions) per request.

Each request is what the server does with ``jackfield.http.RequestParser``:
``feed()`` the bytes of one request, ``next_event()`` until ``NEED_DATA``,
with ``start_next()`` after ``END_OF_MESSAGE``. Three kinds of request:

- ``wrk``: the fixed head ``wrk`` sends, the same on every request;
- ``wrk/changing``: that head plus an ``X-Turn`` line counting up, as
  bench/changing_headers.lua sends it (issue 17's changing-heads figure), so
  no field section and no ``X-Turn`` line repeats within ``TURNS`` requests;
- ``browser``: a browser-like head (user agent, accept lines, a cookie) whose
  cookie and request id change on every request, so no field section repeats;
- ``post``: a form POST with a 14-byte body, head and body in one piece.

A parser that still has the old one-call shortcut ``feed_common()`` (before
issue 17) is also timed through it (``wrk/feed_common``, ``browser/feed_common``):
the figure the general path is held to.

Several installs in one run, each in a child process: ``--python LABEL=PATH``
(repeatable; default: this interpreter). Each is measured in its compiled build
when it has one and in its pure-Python build (``JACKFIELD_NO_EXTENSIONS=1``);
the table gives every figure and its ratio to the first install's. With
``--instructions`` each figure is the instructions per request counted by
callgrind (two runs of different lengths, by difference, so start-up cancels
out): the same however busy the machine is.

    .venv/bin/python bench/parser.py
    .venv/bin/python bench/parser.py --python before=/tmp/old/bin/python \\
        --python after=/tmp/new/bin/python --instructions
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

WRK = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
POST = (
    b"POST /login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\n"
    b"name=jackfield"
)
TURNS = 256  # distinct browser heads (and wrk/changing heads), cycled


def browser_heads() -> list[bytes]:
    """Browser-like heads whose cookie and request id differ from one request to the next."""
    heads = []
    for turn in range(TURNS):
        heads.append(
            b"GET /articles/%d?page=2 HTTP/1.1\r\n"
            b"Host: example.test:8080\r\n"
            b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101"
            b" Firefox/133.0\r\n"
            b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            b"Accept-Language: en-GB,en;q=0.5\r\n"
            b"Accept-Encoding: gzip, deflate, br, zstd\r\n"
            b"Referer: http://example.test:8080/articles\r\n"
            b"Cookie: session=%032x; theme=dark\r\n"
            b"X-Request-Id: %08x\r\n"
            b"Connection: keep-alive\r\n\r\n" % (turn, turn * 7919, turn * 104729)
        )
    return heads


def changing_wrk_heads() -> list[bytes]:
    """wrk's head with an X-Turn line counting up, as bench/changing_headers.lua sends it."""
    return [WRK[:-2] + b"X-Turn: %d\r\n\r\n" % turn for turn in range(1, TURNS + 1)]


def _general(parser: Any, requests: list[bytes], count: int) -> None:
    """The general API, as the server drives it."""
    from jackfield.http import END_OF_MESSAGE, NEED_DATA

    feed, next_event, start_next = parser.feed, parser.next_event, parser.start_next
    turns = len(requests)
    for i in range(count):
        feed(requests[i % turns])
        while (event := next_event()) is not NEED_DATA:
            if event is END_OF_MESSAGE:
                start_next()


def _feed_common(parser: Any, requests: list[bytes], count: int) -> None:
    """The old shortcut: one call per bodyless head (the parser moves on by itself)."""
    feed_common = parser.feed_common
    turns = len(requests)
    for i in range(count):
        if feed_common(requests[i % turns]) is None:
            raise RuntimeError("feed_common() declined a common head")


def scenarios() -> dict[str, tuple[Callable[[Any, list[bytes], int], None], list[bytes]]]:
    """The scenarios this install's parser can run, by name."""
    from jackfield.http import RequestParser

    found = {
        "wrk": (_general, [WRK]),
        "wrk/changing": (_general, changing_wrk_heads()),
        "browser": (_general, browser_heads()),
        "post": (_general, [POST]),
    }
    if hasattr(RequestParser, "feed_common"):
        found["wrk/feed_common"] = (_feed_common, [WRK])
        found["browser/feed_common"] = (_feed_common, browser_heads())
    return found


def child(names: list[str] | None, count: int, repeat: int) -> dict[str, Any]:
    """Time each scenario in this process; return ns/request (best of ``repeat``)."""
    from jackfield import _extensions
    from jackfield.http import RequestParser, parser

    results: dict[str, float] = {}
    for name, (drive, requests) in scenarios().items():
        if names is not None and name not in names:
            continue
        best = float("inf")
        for _ in range(repeat):
            p = RequestParser()
            drive(p, requests, min(count, 2000))  # warm up (and fill any memo)
            started = time.perf_counter_ns()
            drive(p, requests, count)
            best = min(best, (time.perf_counter_ns() - started) / count)
        results[name] = best
    return {"compiled": _extensions.is_compiled(parser), "results": results}


def _run_child(python: str, pure: bool, args: list[str], valgrind: bool = False) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("JACKFIELD_NO_EXTENSIONS", None)
    if pure:
        env["JACKFIELD_NO_EXTENSIONS"] = "1"
    command = [python, __file__, "--child", *args]
    if valgrind:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if valgrind:
        m = re.search(r"Collected : ([\d,]+)", done.stderr)
        if m is None:
            raise RuntimeError(f"no callgrind total in:\n{done.stderr[-500:]}")
        report["instructions"] = int(m.group(1).replace(",", ""))
    return report


def measure(python: str, pure: bool, count: int, repeat: int, instructions: bool) -> dict[str, Any]:
    """Figures of one install in one build: ns/request, or instructions/request."""
    if not instructions:
        return _run_child(python, pure, ["--count", str(count), "--repeat", str(repeat)])
    names = list(_run_child(python, pure, ["--count", "10", "--repeat", "1"])["results"])
    compiled = False
    results = {}
    for name in names:
        totals = []
        for n in (1000, 6000):
            report = _run_child(
                python, pure, ["--count", str(n), "--repeat", "1", "--only", name], valgrind=True
            )
            compiled = report["compiled"]
            totals.append((report["instructions"], n + min(n, 2000)))
        (small, n_small), (large, n_large) = totals
        results[name] = (large - small) / (n_large - n_small)
    return {"compiled": compiled, "results": results}


def main() -> None:
    """Parse the command line; run the children; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", metavar="LABEL=PATH", default=[])
    parser.add_argument("--count", type=int, default=50000, help="requests per repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.only, args.count, args.repeat)))
        return
    installs = [spec.split("=", 1) for spec in args.python] or [["this", sys.executable]]
    unit = "instr/req" if args.instructions else "ns/req"
    rows: dict[tuple[str, str], dict[str, float]] = {}
    builds = []
    for build in ("compiled", "pure"):
        for label, python in installs:
            report = measure(python, build == "pure", args.count, args.repeat, args.instructions)
            if build == "compiled" and not report["compiled"]:
                print(f"{label}: no compiled build", file=sys.stderr)
                continue
            if build == "pure" and report["compiled"]:
                raise RuntimeError(
                    f"{label}: JACKFIELD_NO_EXTENSIONS=1 still imported compiled code"
                )
            rows[(build, label)] = report["results"]
            builds.append((build, label))
    names = list(dict.fromkeys(name for results in rows.values() for name in results))
    width = max(map(len, names)) + 2
    print(f"{'':{width}}" + "".join(f"{b + ' ' + lab:>22}" for b, lab in builds) + f"   ({unit})")
    for name in names:
        cells = []
        for build, label in builds:
            value = rows[(build, label)].get(name)
            first = (
                rows[(build, installs[0][0])].get(name) if (build, installs[0][0]) in rows else None
            )
            if value is None:
                cells.append(f"{'-':>22}")
            elif first and label != installs[0][0]:
                cells.append(f"{value:>13,.0f} ({value / first:.2f}x)")
            else:
                cells.append(f"{value:>22,.0f}")
        print(f"{name:{width}}" + "".join(cells))


if __name__ == "__main__":
    main()
