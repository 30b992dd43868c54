"""The jobs plugin in a served application: spawn, atomic, disconnects, set-up errors.

A real server on 127.0.0.1; clients are raw asyncio sockets, so a test can hang
up at exactly the moment it wants (while the handler is inside an ``await``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from jackfield import web
from jackfield.host.host import discover
from jackfield.plugins import jobs


async def hang_up_during(port: int, request: bytes, started: asyncio.Event) -> None:
    """Send ``request``, wait until the handler started, then close the socket."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await asyncio.wait_for(started.wait(), 5)
    writer.close()
    await writer.wait_closed()


async def until(condition: Any, bound: float = 5.0) -> None:
    """Poll ``condition()`` until true; fail after ``bound`` seconds."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), bound)


def disconnect_app(events: list[str], started: asyncio.Event) -> web.Application:
    """Three handlers doing the same two-step save: plain, shielded, and atomic."""
    app = web.Application()
    jobs.setup(app)
    release = asyncio.Event()
    app["release"] = release

    async def save(tag: str) -> None:
        await release.wait()  # first write
        events.append(f"{tag}: first")
        await asyncio.sleep(0.01)  # second write
        events.append(f"{tag}: second")

    async def plain(request: web.Request) -> web.Response:
        started.set()
        try:
            await save("plain")
        except asyncio.CancelledError:
            events.append("plain: cancelled")
            raise
        return web.Response(text="saved")

    async def shielded(request: web.Request) -> web.Response:
        started.set()
        await asyncio.shield(save("shield"))  # one coroutine for the whole unit of work
        return web.Response(text="saved")

    @jobs.atomic
    async def atomic(request: web.Request) -> web.Response:
        started.set()
        await save("atomic")
        return web.Response(text="saved")

    class AtomicView(web.View):
        @jobs.atomic
        async def post(self) -> web.Response:
            started.set()
            await save(f"view {self.request.path}")
            return web.Response(text="saved")

    app.router.add_post("/plain", plain)
    app.router.add_post("/shield", shielded)
    app.router.add_post("/atomic", atomic)
    app.router.add_view("/view", AtomicView)
    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/plain", ["plain: cancelled"]),
        ("/shield", ["shield: first", "shield: second"]),
        ("/atomic", ["atomic: first", "atomic: second"]),
        ("/view", ["view /view: first", "view /view: second"]),
    ],
    ids=["plain-cancelled", "shield-protects", "atomic-protects", "atomic-view-protects"],
)
async def test_client_disconnect_mid_request(
    server_for: Any, path: str, expected: list[str]
) -> None:
    events: list[str] = []
    started = asyncio.Event()
    app = disconnect_app(events, started)
    server = await server_for(app)
    await hang_up_during(server.port, f"POST {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode(), started)
    # Let the server notice the hang-up before the work may go on.
    await until(lambda: not server.runner.server.connections)
    await asyncio.sleep(0.02)
    app["release"].set()
    await until(lambda: len(events) >= len(expected))
    await asyncio.sleep(0.05)  # nothing more happens
    assert events == expected


async def test_atomic_handler_answers_normally_when_the_client_stays(client_for: Any) -> None:
    app = web.Application()
    jobs.setup(app)

    @jobs.atomic
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        if request.query.get("missing"):
            raise web.HTTPNotFound(text="no such thing")
        return web.Response(text=f"done in {len(jobs.get_scheduler(request))} job")

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_text("/") == "done in 1 job"
    response = await client.get("/?missing=1")
    assert (response.status_code, response.text) == (404, "no such thing")


async def test_spawned_job_outlives_its_request_and_disconnect(server_for: Any) -> None:
    app = web.Application()
    jobs.setup(app)
    started = asyncio.Event()
    done: list[str] = []
    spawned: list[jobs.Job[Any]] = []

    async def slow_write(item: str) -> str:
        await asyncio.sleep(0.1)
        done.append(item)
        return item

    async def handler(request: web.Request) -> web.Response:
        job = await jobs.spawn(request, slow_write(request.query["item"]))
        spawned.append(job)
        started.set()
        await asyncio.sleep(30)  # the client hangs up here: this handler is cancelled
        return web.Response()

    app.router.add_get("/", handler)
    server = await server_for(app)
    await hang_up_during(server.port, b"GET /?item=pen HTTP/1.1\r\nHost: t\r\n\r\n", started)
    [job] = spawned
    assert job.active
    assert await job.wait(timeout=5) == "pen"
    assert done == ["pen"]


async def test_job_failure_reaches_the_exception_handler_of_setup(client_for: Any) -> None:
    seen: list[dict[str, Any]] = []
    app = web.Application()
    jobs.setup(app, exception_handler=lambda scheduler, ctx: seen.append(ctx))

    async def broken() -> None:
        raise ZeroDivisionError("in a job")

    async def handler(request: web.Request) -> web.Response:
        await jobs.spawn(request, broken())
        return web.Response(text="spawned")

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_text("/") == "spawned"
    await until(lambda: seen)
    assert isinstance(seen[0]["exception"], ZeroDivisionError)


async def test_sub_application_uses_its_parents_scheduler(client_for: Any) -> None:
    app = web.Application()
    scheduler = jobs.setup(app, limit=3)
    sub = web.Application()

    async def handler(request: web.Request) -> web.Response:
        found = jobs.get_scheduler(request)
        return web.Response(text=f"{found is scheduler} {found.limit}")

    sub.router.add_get("/", handler)
    app.add_subapp("/sub", sub)
    client = await client_for(app)
    assert await client.get_text("/sub/") == "True 3"
    assert jobs.get_scheduler_from_app(app) is scheduler


async def test_without_setup_spawn_says_what_to_call(client_for: Any) -> None:
    app = web.Application()
    coros: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        coro = asyncio.sleep(0)
        coros.append(coro)
        try:
            await jobs.spawn(request, coro)
        except RuntimeError as exc:
            return web.Response(text=str(exc))
        return web.Response(text="spawned?")

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert "call jobs.setup(app)" in await client.get_text("/")
    assert coros[0].cr_frame is None  # closed, so no "never awaited" warning
    with pytest.raises(RuntimeError, match=r"jobs\.setup"):
        jobs.get_scheduler_from_app(app)


def test_setup_enables_the_plugin_with_its_reason() -> None:
    app = web.Application()
    assert not app.plugins.is_enabled("jobs")
    jobs.setup(app)
    [entry] = [e for e in app.plugins.enabled if e.name == "jobs"]
    assert entry.reason == "enabled by jobs.setup()"
    with pytest.raises(RuntimeError, match="already called"):
        jobs.setup(app)


def test_the_plugin_is_installed_and_off_by_default() -> None:
    assert "jobs" in discover()
    assert "jobs" not in web.Application().plugins.enabled_names()


async def test_setup_after_start_is_refused() -> None:
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        with pytest.raises(RuntimeError, match=r"frozen.*before run_app"):
            jobs.setup(app)
    finally:
        await runner.cleanup()


async def test_hook_app_freeze_refuses_the_plugin_named_without_setup() -> None:
    app = web.Application(plugins=["routing", "jobs"])
    runner = web.AppRunner(app, access_log=None)
    with pytest.raises(RuntimeError, match=r"jobs.setup\(app\) was not called"):
        await runner.setup()
    await runner.cleanup()


def test_atomic_refuses_a_plain_function() -> None:
    def handler(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(TypeError, match="needs an async handler"):
        jobs.atomic(handler)


async def test_over_the_limits_a_handler_gets_a_clear_error(client_for: Any) -> None:
    app = web.Application()
    jobs.setup(app, limit=1, pending_limit=1)
    gate = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        try:
            job = await jobs.spawn(request, gate.wait())
        except jobs.JobsFullError as exc:
            return web.Response(status=503, text=str(exc))
        return web.Response(text="active" if job.active else "pending")

    app.router.add_get("/", handler)
    client = await client_for(app)
    answers = [(await client.get("/")) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 503]
    assert [r.text for r in answers[:2]] == ["active", "pending"]
    assert "pending_limit=1" in answers[2].text
    gate.set()
