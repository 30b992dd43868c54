"""Faults inside the application, seen from a real client.

A handler or middleware that raises must cost the client a clean 500 (no
internals in the body unless the app is in debug mode) and the operator a
logged traceback; once the response head is out, the only honest signal left
is to close the connection, so the client sees a truncated body rather than a
second response glued to the first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from jackfield import web

from .conftest import exchange

SECRET = "secret-detail-7f3a"


class Boom(Exception):
    """The application's own failure, easy to recognise in logs."""


def get(path: str, *lines: str) -> bytes:
    """A GET request for ``path`` with a Host and the extra field lines."""
    extra = "".join(f"{line}\r\n" for line in lines)
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode()


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The ERROR (and worse) records the jackfield loggers emitted."""
    return [
        r for r in caplog.records if r.name.startswith("jackfield") and r.levelno >= logging.ERROR
    ]


async def boom(request: web.Request) -> web.Response:
    raise Boom(f"the database password is {SECRET}")


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


# -- exceptions before anything was sent


async def test_handler_exception_is_a_500_with_no_internals(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    app.router.add_get("/boom", boom)
    server = await server_for(app)

    got = await exchange(server.port, get("/boom"))

    assert got.statuses == [500]
    body = got.raw.partition(b"\r\n\r\n")[2]
    assert body.startswith(b"500 Internal Server Error")
    for leak in (SECRET.encode(), b"Traceback", b"Boom", b"test_handler_errors"):
        assert leak not in got.raw
    assert got.closed, "the server should close after an internal error"
    (record,) = errors(caplog)
    assert record.name == "jackfield.server"
    assert "GET /boom" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is Boom
    assert "Traceback" in caplog.text and SECRET in caplog.text


async def test_debug_app_shows_the_traceback_in_the_500(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application(debug=True)
    app.router.add_get("/boom", boom)
    server = await server_for(app)

    got = await exchange(server.port, get("/boom"))

    assert got.statuses == [500]
    assert b"Traceback" in got.raw
    assert f"Boom: the database password is {SECRET}".encode() in got.raw
    assert b"in boom" in got.raw  # the frame of the handler that raised
    (record,) = errors(caplog)
    assert record.exc_info is not None and record.exc_info[0] is Boom


async def test_middleware_exception_is_a_500_too(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    @web.middleware
    async def broken(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
        raise Boom(SECRET)

    app = web.Application(middlewares=[broken])
    app.router.add_get("/", hello)
    server = await server_for(app)

    got = await exchange(server.port, get("/"))

    assert got.statuses == [500]
    assert SECRET.encode() not in got.raw and b"hello" not in got.raw
    (record,) = errors(caplog)
    assert record.exc_info is not None and record.exc_info[0] is Boom


async def test_handler_returning_none_is_a_500_with_a_clear_log_message(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def forgot_return(request: web.Request) -> Any:
        web.Response(text="built but not returned")

    app = web.Application()
    app.router.add_get("/none", forgot_return)
    server = await server_for(app)

    got = await exchange(server.port, get("/none"))

    assert got.statuses == [500]
    assert b"built but not returned" not in got.raw
    (record,) = errors(caplog)
    assert "GET /none" in record.getMessage()
    assert record.exc_info is not None
    logged = str(record.exc_info[1])
    # The operator must learn what was returned and what was expected.
    assert "NoneType" in logged and "expected a Response" in logged


async def test_server_keeps_serving_after_handler_errors(server_for: Any) -> None:
    app = web.Application()
    app.router.add_get("/boom", boom)
    app.router.add_get("/", hello)
    server = await server_for(app)

    async with httpx.AsyncClient() as client:
        for _ in range(3):
            assert (await client.get(server.make_url("/boom"))).status_code == 500
            ok = await client.get(server.make_url("/"))
            assert (ok.status_code, ok.text) == (200, "hello")


# -- exceptions after the response started


def _streaming(failure: BaseException, calls: list[str]) -> Any:
    async def stream(request: web.Request) -> web.StreamResponse:
        calls.append(request.path)
        response = web.StreamResponse()
        response.content_type = "text/plain"
        await response.prepare(request)
        await response.write(b"first;")
        await response.write(b"second;")
        raise failure

    return stream


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        pytest.param(Boom(SECRET), True, id="plain-exception"),
        pytest.param(web.HTTPForbidden(), False, id="http-exception"),
    ],
)
async def test_exception_after_the_response_started_truncates_and_closes(
    server_for: Any, caplog: pytest.LogCaptureFixture, failure: BaseException, logged: bool
) -> None:
    calls: list[str] = []
    app = web.Application()
    app.router.add_get("/stream", _streaming(failure, calls))
    app.router.add_get("/next", hello)
    server = await server_for(app)

    # A pipelined request behind the broken one must not be answered: the
    # connection cannot be trusted once a response was cut short.
    got = await exchange(server.port, get("/stream") + get("/next"))

    assert got.statuses == [200], got.raw
    assert got.closed
    head, _, body = got.raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"6\r\nfirst;\r\n7\r\nsecond;\r\n", "expected the chunks, no last-chunk"
    assert calls == ["/stream"]
    records = errors(caplog)
    if logged:
        assert len(records) == 1
        assert records[0].exc_info is not None and records[0].exc_info[0] is Boom
    else:
        assert records == []


async def test_httpx_sees_a_truncated_chunked_body(server_for: Any) -> None:
    app = web.Application()
    app.router.add_get("/stream", _streaming(Boom(SECRET), []))
    server = await server_for(app)

    received = b""
    async with (
        httpx.AsyncClient() as client,
        client.stream("GET", server.make_url("/stream")) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            async for piece in response.aiter_raw():
                received += piece
    assert received == b"first;second;"


# -- HTTP exceptions from middlewares


async def test_http_exceptions_raised_from_middlewares(server_for: Any) -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.Response(text=f"handled {request.path}")

    @web.middleware
    async def guard(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
        if request.path == "/private":
            raise web.HTTPForbidden(text="no entry")
        if request.path == "/old":
            raise web.HTTPFound("/new")
        return await handler(request)

    @web.middleware
    async def custom_404(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            raise web.HTTPNotFound(text=f"nothing at {request.path}") from None

    async def old_style(app: web.Application, handler: Any) -> Any:
        async def check(request: web.Request) -> Any:
            if "token" not in request.query and request.path == "/api":
                raise web.HTTPUnauthorized(text="token needed")
            return await handler(request)

        return check

    app = web.Application(middlewares=[custom_404, guard, old_style])
    for path in ("/private", "/old", "/api", "/open"):
        app.router.add_get(path, handler)
    server = await server_for(app)

    # All on one connection: an HTTPException is an ordinary response, so the
    # connection stays usable after each one.
    got = await exchange(
        server.port,
        get("/private")
        + get("/old")
        + get("/api")
        + get("/missing")
        + get("/api?token=1")
        + get("/open", "Connection: close"),
    )

    assert got.statuses == [403, 302, 401, 404, 200, 200], got.raw
    for text in (b"no entry", b"Location: /new", b"token needed", b"nothing at /missing"):
        assert text in got.raw
    assert got.closed
    assert calls == ["/api", "/open"]
