"""Responses on the wire: framing corner cases, defaults, header safety."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from jackfield.app.app import Application
from jackfield.requests.request import Request
from jackfield.responses.response import Response, StreamResponse, json_response

from ..conftest import exchange, statuses


def get(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode()


async def test_short_body_under_content_length_closes_the_connection(
    serve: Any, tiny_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    async def short(request: Request) -> StreamResponse:
        resp = StreamResponse(headers={"Content-Length": "10"})
        await resp.prepare(request)
        await resp.write(b"12345")
        await resp.write_eof()
        return resp

    tiny_app.router.add("GET", "/", short)
    port = await serve(tiny_app)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get())
    # Without the close the client would wait for 5 more bytes forever.
    raw = await asyncio.wait_for(reader.read(), 2)
    assert raw.endswith(b"\r\n\r\n12345")
    assert any("short of its Content-Length" in r.message for r in caplog.records)
    writer.close()


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("gzip;q=0, deflate", "deflate"),
        ("gzip;q=0", None),
        ("deflate;q=0.5, gzip;q=0.001", "gzip"),
        ("identity", None),
    ],
    ids=["gzip", "gzip-refused-deflate-ok", "gzip-refused", "low-q-still-accepted", "identity"],
)
async def test_compression_honours_q_values(
    serve: Any, tiny_app: Application, accept: str, coding: str | None
) -> None:
    async def handler(request: Request) -> Response:
        resp = Response(text="x" * 100)
        resp.enable_compression()
        return resp

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/", f"Accept-Encoding: {accept}\r\nConnection: close\r\n"))
    head = raw.partition(b"\r\n\r\n")[0]
    if coding is None:
        assert b"Content-Encoding" not in head
    else:
        assert f"Content-Encoding: {coding}".encode() in head


def test_body_without_content_type_is_octet_stream() -> None:
    assert Response(body=b"\x00\x01").headers["Content-Type"] == "application/octet-stream"
    assert Response(body=b"x", content_type="image/png").content_type == "image/png"
    assert json_response(None).text == "null"


async def test_header_value_with_crlf_gets_a_500_not_silence(
    serve: Any, tiny_app: Application
) -> None:
    async def splitting(request: Request) -> Response:
        return Response(text="x", headers={"X-Evil": "a\r\nSet-Cookie: owned=1"})

    tiny_app.router.add("GET", "/", splitting)
    port = await serve(tiny_app)
    raw = await exchange(port, get())
    assert statuses(raw) == [500]
    assert b"owned" not in raw


async def test_cork_does_not_outlive_the_response(serve: Any, tiny_app: Application) -> None:
    seen: list[bool] = []

    async def corks(request: Request) -> Response:
        seen.append(request.protocol.tcp_cork)
        request.protocol.set_tcp_cork(True)
        return Response(text="x")

    tiny_app.router.add("GET", "/", corks)
    port = await serve(tiny_app)
    await exchange(port, get() + get("/", "Connection: close\r\n"))
    assert seen == [False, False]


async def test_shutdown_waits_for_handlers_of_departed_clients(serve: Any) -> None:
    """With handler_cancellation=False a handler outlives its connection;
    shutdown must still wait for it before on_cleanup."""
    from jackfield.server.server import Server

    from ..conftest import make_tiny_app

    events: list[str] = []
    entered = asyncio.Event()
    app = make_tiny_app()

    async def slow(request: Request) -> Response:
        entered.set()
        await asyncio.sleep(0.2)
        events.append("handler done")
        return Response(text="x")

    app.router.add("GET", "/", slow)
    app.freeze()
    server = Server(app, handler_cancellation=False)
    srv = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get())
    await entered.wait()
    writer.close()
    await asyncio.sleep(0.05)
    srv.close()
    await server.shutdown(2.0)
    events.append("cleanup")
    assert events == ["handler done", "cleanup"]


async def test_writes_after_the_client_left_are_not_errors(
    serve: Any, tiny_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    started = asyncio.Event()
    finished = asyncio.Event()

    async def stream(request: Request) -> StreamResponse:
        resp = StreamResponse()
        await resp.prepare(request)
        started.set()
        try:
            for _ in range(200):
                await asyncio.shield(asyncio.sleep(0.005))
                await resp.write(b"x" * 1024)
        finally:
            finished.set()
        return resp

    tiny_app.router.add("GET", "/", stream)
    port = await serve(tiny_app, handler_cancellation=False)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get())
    await started.wait()
    writer.close()
    await asyncio.wait_for(finished.wait(), 3)
    await asyncio.sleep(0.05)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "caf\u00e9\u2603", "tab\there"])
def test_server_header_is_checked_at_set_up(tiny_app: Application, value: str) -> None:
    from jackfield.server.server import Server

    with pytest.raises(ValueError, match="server_header"):
        Server(tiny_app, server_header=value)


async def test_server_header_can_be_changed_or_dropped(serve: Any) -> None:
    from ..conftest import make_tiny_app

    for header, expected in (("edge/1", b"Server: edge/1\r\n"), (None, None)):
        app = make_tiny_app()
        app.router.add("GET", "/", lambda request: Response(text="x"))
        port = await serve(app, server_header=header)
        raw = await exchange(port, get("/", "Connection: close\r\n"))
        if expected is None:
            assert b"Server:" not in raw
        else:
            assert expected in raw


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"text": "hi"}, b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"),
        ({"body": b"hi", "content_type": "image/x-\u00e9"}, b"Content-Type: image/x-\xe9\r\n"),
        ({"text": "hi", "headers": {"X-A": "1"}}, b"X-A: 1\r\n"),
        ({"text": "hi", "status": 201, "reason": "Made"}, b"HTTP/1.1 201 Made\r\n"),
    ],
    ids=["common", "latin1-content-type", "extra-header", "custom-reason"],
)
async def test_whole_responses_on_the_wire(
    serve: Any, tiny_app: Application, kwargs: dict[str, Any], expected: bytes
) -> None:
    tiny_app.router.add("GET", "/", lambda request: Response(**kwargs))
    port = await serve(tiny_app)
    raw = await exchange(port, get() + get("/", "Connection: close\r\n"))
    assert statuses(raw) == [kwargs.get("status", 200)] * 2
    assert raw.count(expected) == 2
    assert raw.count(b"\r\nDate: ") == 2 and raw.count(b"\r\nServer: jackfield\r\n") == 2


@pytest.mark.parametrize(
    "data",
    [{"name": "zoë", "id": 1}, [1, 2.5, None], "text", 0],
    ids=["dict", "list", "str", "int"],
)
def test_json_response_shortcut_builds_what_the_constructor_builds(data: Any) -> None:
    import json

    fast = json_response(data)
    slow = Response(text=json.dumps(data), content_type="application/json")
    assert type(fast) is Response
    assert (fast.status, fast.reason, fast.body, fast.text) == (
        slow.status,
        slow.reason,
        slow.body,
        slow.text,
    )
    assert list(fast.headers.items()) == list(slow.headers.items())
    assert (fast.content_type, fast.charset) == ("application/json", "utf-8")
    assert not fast.prepared and fast.keep_alive == slow.keep_alive
    # Still an ordinary response: it can be changed before it is sent.
    fast.set_status(201)
    fast.headers["X-Extra"] = "1"
    assert fast.status == 201 and fast.headers["X-Extra"] == "1"


async def test_json_response_shortcut_on_the_wire(serve: Any, tiny_app: Application) -> None:
    async def handler(request: Request) -> Response:
        return json_response({"name": "zoë"})

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert statuses(raw) == [200]
    assert b"Content-Type: application/json; charset=utf-8" in head
    assert body == b'{"name": "zo\\u00eb"}'
    assert f"Content-Length: {len(body)}".encode() in head


@pytest.mark.parametrize("status", [204, 304])
async def test_bodyless_status_with_two_fields_keeps_them_and_has_no_length(
    serve: Any, tiny_app: Application, status: int
) -> None:
    # Two fields and a Content-Type once took the cached-prefix path, which
    # wrote "Content-Length: 0" and dropped the other field.
    tiny_app.router.add(
        "GET",
        "/",
        lambda request: Response(status=status, headers={"X-A": "1"}, content_type="text/plain"),
    )
    port = await serve(tiny_app)
    raw = await exchange(port, get() + get("/", "Connection: close\r\n"))
    assert statuses(raw) == [status] * 2
    assert raw.count(b"\r\nX-A: 1\r\n") == 2
    assert raw.count(b"\r\nContent-Type: text/plain\r\n") == 2
    assert b"Content-Length" not in raw


async def test_fast_response_headers_are_there_before_and_after_sending(
    serve: Any, tiny_app: Application
) -> None:
    seen: list[Response] = []

    async def handler(request: Request) -> Response:
        resp = Response(text="hello")
        seen.append(resp)
        if request.query.get("touch"):
            assert dict(resp.headers) == {"Content-Type": "text/plain; charset=utf-8"}
            resp.headers["X-Touched"] = "yes"
        return resp

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/") + get("/?touch=1", "Connection: close\r\n"))
    assert statuses(raw) == [200, 200]
    assert raw.count(b"X-Touched: yes\r\n") == 1
    assert raw.count(b"Content-Length: 5\r\n") == 2
    untouched, touched = seen
    for resp in seen:
        assert resp.prepared and resp.body_length == 5
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert resp.headers["Content-Length"] == "5"
        assert resp.content_length == 5
    assert "X-Touched" not in untouched.headers and touched.headers["X-Touched"] == "yes"
