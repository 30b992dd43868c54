"""SIGTERM under keep-alive load: what happens to the requests in flight, jackfield against aiohttp.

Run by hand (never in CI)::

    flock /tmp/jackfield-bench.lock .venv/bin/python bench/sigterm.py --runs 3

Each run starts the server (the same tiny app on ``jackfield.web`` and on
``aiohttp.web``) as a subprocess on 127.0.0.1, loads it with raw asyncio
clients, sends SIGTERM in the middle of the load, and lets the clients go on
until the listener refuses them. Two kinds of clients:

* ``keep-alive``: one connection each, requests back to back on it;
* ``fresh``: a new connection per request, written ``--write-delay`` ms after
  the connect, as a browser that opens a connection then sends on it; the
  issue-20 case ("requests written ~5 ms after SIGTERM on connections accepted
  just before the listener closed").

The app records the id of every request whose handler started and prints them
at ``on_cleanup``; the client records what each request got. Per server and
run: requests sent; answered in full; closed without any answer (the client
cannot tell whether the server saw them), split by kind; and **accepted but
unanswered**: the handler started, the client got no complete response. That
last column must be 0. Connections refused after the listener closed are not
requests sent (nothing was written) and are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

GUARD = 15.0  # seconds any phase of a run may take

APPS = {
    "jackfield": "from jackfield import web",
    "aiohttp": "from aiohttp import web",
}

APP = textwrap.dedent(
    """
    import asyncio, json, sys
    {import_web}

    started = []


    async def handle(request):
        started.append(request.query["id"])
        await asyncio.sleep({handler_ms} / 1000)
        return web.Response(text="ok " + request.query["id"])


    async def on_cleanup(app):
        print("started " + json.dumps(started), flush=True)


    app = web.Application()
    app.router.add_get("/", handle)
    app.on_cleanup.append(on_cleanup)
    web.run_app(
        app,
        host="127.0.0.1",
        port=0,
        shutdown_timeout=5,
        access_log=None,
        print=lambda *a: print(*a, flush=True),
    )
    """
)


@dataclass
class Tally:
    """What the clients saw in one run."""

    sent: dict[str, str] = field(default_factory=dict)  # id -> kind
    answered: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)  # no byte of an answer, then closed
    refused: int = 0  # connects refused or reset once the listener closed (nothing sent)


def _request(rid: str) -> bytes:
    return f"GET /?id={rid} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


async def _answer(reader: asyncio.StreamReader, rid: str) -> bool | None:
    """Read one response: None when closed before a byte of it, else whether to keep going.

    A response with ``Connection: close`` ends the connection's use, as it
    does for any HTTP client.
    """
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), GUARD)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        partial = getattr(exc, "partial", b"")
        if partial:
            raise RuntimeError(f"request {rid}: response cut short: {partial!r}") from None
        return None
    match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    if match is None:
        raise RuntimeError(f"request {rid}: no Content-Length in {head!r}")
    body = await asyncio.wait_for(reader.readexactly(int(match.group(1))), GUARD)
    if body != f"ok {rid}".encode():
        raise RuntimeError(f"request {rid}: wrong body {body!r}")
    return re.search(rb"\r\nconnection: *close\r\n", head, re.IGNORECASE) is None


class Load:
    def __init__(self, port: int, tally: Tally, write_delay: float) -> None:
        self.port = port
        self.tally = tally
        self.write_delay = write_delay
        self.ids = iter(range(10**9))
        self.stop_at: float | None = None  # loop time after which workers stop

    def _going(self) -> bool:
        loop = asyncio.get_running_loop()
        return self.stop_at is None or loop.time() < self.stop_at

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:  # refused, or reset as the listener closed: nothing was sent
            self.tally.refused += 1
            return None

    async def _one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, kind: str
    ) -> bool:
        """One request on this connection; False when the connection is done for."""
        rid = str(next(self.ids))
        try:
            writer.write(_request(rid))
        except ConnectionError:
            return False  # nothing went out: not a request sent
        self.tally.sent[rid] = kind
        keep = await _answer(reader, rid)
        if keep is None:
            self.tally.closed.add(rid)
            return False
        self.tally.answered.add(rid)
        return keep

    async def keep_alive(self) -> None:
        while self._going():
            conn = await self._connect()
            if conn is None:
                return  # the listener is gone: the end of the load
            reader, writer = conn
            try:
                while self._going() and await self._one(reader, writer, "keep-alive"):
                    pass
            finally:
                writer.close()

    async def fresh(self) -> None:
        while self._going():
            conn = await self._connect()
            if conn is None:
                return
            reader, writer = conn
            try:
                await asyncio.sleep(self.write_delay)
                await self._one(reader, writer, "fresh")
            finally:
                writer.close()


@dataclass(frozen=True)
class Contender:
    label: str
    framework: str  # a key of APPS
    python: str


async def one_run(
    contender: Contender, args: argparse.Namespace, folder: Path
) -> tuple[Tally, set[str]]:
    server = contender.label
    script = folder / f"{contender.framework}_app.py"
    script.write_text(APP.format(import_web=APPS[contender.framework], handler_ms=args.handler_ms))
    proc = await asyncio.create_subprocess_exec(
        contender.python,
        str(script),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        port = 0
        while not port:
            line = (await asyncio.wait_for(proc.stdout.readline(), GUARD)).decode()
            if not line:
                raise RuntimeError(f"{server} exited: {(await proc.stderr.read()).decode()}")
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else 0
        tally = Tally()
        load = Load(port, tally, args.write_delay / 1000)
        workers = [asyncio.create_task(load.keep_alive()) for _ in range(args.keep_alive)]
        workers += [asyncio.create_task(load.fresh()) for _ in range(args.fresh)]
        await asyncio.sleep(args.load)
        proc.send_signal(signal.SIGTERM)
        load.stop_at = asyncio.get_running_loop().time() + GUARD / 3
        await asyncio.wait_for(asyncio.gather(*workers), GUARD)
        out = (await asyncio.wait_for(proc.stdout.read(), GUARD)).decode()
        await asyncio.wait_for(proc.wait(), GUARD)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    started_line = [line for line in out.splitlines() if line.startswith("started ")]
    if not started_line:
        raise RuntimeError(f"{server} printed no started ids: {out!r}")
    return tally, set(json.loads(started_line[0][len("started ") :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per server (default 3)")
    parser.add_argument("--load", type=float, default=1.0, help="seconds of load before SIGTERM")
    parser.add_argument("--keep-alive", type=int, default=50, help="keep-alive clients")
    parser.add_argument("--fresh", type=int, default=20, help="connection-per-request clients")
    parser.add_argument("--write-delay", type=float, default=5.0, help="ms from connect to write")
    parser.add_argument("--handler-ms", type=float, default=2.0, help="ms each handler sleeps")
    parser.add_argument("--servers", default="jackfield,aiohttp", help="comma-separated")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="LABEL=PYTHON",
        help="also run jackfield from another install (e.g. main's venv), as LABEL",
    )
    args = parser.parse_args()
    contenders = [Contender(name, name, sys.executable) for name in args.servers.split(",")]
    for also in args.also:
        label, _, python = also.partition("=")
        contenders.insert(1, Contender(label, "jackfield", python))

    columns = (
        "server",
        "run",
        "sent",
        "answered",
        "closed, keep-alive",
        "closed, fresh",
        "refused connects",
        "accepted unanswered",
    )
    print(" | ".join(columns))
    print(" | ".join("---" for _ in columns))
    lost_total: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for contender in contenders:
            server = contender.label
            for run in range(1, args.runs + 1):
                tally, started = asyncio.run(one_run(contender, args, Path(tmp)))
                by_kind = {
                    kind: sum(1 for rid in tally.closed if tally.sent[rid] == kind)
                    for kind in ("keep-alive", "fresh")
                }
                lost = started - tally.answered
                lost_total[server] = lost_total.get(server, 0) + len(lost)
                row = (
                    server,
                    run,
                    len(tally.sent),
                    len(tally.answered),
                    by_kind["keep-alive"],
                    by_kind["fresh"],
                    tally.refused,
                    len(lost),
                )
                print(" | ".join(str(cell) for cell in row), flush=True)
    print()
    for server, lost in lost_total.items():
        print(f"{server}: {lost} accepted requests unanswered over {args.runs} runs")


if __name__ == "__main__":
    main()
