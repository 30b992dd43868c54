"""The spec's manual start-up and graceful shutdown, ``app.loop``, and shutdown waiters.

The manual procedure (``app.make_handler()``, ``loop.create_server()``, then
``srv.close()``, ``srv.wait_closed()``, ``app.shutdown()``,
``handler.shutdown(60.0)``, ``app.cleanup()``) runs in this test's loop and
once verbatim, loop-style, in a child process stopped with SIGINT. In this
loop it also runs in the order docs/running.md gives, which works on every
Python: ``srv.wait_closed()`` after ``handler.shutdown()``, because from
Python 3.12 on ``wait_closed()`` waits for the accepted connections too.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from jackfield import web
from jackfield.server.server import Server


def slow_app(events: list[str], started: asyncio.Event, delay: float) -> web.Application:
    app = web.Application()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            events.append("handler cancelled")
            raise
        events.append("handler finished")
        return web.Response(text="finished")

    app.router.add_get("/slow", slow)
    app.on_shutdown.append(lambda app: events.append("on_shutdown"))
    app.on_cleanup.append(lambda app: events.append("on_cleanup"))
    return app


SPEC_ORDER_NEEDS_PY311 = pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="Python 3.12's wait_closed() waits for the connections that handler.shutdown() closes",
)
ORDERS = [pytest.param("spec", marks=SPEC_ORDER_NEEDS_PY311), "portable"]


@pytest.mark.parametrize("order", ORDERS)
async def test_manual_procedure_lets_in_flight_requests_finish(order: str) -> None:
    events: list[str] = []
    started = asyncio.Event()
    app = slow_app(events, started, delay=0.2)
    response, port = await manual_shutdown_with(app, started, timeout=60.0, order=order)
    assert response is not None and (response.status_code, response.text) == (200, "finished")
    assert events == ["on_shutdown", "handler finished", "on_cleanup"]
    with pytest.raises(OSError):  # no longer listening
        await asyncio.open_connection("127.0.0.1", port)


@pytest.mark.parametrize("order", ORDERS)
async def test_manual_procedure_cancels_handlers_past_the_timeout(order: str) -> None:
    events: list[str] = []
    started = asyncio.Event()
    app = slow_app(events, started, delay=30)
    loop = asyncio.get_running_loop()
    began = loop.time()
    response, _ = await manual_shutdown_with(app, started, timeout=0.1, order=order)
    assert loop.time() - began < 5
    assert response is None  # the connection was closed without an answer
    assert events == ["on_shutdown", "handler cancelled", "on_cleanup"]


async def manual_shutdown_with(
    app: web.Application, started: asyncio.Event, timeout: float, order: str
) -> tuple[httpx.Response | None, int]:
    loop = asyncio.get_running_loop()
    handler = app.make_handler(access_log=None)
    assert isinstance(handler, Server) and app.frozen
    srv = await loop.create_server(handler, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with httpx.AsyncClient() as client:
        request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/slow"))
        await asyncio.wait_for(started.wait(), 5)
        srv.close()
        if order == "spec":
            await srv.wait_closed()
        await app.shutdown()
        await handler.shutdown(timeout)
        if order == "portable":
            await srv.wait_closed()
        await app.cleanup()
        try:
            return await request, port
        except httpx.HTTPError:
            return None, port


SPEC_SCRIPT = """
import asyncio, sys
from jackfield import web

async def slow(request):
    print("in flight", flush=True)
    await asyncio.sleep(0.3)
    return web.Response(text="finished")

app = web.Application()
app.router.add_get("/slow", slow)

# From here on, the spec's snippet as written (port 0 instead of 8080).
loop = asyncio.get_event_loop()
handler = app.make_handler()
f = loop.create_server(handler, '127.0.0.1', 0)
srv = loop.run_until_complete(f)
print('serving on', srv.sockets[0].getsockname(), flush=True)
try:
    loop.run_forever()
except KeyboardInterrupt:
    pass
finally:
    srv.close()
    loop.run_until_complete(srv.wait_closed())
    loop.run_until_complete(app.shutdown())
    loop.run_until_complete(handler.shutdown(60.0))
    loop.run_until_complete(app.cleanup())
loop.close()
print("stopped", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
async def test_spec_snippet_verbatim_with_ctrl_c(tmp_path: Path) -> None:
    script = tmp_path / "manual.py"
    script.write_text(textwrap.dedent(SPEC_SCRIPT))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-W",
        "ignore::DeprecationWarning",  # get_event_loop() without a loop, as the spec does
        str(script),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        line = (await asyncio.wait_for(child.stdout.readline(), 15)).decode()
        assert line.startswith("serving on ('127.0.0.1', ")
        port = int(line.rsplit(",", 1)[1].strip(" )\n"))
        async with httpx.AsyncClient() as client:
            request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/slow"))
            assert await asyncio.wait_for(child.stdout.readline(), 5) == b"in flight\n"
            child.send_signal(signal.SIGINT)
            response = await asyncio.wait_for(request, 10)
        assert (response.status_code, response.text) == (200, "finished")
        out, err = await asyncio.wait_for(child.communicate(), 10)
        assert out == b"stopped\n", err
        assert child.returncode == 0, err
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


def test_make_handler_refuses_sub_applications_and_bad_keywords() -> None:
    app = web.Application()
    sub = web.Application()
    app.add_subapp("/sub", sub)
    with pytest.raises(RuntimeError, match="sub-application; call make_handler"):
        sub.make_handler()
    with pytest.raises(TypeError, match="no_such_option"):
        app.make_handler(no_such_option=1)
    assert not app.frozen  # a failed call changes nothing


async def test_app_loop_is_the_running_loop_from_start_up_on() -> None:
    app = web.Application()
    with pytest.raises(RuntimeError, match="only known once the application has started"):
        _ = app.loop
    seen: list[asyncio.AbstractEventLoop] = []
    listener_started = asyncio.Event()
    listener_stopped: list[bool] = []

    async def listen(app: web.Application) -> None:
        listener_started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            listener_stopped.append(True)
            raise

    # The spec's background-task example, with app.loop.create_task in on_startup.
    async def start_background_tasks(app: web.Application) -> None:
        seen.append(app.loop)
        app["listener"] = app.loop.create_task(listen(app))

    async def cleanup_background_tasks(app: web.Application) -> None:
        app["listener"].cancel()
        await asyncio.gather(app["listener"], return_exceptions=True)

    app.on_startup.append(start_background_tasks)
    app.on_cleanup.append(cleanup_background_tasks)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        assert seen == [asyncio.get_running_loop()]
        assert app.loop is asyncio.get_running_loop()
        # A task cancelled before its first step never sees CancelledError.
        await asyncio.wait_for(listener_started.wait(), 5)
        assert not app["listener"].done()
    finally:
        await runner.cleanup()
    assert listener_stopped == [True]


async def test_app_loop_after_make_handler_is_the_serving_loop() -> None:
    app = web.Application()
    app.make_handler(access_log=None)
    assert app.loop is asyncio.get_running_loop()


def test_app_loop_after_make_handler_outside_a_loop_is_a_clear_error() -> None:
    app = web.Application()
    app.make_handler(access_log=None)
    with pytest.raises(RuntimeError, match=r"asyncio\.get_running_loop"):
        _ = app.loop


async def test_graceful_shutdown_awaits_shutdown_waiters_of_app_and_sub_apps() -> None:
    events: list[str] = []
    app = web.Application()
    sub = web.Application()
    app.add_subapp("/sub", sub)

    async def quick() -> None:
        await asyncio.sleep(0.05)
        events.append("quick waiter done")

    async def endless() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("endless waiter cancelled at the timeout")
            raise

    app.add_shutdown_waiter(quick)
    sub.add_shutdown_waiter(endless)
    app.on_cleanup.append(lambda app: events.append("on_cleanup"))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.3)
    await runner.setup()
    began = asyncio.get_running_loop().time()
    await runner.cleanup()
    elapsed = asyncio.get_running_loop().time() - began
    assert 0.25 <= elapsed < 3
    assert events == ["quick waiter done", "endless waiter cancelled at the timeout", "on_cleanup"]
    with pytest.raises(TypeError, match="must be callable"):
        app.add_shutdown_waiter(3)  # type: ignore[arg-type]
