"""Graceful shutdown of a real ``run_app`` process while requests are in flight.

The server runs in a subprocess (signals are process-wide, and ``run_app``
owns its event loop). Its handler prints ``start <id>`` before it sleeps, so
the test knows exactly which requests the server *accepted*: a request whose
handler started must get its complete 200, whatever the signal did. Requests
whose handler never started may fail (refused, reset, closed), but nothing may
hang. ``on_shutdown`` prints ``shutdown`` (the listener is already closed by
then, so a new connection must be refused at once) and ``on_cleanup`` prints
``cleanup``.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import signal
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

WORKERS = 20
HANDLER_SLEEP = 0.4
PAD = 4096
BOUND = 8.0  # seconds any single phase may take before the test fails; never reached

APP = textwrap.dedent(
    f"""
    import asyncio

    from jackfield import web


    async def slow(request):
        rid = request.query["id"]
        print(f"start {{rid}}", flush=True)
        await asyncio.sleep({HANDLER_SLEEP})
        return web.Response(text=f"done {{rid}} " + "x" * {PAD})


    async def on_shutdown(app):
        print("shutdown", flush=True)


    async def on_cleanup(app):
        print("cleanup", flush=True)


    app = web.Application()
    app.router.add_get("/slow", slow)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    web.run_app(
        app,
        host="127.0.0.1",
        port=0,
        shutdown_timeout=5,
        access_log=None,
        print=lambda *args: print(*args, flush=True),
    )
    """
)


@dataclass
class ServerOutput:
    """What the server process printed, line by line, with events for the markers."""

    port: asyncio.Future[int]
    started: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    enough_started: asyncio.Event = field(default_factory=asyncio.Event)


async def _follow(stream: asyncio.StreamReader, out: ServerOutput, enough: int) -> None:
    while line := (await stream.readline()).decode():
        line = line.strip()
        out.lines.append(line)
        served = re.search(r"serving on http://127\.0\.0\.1:(\d+)", line)
        if served and not out.port.done():
            out.port.set_result(int(served.group(1)))
        elif line.startswith("start "):
            out.started.add(line.split()[1])
            if len(out.started) >= enough:
                out.enough_started.set()
        elif line == "shutdown":
            out.shutdown.set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_shutdown_under_load_finishes_accepted_requests(
    tmp_path: Path, signum: signal.Signals
) -> None:
    app_file = tmp_path / "slow_app.py"
    app_file.write_text(APP)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        str(app_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = ServerOutput(port=asyncio.get_running_loop().create_future())
    # Two full rounds of WORKERS requests: the load is steady, not a single burst.
    follower = asyncio.create_task(_follow(proc.stdout, out, enough=2 * WORKERS))
    stderr = asyncio.create_task(proc.stderr.read())
    try:
        port = await asyncio.wait_for(out.port, BOUND)
        url = f"http://127.0.0.1:{port}/slow"
        ids = itertools.count()
        responses: dict[str, str] = {}  # id -> body of a complete 200
        failures: dict[str, str] = {}  # id -> exception type name
        ok_after_shutdown: list[str] = []
        signalled = asyncio.Event()

        async def worker(client: httpx.AsyncClient, offset: float) -> None:
            # Staggered starts keep requests arriving all the time, so some
            # race the signal instead of all sleeping in lock-step.
            await asyncio.sleep(offset)
            while True:
                rid = str(next(ids))
                try:
                    response = await client.get(url, params={"id": rid})
                except httpx.ConnectError:
                    failures[rid] = "ConnectError"
                    if signalled.is_set():
                        return  # the listener is gone: the expected end of the load
                    raise
                except httpx.TransportError as exc:
                    failures[rid] = type(exc).__name__
                    continue
                assert response.status_code == 200, (rid, response.text)
                responses[rid] = response.text  # httpx reads the whole body or raises
                if out.shutdown.is_set():
                    ok_after_shutdown.append(rid)

        limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
        async with httpx.AsyncClient(limits=limits, timeout=BOUND) as client:
            workers = [
                asyncio.create_task(worker(client, i * HANDLER_SLEEP / WORKERS))
                for i in range(WORKERS)
            ]
            await asyncio.wait_for(out.enough_started.wait(), BOUND)
            proc.send_signal(signum)
            signalled.set()

            await asyncio.wait_for(out.shutdown.wait(), BOUND)
            # Shutdown has begun and accepted requests are still running: a
            # new connection must be refused now, not queued or left hanging.
            assert proc.returncode is None
            async with httpx.AsyncClient(timeout=BOUND) as fresh:
                with pytest.raises(httpx.ConnectError):
                    await asyncio.wait_for(fresh.get(url, params={"id": "late"}), BOUND)

            await asyncio.wait_for(asyncio.gather(*workers), BOUND)
        code = await asyncio.wait_for(proc.wait(), BOUND)
        await asyncio.wait_for(follower, BOUND)
        err = (await asyncio.wait_for(stderr, BOUND)).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    assert code == 0, err
    assert "Traceback" not in err, err
    assert out.lines[-1] == "cleanup", out.lines[-5:]
    assert len(out.started) >= 2 * WORKERS
    # Every request the server accepted was answered in full ...
    missing = {rid: failures.get(rid) for rid in out.started if rid not in responses}
    assert missing == {}, "accepted requests that got no complete response"
    for rid in out.started:
        assert responses[rid] == f"done {rid} " + "x" * PAD
    # ... and the server never answered a request it did not accept.
    assert set(responses) == out.started
    # The check is meaningful only if requests really were in flight at the signal.
    assert ok_after_shutdown, "no request was still running when shutdown began"
    assert "late" not in out.started
    assert not [name for name in failures.values() if "Timeout" in name], failures
