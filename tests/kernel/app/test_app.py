"""Application: state, typed keys, freezing, middlewares in both styles, signals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jackfield.app.app import AppKey, Application, middleware
from jackfield.requests.request import Request
from jackfield.responses.exceptions import HTTPNotFound
from jackfield.responses.response import Response, StreamResponse

from ..conftest import exchange, make_tiny_app, statuses


def test_state_and_typed_keys(tiny_app: Application) -> None:
    counter = AppKey("counter", int)
    tiny_app[counter] = 3
    tiny_app["plain"] = "x"
    assert tiny_app[counter] == 3 and tiny_app["plain"] == "x"
    assert len(tiny_app) == 2 and set(tiny_app) == {counter, "plain"}
    assert "counter" in repr(counter)


def test_frozen_app_refuses_changes_and_says_what_to_do(tiny_app: Application) -> None:
    tiny_app.freeze()
    with pytest.raises(RuntimeError, match="before run_app"):
        tiny_app["late"] = 1
    with pytest.raises(RuntimeError, match="on_startup"):
        tiny_app.on_startup.append(lambda app: None)
    assert isinstance(tiny_app.middlewares, tuple)


def test_apps_are_distinct_and_hashable() -> None:
    a, b = make_tiny_app(), make_tiny_app()
    assert a != b and len({a, b}) == 2


async def test_middleware_order_matches_the_spec(serve: Any) -> None:
    printed: list[str] = []

    def test(request: Request) -> Response:
        printed.append("Handler function called")
        return Response(text="Hello")

    async def middleware1(app: Application, handler: Any) -> Any:
        async def middleware_handler(request: Request) -> Any:
            printed.append("Middleware 1 called")
            response = await handler(request)
            printed.append("Middleware 1 finished")
            return response

        return middleware_handler

    @middleware
    async def middleware2(request: Request, handler: Any) -> Any:
        printed.append("Middleware 2 called")
        response = await handler(request)
        printed.append("Middleware 2 finished")
        return response

    app = make_tiny_app(middlewares=[middleware1, middleware2])
    app.router.add("GET", "/", test)
    port = await serve(app)
    raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert statuses(raw) == [200]
    assert printed == [
        "Middleware 1 called",
        "Middleware 2 called",
        "Handler function called",
        "Middleware 2 finished",
        "Middleware 1 finished",
    ]


async def test_old_style_factories_are_called_per_request(serve: Any) -> None:
    factory_calls = 0

    async def factory(app: Application, handler: Any) -> Any:
        nonlocal factory_calls
        factory_calls += 1
        return handler

    app = make_tiny_app(middlewares=[factory])
    app.router.add("GET", "/", lambda request: Response(text="x"))
    port = await serve(app)
    raw = await exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    assert statuses(raw) == [200, 200]
    assert factory_calls == 2


async def test_error_middleware_turns_404_into_json(serve: Any) -> None:
    @middleware
    async def error_middleware(request: Request, handler: Any) -> Any:
        try:
            return await handler(request)
        except HTTPNotFound as ex:
            return Response(
                status=404, text=f'{{"error": "{ex.reason}"}}', content_type="application/json"
            )

    app = make_tiny_app(middlewares=[error_middleware])
    port = await serve(app)
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/missing")
    assert r.status_code == 404
    assert r.json() == {"error": "Not Found"}


async def test_signals_run_in_order_sync_and_async(serve: Any) -> None:
    events: list[str] = []
    app = make_tiny_app()

    async def ctx(app: Application) -> AsyncIterator[None]:
        events.append("ctx-enter")
        yield
        events.append("ctx-exit")

    app.on_startup.append(lambda a: events.append("startup-sync"))

    async def startup_async(a: Application) -> None:
        await asyncio.sleep(0)
        events.append("startup-async")

    app.on_startup.append(startup_async)
    app.cleanup_ctx.append(ctx)
    app.on_shutdown.append(lambda a: events.append("shutdown"))
    app.on_cleanup.append(lambda a: events.append("cleanup"))
    await app.startup()
    app.freeze()
    await app.shutdown()
    await app.cleanup()
    assert events == [
        "ctx-enter",
        "startup-sync",
        "startup-async",
        "shutdown",
        "ctx-exit",
        "cleanup",
    ]


async def test_on_response_prepare_can_change_headers(serve: Any, tiny_app: Application) -> None:
    async def on_prepare(request: Request, response: StreamResponse) -> None:
        response.headers["My-Header"] = "value"

    tiny_app.on_response_prepare.append(on_prepare)
    tiny_app.router.add("GET", "/", lambda request: Response(text="x"))
    port = await serve(tiny_app)
    raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert b"My-Header: value" in raw


async def test_handlers_may_be_plain_functions(serve: Any, tiny_app: Application) -> None:
    def handler(request: Request) -> Response:
        return Response(text="plain")

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert raw.endswith(b"plain")
