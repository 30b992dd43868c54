"""Jobs and graceful shutdown: in-flight requests, then jobs, then on_cleanup closes the rest.

Both ways of stopping are exercised on a real server: ``AppRunner.cleanup()``
(what ``run_app()`` does on Ctrl+C) and the spec's manual procedure with
``app.make_handler()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from jackfield import web
from jackfield.plugins import jobs


def recording_app(events: list[str], request_started: asyncio.Event) -> web.Application:
    app = web.Application()

    async def close_database(app: web.Application) -> None:
        events.append("on_cleanup: database closed")

    # Added before jobs.setup(): the jobs still stop before it runs.
    app.on_cleanup.append(close_database)

    async def pool(app: web.Application) -> AsyncIterator[None]:
        yield
        events.append("cleanup_ctx: pool closed")

    app.cleanup_ctx.append(pool)
    jobs.setup(app, close_timeout=0.2)

    async def short_job() -> None:
        await asyncio.sleep(0.15)
        events.append("short job: done")

    async def long_job() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(0.01)  # close_timeout lets it finish its clean-up
            events.append("long job: cancelled, cleaned up")
            raise

    async def handler(request: web.Request) -> web.Response:
        await jobs.spawn(request, long_job())
        await jobs.spawn(request, short_job())
        request_started.set()
        await asyncio.sleep(0.1)  # in flight when the shutdown starts
        events.append("request: answered")
        return web.Response(text="ok")

    app.router.add_get("/", handler)
    return app


EXPECTED = [
    "request: answered",  # in-flight requests finish first,
    "short job: done",  # then graceful shutdown waits for jobs within its timeout,
    "long job: cancelled, cleaned up",  # then on_cleanup cancels the rest, first,
    "cleanup_ctx: pool closed",  # before the other clean-up steps.
    "on_cleanup: database closed",
]


async def test_runner_cleanup_closes_jobs_in_order() -> None:
    events: list[str] = []
    started = asyncio.Event()
    app = recording_app(events, started)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.6)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with httpx.AsyncClient() as client:
        request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{site.port}/"))
        await asyncio.wait_for(started.wait(), 5)
        await runner.cleanup()
        response = await request
    assert (response.status_code, response.text) == (200, "ok")
    assert events == EXPECTED
    assert jobs.get_scheduler_from_app(app).closed


async def test_manual_procedure_closes_jobs_in_order() -> None:
    events: list[str] = []
    started = asyncio.Event()
    app = recording_app(events, started)
    loop = asyncio.get_running_loop()
    await app.startup()  # enters cleanup_ctx; the spec's snippet has no start-up receivers
    handler = app.make_handler(access_log=None)
    srv = await loop.create_server(handler, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with httpx.AsyncClient() as client:
        request = asyncio.ensure_future(client.get(f"http://127.0.0.1:{port}/"))
        await asyncio.wait_for(started.wait(), 5)
        srv.close()  # docs/running.md's order: wait_closed() after handler.shutdown()
        await app.shutdown()
        await handler.shutdown(0.6)
        await srv.wait_closed()
        await app.cleanup()
        response = await request
    assert response.text == "ok"
    assert events == EXPECTED


async def test_a_short_shutdown_timeout_leaves_jobs_to_on_cleanup() -> None:
    events: list[str] = []
    app = web.Application()
    jobs.setup(app, close_timeout=0.05)

    async def job() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled at clean-up")
            raise

    async def start_job(app: web.Application) -> None:
        job_ = await jobs.get_scheduler_from_app(app).spawn(job())
        app_jobs.append(job_)

    app_jobs: list[jobs.Job[Any]] = []
    app.on_startup.append(start_job)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.05)
    await runner.setup()
    loop = asyncio.get_running_loop()
    began = loop.time()
    await runner.cleanup()
    assert loop.time() - began < 2  # bounded by shutdown_timeout + close_timeout
    assert events == ["cancelled at clean-up"]
    assert app_jobs[0].closed


async def test_an_app_started_again_accepts_jobs_again() -> None:
    app = web.Application()
    scheduler = jobs.setup(app)
    results: list[str] = []

    async def spawn_at_start(app: web.Application) -> None:
        job = await jobs.get_scheduler_from_app(app).spawn(asyncio.sleep(0, result="ran"))
        results.append(await job.wait())

    app.on_startup.append(spawn_at_start)
    for _ in range(2):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        assert not scheduler.closed
        await runner.cleanup()
        assert scheduler.closed
    assert results == ["ran", "ran"]
