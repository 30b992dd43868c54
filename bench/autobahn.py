"""Autobahn|Testsuite against the WebSocket server: jackfield and aiohttp, case table by section.

Run by hand (never in CI: the suite is Python 2 and takes ~10 minutes per server)::

    python bench/autobahn.py --setup            # once: wstest into ~/.cache (Python 2.7)
    python bench/autobahn.py                    # every case, jackfield and aiohttp
    python bench/autobahn.py --cases '6.4.*' --server jackfield --no-markdown   # a smoke run
    python bench/autobahn.py --equivalent       # the CI cases' table, no Python 2 needed

``wstest -m fuzzingclient`` (autobahntestsuite 25.10.1, still Python 2 only)
connects to an echo server for each contender, started here as its own process
(``--serve``): every TEXT and BINARY message is sent back, permessage-deflate is
accepted, and messages up to 32 MiB are allowed because section 9 sends 16 MiB
ones (the servers' defaults, 4 MiB, would fail those on purpose). The case
results (``index.json`` in the report folder) become one table per contender:
per section, how many cases ended OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED
or FAILED, and the seconds the section took (the client is pure Python 2 and
costs most of them; compare the two servers, not the numbers). Every case not
OK is listed. The table goes to ``bench/autobahn.md`` unless ``--no-markdown``.

``--equivalent`` runs the cases CI runs instead
(``tests/plugins/websocket/test_autobahn_cases.py``: Autobahn's cases rewritten
on raw sockets, at moderate sizes) and writes their table, per section, to
``bench/autobahn-equivalent.md``.

``--setup`` needs a Python 2.7 (``--python2``; pyenv's 2.7.18 is found by
itself) and the package index: it installs ``autobahntestsuite`` and the
versions it pins into ``--home`` with that interpreter's pip.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

HERE = Path(__file__).resolve()
SUITE = "autobahntestsuite==25.10.1"
# What autobahntestsuite 25.10.1 pins (its sdist's requires.txt, which its setup.py
# fails to read, so pip would install none of them by itself).
SUITE_REQUIREMENTS = (
    "setuptools==44.0.0",
    "txaio==2.1.0",
    "incremental==16.10.1",
    "pyOpenSSL==19.1.0",
    "cryptography==3.3.2",
    "Twisted==19.10.0",
    "zope.interface==4.6.0",
    "jinja2==2.11.3",
    "markupsafe==1.1.1",
    "Werkzeug==1.0.1",
    "klein==17.10.0",
    "service_identity==18.1.0",
    "unittest2==1.1.0",
    "six==1.16.0",
    "autobahn[accelerate,twisted]==0.10.9",
)
SECTIONS = {
    1: "Framing",
    2: "Pings/Pongs",
    3: "Reserved Bits",
    4: "Opcodes",
    5: "Fragmentation",
    6: "UTF-8 Handling",
    7: "Close Handling",
    9: "Limits/Performance",
    10: "Auto-Fragmentation",
    12: "permessage-deflate (payloads)",
    13: "permessage-deflate (parameters)",
}
BEHAVIORS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
MAX_MESSAGE = 32 * 1024 * 1024
DEFAULT_HOME = Path.home() / ".cache" / "jackfield-autobahn"


# -- the servers under test ------------------------------------------------------


def serve(framework: str, port: int) -> None:
    """Serve an echo WebSocket on ``/`` with ``framework``'s ``web`` module."""
    # Typed as Any: the two frameworks' types are unrelated; the API used here is shared.
    web: Any = importlib.import_module(f"{framework}.web")
    ws_module: Any = (
        web if framework == "aiohttp" else importlib.import_module("jackfield.plugins.websocket")
    )
    text, binary = ws_module.WSMsgType.TEXT, ws_module.WSMsgType.BINARY

    async def echo(request: Any) -> Any:
        ws = ws_module.WebSocketResponse(compress=True, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == text:
                await ws.send_str(msg.data)
            elif msg.type == binary:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, shutdown_timeout=1.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(framework: str, port: int, log: Path) -> Iterator[None]:
    argv = [sys.executable, str(HERE), "--serve", framework, "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{framework} did not start (exit {proc.poll()}); see {log}")
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- wstest (Python 2) ------------------------------------------------------------


def find_python2(given: str | None) -> str:
    candidates = [given] if given else []
    candidates += [str(Path.home() / ".pyenv/versions/2.7.18/bin/python"), "python2.7"]
    for name in candidates:
        found = shutil.which(name) if name else None
        if found:
            with contextlib.suppress(OSError, subprocess.CalledProcessError):
                out = subprocess.run(
                    [found, "-c", "import sys; print(sys.version_info[0])"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                if out.stdout.strip() == "2":
                    return found
    raise SystemExit(
        "no Python 2.7 found (autobahntestsuite runs only on Python 2); "
        "pass --python2 /path/to/python2.7"
    )


def launcher(home: Path) -> Path:
    """A script running wstest from ``home/site`` (``site.addsitedir`` reads the .pth files
    that the zope namespace package needs; PYTHONPATH alone does not)."""
    return home / "wstest.py"


def setup_suite(python2: str, home: Path) -> None:
    site = home / "site"
    site.mkdir(parents=True, exist_ok=True)
    # The machine's pip configuration may name a constraints file or indexes meant for
    # Python 3; Python 2's pip must not read them.
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_CONSTRAINT": ""}
    pip = [python2, "-m", "pip", "install", "--upgrade", "--no-cache-dir", "--target", str(site)]
    subprocess.run([*pip, "--no-deps", SUITE], env=env, check=True)
    subprocess.run([*pip, *SUITE_REQUIREMENTS], env=env, check=True)
    launcher(home).write_text(
        "import site, sys\n"
        f"site.addsitedir({str(site)!r})\n"
        "from autobahntestsuite import wstest\n"
        "wstest.run()\n"
    )
    print(f"wstest installed in {site}")


def run_suite(
    python2: str, home: Path, agents: dict[str, int], cases: list[str], exclude: list[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    if not launcher(home).exists():
        raise SystemExit(f"wstest is not installed in {home}: run with --setup first")
    with tempfile.TemporaryDirectory(prefix="autobahn-") as tmp:
        spec = {
            "outdir": str(Path(tmp) / "reports"),
            "servers": [
                {"agent": agent, "url": f"ws://127.0.0.1:{port}"} for agent, port in agents.items()
            ],
            "cases": cases,
            "exclude-cases": exclude,
            "exclude-agent-cases": {},
        }
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        log = Path(tmp) / "wstest.log"
        with log.open("wb") as out:
            done = subprocess.run(
                [python2, str(launcher(home)), "-m", "fuzzingclient", "-s", str(spec_file)],
                cwd=tmp,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        index = Path(spec["outdir"]) / "index.json"
        if done.returncode or not index.exists():
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"wstest failed (exit {done.returncode}):\n{tail}")
        results: dict[str, dict[str, dict[str, Any]]] = json.loads(index.read_text())
        return results


# -- the table --------------------------------------------------------------------


def case_key(case: str) -> tuple[int, ...]:
    return tuple(int(part) for part in case.split("."))


def table(results: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Return the markdown rows of one agent's table and its list of cases not OK."""
    by_section: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    seconds: dict[int, float] = collections.defaultdict(float)
    not_ok = []
    for case in sorted(results, key=case_key):
        result = results[case]
        section = case_key(case)[0]
        by_section[section][result["behavior"]] += 1
        seconds[section] += result["duration"] / 1000
        if result["behavior"] != "OK" or result["behaviorClose"] not in ("OK", "INFORMATIONAL"):
            not_ok.append(
                f"- {case}: {result['behavior']} (close: {result['behaviorClose']}, "
                f"remote close code {result.get('remoteCloseCode')})"
            )
    rows = [
        "| section | cases | " + " | ".join(BEHAVIORS) + " | seconds |",
        "|---|---:|" + "---:|" * len(BEHAVIORS) + "---:|",
    ]
    total: collections.Counter[str] = collections.Counter()
    for section in sorted(by_section):
        counts = by_section[section]
        total.update(counts)
        name = SECTIONS.get(section, "?")
        cells = " | ".join(str(counts[b]) for b in BEHAVIORS)
        rows.append(
            f"| {section} {name} | {sum(counts.values())} | {cells} | {seconds[section]:.1f} |"
        )
    cells = " | ".join(f"**{total[b]}**" for b in BEHAVIORS)
    rows.append(
        f"| **all** | **{sum(total.values())}** | {cells} | **{sum(seconds.values()):.1f}** |"
    )
    return rows, not_ok


def report(
    results: dict[str, dict[str, dict[str, Any]]],
    tracebacks: dict[str, int],
    args: argparse.Namespace,
) -> str:
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Autobahn|Testsuite: the WebSocket server",
        "",
        f"Generated by `bench/autobahn.py` on {today} ({SUITE}, `wstest -m fuzzingclient`, "
        f"cases `{' '.join(args.cases)}`"
        + (f", excluding `{' '.join(args.exclude)}`" if args.exclude else "")
        + f"; Python {sys.version.split()[0]} servers, echo on `/`, permessage-deflate "
        f"accepted, messages up to {MAX_MESSAGE >> 20} MiB). The client tests one server "
        "at a time, on a shared machine: compare the seconds of the two servers in one "
        "run, never across runs.",
        "",
        "NON-STRICT and INFORMATIONAL are passes in Autobahn's own report; UNIMPLEMENTED "
        "and FAILED are not.",
    ]
    for agent in tracebacks:
        rows, not_ok = table(results[agent])
        lines += ["", f"## {agent}", "", *rows, ""]
        lines += ["Cases other than OK:", "", *not_ok] if not_ok else ["Every case OK."]
        lines += ["", f"Tracebacks in the server's log during the run: {tracebacks[agent]}."]
    return "\n".join(lines) + "\n"


EQUIVALENT_TESTS = (
    "tests/plugins/websocket/test_autobahn_cases.py",
    # Autobahn 6.4.x, fail-fast inside a frame still arriving, with its own client.
    "tests/plugins/websocket/test_utf8_fail_fast.py",
)


def equivalent(markdown: Path | None) -> None:
    """Run the CI's Autobahn cases with pytest and write their table by section."""
    root = HERE.parent.parent
    with tempfile.TemporaryDirectory(prefix="autobahn-eq-") as tmp:
        xml = Path(tmp) / "junit.xml"
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pytest", *EQUIVALENT_TESTS, "-q", "-p", "no:randomly",
             f"--junitxml={xml}"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
        seconds = time.monotonic() - started
        suite = ElementTree.parse(xml).getroot()
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    failed = []
    for case in suite.iter("testcase"):
        name = case.get("name", "")
        section = name.partition("[")[0].removeprefix("test_").replace("_", " ")
        if case.get("classname", "").endswith("test_utf8_fail_fast"):
            section = "section 6.4 utf8 fail fast"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        counts[section][outcome] += 1
        if outcome != "passed":
            failed.append(f"- {name}: {outcome}")
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Autobahn|Testsuite's cases in CI: the table",
        "",
        f"Generated by `bench/autobahn.py --equivalent` on {today} from "
        + ", ".join(f"`{path}`" for path in EQUIVALENT_TESTS)
        + f" "
        f"({seconds:.1f} s with pytest's start-up). Each test id starts with the Autobahn "
        "case it stands for; the real suite's table is `bench/autobahn.md`.",
        "",
        "| section (test) | cases | passed | failed | skipped |",
        "|---|---:|---:|---:|---:|",
    ]
    total: collections.Counter[str] = collections.Counter()
    for section, got in counts.items():
        total.update(got)
        lines.append(
            f"| {section} | {sum(got.values())} | {got['passed']} | {got['failed']} "
            f"| {got['skipped']} |"
        )
    lines.append(
        f"| **all** | **{sum(total.values())}** | **{total['passed']}** | "
        f"**{total['failed']}** | **{total['skipped']}** |"
    )
    lines += ["", *(failed or ["Every case passed."])]
    text = "\n".join(lines) + "\n"
    print(text)
    if markdown is not None:
        markdown.write_text(text)
        print(f"written to {markdown}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=("jackfield", "aiohttp"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--setup", action="store_true", help="install wstest, then stop")
    parser.add_argument(
        "--equivalent", action="store_true", help="the CI cases' table instead (pytest)"
    )
    parser.add_argument("--python2", help="a Python 2.7 interpreter (default: found)")
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="where wstest lives")
    parser.add_argument(
        "--server", action="append", choices=("jackfield", "aiohttp"), help="default: both"
    )
    parser.add_argument("--cases", nargs="+", default=["*"], help="case ids or patterns")
    parser.add_argument("--exclude", nargs="+", default=[], help="case ids or patterns")
    parser.add_argument("--markdown", type=Path, help="default: bench/autobahn[-equivalent].md")
    parser.add_argument("--no-markdown", action="store_true", help="print the table only")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.equivalent:
        markdown = args.markdown or HERE.parent / "autobahn-equivalent.md"
        equivalent(None if args.no_markdown else markdown)
        return
    python2 = find_python2(args.python2)
    if args.setup:
        setup_suite(python2, args.home)
        return
    agents = {name: free_port() for name in args.server or ("jackfield", "aiohttp")}
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="autobahn-srv-")))
        for agent, port in agents.items():
            stack.enter_context(server(agent, port, logs / f"{agent}.log"))
        started = time.monotonic()
        results = run_suite(python2, args.home, agents, args.cases, args.exclude)
        print(f"wstest ran {time.monotonic() - started:.0f} s", file=sys.stderr)
        # Bad input must never crash a handler or the server: count what they logged.
        tracebacks = {
            agent: (logs / f"{agent}.log").read_text(errors="replace").count("Traceback")
            for agent in agents
        }
    text = report(results, tracebacks, args)
    print(text)
    if not args.no_markdown:
        markdown = args.markdown or HERE.parent / "autobahn.md"
        markdown.write_text(text)
        print(f"written to {markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
