"""The connection loop against real sockets: keep-alive, pipelining, bodies,
timeouts, back-pressure, cancellation, errors and the 101 hand-over."""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
from typing import Any

import httpx
import pytest

from jackfield.app.app import Application
from jackfield.requests.request import Request
from jackfield.responses.response import Response, StreamResponse

from ..conftest import exchange, make_tiny_app, statuses


async def hello(request: Request) -> Response:
    return Response(text="Hello, world")


async def _parts(*parts: bytes) -> Any:
    for part in parts:
        yield part


def get(path: str, extra: str = "", version: str = "1.1") -> bytes:
    return f"GET {path} HTTP/{version}\r\nHost: t\r\n{extra}\r\n".encode()


async def test_hello_with_an_independent_client(serve: Any, tiny_app: Application) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app)
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/")
    assert r.status_code == 200
    assert r.text == "Hello, world"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == "12"
    assert r.headers["server"] == "jackfield"
    assert "date" in r.headers


async def test_keep_alive_serves_several_requests_on_one_connection(
    serve: Any, tiny_app: Application
) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):
        writer.write(get("/"))
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert await reader.readexactly(12) == b"Hello, world"
    writer.close()


async def test_pipelined_requests_are_answered_in_order(serve: Any, tiny_app: Application) -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(0.05)
        return Response(text="slow")

    async def fast(request: Request) -> Response:
        return Response(text="fast")

    tiny_app.router.add("GET", "/slow", slow)
    tiny_app.router.add("GET", "/fast", fast)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/slow") + get("/fast") + get("/slow", "Connection: close\r\n"))
    bodies = [part for part in (b"slow", b"fast") if part in raw]
    assert statuses(raw) == [200, 200, 200]
    assert raw.index(b"slow") < raw.index(b"fast") < raw.rindex(b"slow")
    assert bodies


@pytest.mark.parametrize(
    ("version", "extra", "stays_open"),
    [
        ("1.1", "", True),
        ("1.1", "Connection: close\r\n", False),
        ("1.0", "", False),
        ("1.0", "Connection: keep-alive\r\n", True),
    ],
    ids=["http11-default", "http11-close", "http10-default", "http10-keep-alive"],
)
async def test_keep_alive_rules(
    serve: Any, tiny_app: Application, version: str, extra: str, stays_open: bool
) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/", extra, version))
    head = await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(12)
    if stays_open:
        assert b"Connection: close" not in head
        writer.write(get("/", extra, version))
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200 OK")
    else:
        assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()


async def test_head_gets_headers_without_body(serve: Any, tiny_app: Application) -> None:
    tiny_app.router.add("HEAD", "/", hello)
    port = await serve(tiny_app)
    raw = await exchange(port, b"HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Length: 12" in head
    assert body == b""


async def test_handler_error_is_a_500_without_traceback(
    serve: Any, tiny_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: Request) -> Response:
        raise ZeroDivisionError("secret detail")

    tiny_app.router.add("GET", "/", boom)
    port = await serve(tiny_app)
    with caplog.at_level(logging.ERROR, logger="jackfield.server"):
        raw = await exchange(port, get("/"))
    assert statuses(raw) == [500]
    assert b"secret detail" not in raw and b"Traceback" not in raw
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


async def test_handler_error_in_debug_mode_shows_the_traceback(serve: Any) -> None:
    app = make_tiny_app(debug=True)

    async def boom(request: Request) -> Response:
        raise ZeroDivisionError("secret detail")

    app.router.add("GET", "/", boom)
    port = await serve(app)
    raw = await exchange(port, get("/"))
    assert statuses(raw) == [500]
    assert b"Traceback" in raw and b"secret detail" in raw


async def test_handler_returning_a_non_response_is_a_500(serve: Any, tiny_app: Application) -> None:
    async def wrong(request: Request) -> Any:
        return "text"

    tiny_app.router.add("GET", "/", wrong)
    port = await serve(tiny_app)
    assert statuses(await exchange(port, get("/"))) == [500]


async def test_raised_and_returned_http_exceptions(serve: Any, tiny_app: Application) -> None:
    from jackfield.responses.exceptions import HTTPForbidden, HTTPFound

    async def raised(request: Request) -> Response:
        raise HTTPFound("/elsewhere")

    async def returned(request: Request) -> Response:
        return HTTPForbidden()

    tiny_app.router.add("GET", "/r", raised)
    tiny_app.router.add("GET", "/f", returned)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/r") + get("/f") + get("/nope", "Connection: close\r\n"))
    assert statuses(raw) == [302, 403, 404]
    assert b"Location: /elsewhere" in raw


async def test_request_bodies_content_length_and_chunked(serve: Any, tiny_app: Application) -> None:
    async def echo(request: Request) -> Response:
        data = await request.json()
        return Response(text=f"{data['n'] * 2} {request.content_length}")

    tiny_app.router.add("POST", "/", echo)
    port = await serve(tiny_app)
    async with httpx.AsyncClient() as client:
        r1 = await client.post(f"http://127.0.0.1:{port}/", json={"n": 21})
        r2 = await client.post(
            f"http://127.0.0.1:{port}/",
            content=_parts(b'{"n":', b" 4}"),
        )
    assert r1.text == f"42 {len(r1.request.content)}"
    assert r2.text == "8 None"


async def test_client_max_size_by_content_length_and_while_streaming(serve: Any) -> None:
    app = make_tiny_app(client_max_size=10)
    seen: list[str] = []

    async def read(request: Request) -> Response:
        seen.append("handler")
        body = await request.read()
        return Response(body=body)

    app.router.add("POST", "/", read)
    port = await serve(app)
    async with httpx.AsyncClient() as client:
        r1 = await client.post(f"http://127.0.0.1:{port}/", content=b"x" * 11)
        r2 = await client.post(f"http://127.0.0.1:{port}/", content=_parts(b"x" * 6, b"y" * 6))
        r3 = await client.post(f"http://127.0.0.1:{port}/", content=b"x" * 10)
    assert r1.status_code == 413 and "10" in r1.text
    assert r2.status_code == 413
    assert r3.status_code == 200 and r3.content == b"x" * 10


async def test_unread_body_is_discarded_before_the_next_request(
    serve: Any, tiny_app: Application
) -> None:
    tiny_app.router.add("POST", "/", hello)
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app)
    post = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde"
    raw = await exchange(port, post + get("/", "Connection: close\r\n"))
    assert statuses(raw) == [200, 200]


async def test_100_continue_is_sent_only_when_the_body_is_read(
    serve: Any, tiny_app: Application
) -> None:
    async def reads(request: Request) -> Response:
        return Response(body=await request.read())

    async def refuses(request: Request) -> Response:
        return Response(status=401)

    tiny_app.router.add("POST", "/read", reads)
    tiny_app.router.add("POST", "/refuse", refuses)
    port = await serve(tiny_app)

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"abc")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and await reader.readexactly(3) == b"abc"
    writer.close()

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /refuse HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    )
    raw = await asyncio.wait_for(reader.read(), 2)
    assert statuses(raw) == [401]
    writer.close()


async def test_client_disconnect_cancels_the_handler_and_shield_protects(
    serve: Any, tiny_app: Application
) -> None:
    cancelled = asyncio.Event()
    saved = asyncio.Event()
    entered = asyncio.Event()

    async def save() -> None:
        await asyncio.sleep(0.1)
        saved.set()

    async def handler(request: Request) -> Response:
        entered.set()
        try:
            await asyncio.shield(save())
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Response(text="never")

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/"))
    await entered.wait()
    writer.close()
    await asyncio.wait_for(cancelled.wait(), 2)
    await asyncio.wait_for(saved.wait(), 2)


async def test_handler_cancellation_can_be_turned_off(serve: Any, tiny_app: Application) -> None:
    finished = asyncio.Event()
    entered = asyncio.Event()

    async def handler(request: Request) -> Response:
        entered.set()
        await asyncio.sleep(0.1)
        finished.set()
        return Response(text="done")

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app, handler_cancellation=False)
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/"))
    await entered.wait()
    writer.close()
    await asyncio.wait_for(finished.wait(), 2)


async def test_idle_keep_alive_connection_is_closed(serve: Any, tiny_app: Application) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app, keepalive_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/"))
    await reader.readuntil(b"Hello, world")
    assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()


async def test_slow_head_gets_408_and_close(serve: Any, tiny_app: Application) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app, head_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: t\r\n")
    raw = await asyncio.wait_for(reader.read(), 3)
    assert statuses(raw) == [408]
    writer.close()


async def test_a_whole_response_goes_out_in_one_write_after_prepare_receivers(
    serve: Any, tiny_app: Application
) -> None:
    calls: list[str] = []
    transport_writes: list[bytes] = []  # what the connection hands its transport, each time

    async def on_prepare(request: Request, response: StreamResponse) -> None:
        await asyncio.sleep(0)  # a receiver that suspends, like a session store
        response.headers["X-Prepared"] = "yes"
        calls.append(request.method)
        # Count the transport's writes from here on (the head is not out yet).
        transport = request.protocol.transport
        original = type(transport).write

        def recording_write(data: bytes) -> None:
            transport_writes.append(bytes(data))
            original(transport, data)

        transport.write = recording_write

    tiny_app.on_response_prepare.append(on_prepare)
    tiny_app.router.add("GET", "/", lambda request: Response(text="whole body"))
    tiny_app.router.add("HEAD", "/", lambda request: Response(text="whole body"))
    port = await serve(tiny_app)
    raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and raw.endswith(b"\r\n\r\nwhole body")
    assert b"X-Prepared: yes\r\n" in raw and b"Content-Length: 10\r\n" in raw
    raw = await exchange(port, b"HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert b"Content-Length: 10\r\n" in raw and raw.endswith(b"\r\n\r\n")
    assert calls == ["GET", "HEAD"]  # the signal ran once per response
    # Each response, head and body, went to the transport in one write.
    assert len(transport_writes) == 2
    assert transport_writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport_writes[0].endswith(b"\r\n\r\nwhole body")
    assert transport_writes[1].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport_writes[1].endswith(b"\r\n\r\n")


async def test_a_prepare_receiver_may_ask_for_compression(
    serve: Any, tiny_app: Application
) -> None:
    calls: list[str] = []

    async def on_prepare(request: Request, response: StreamResponse) -> None:
        response.enable_compression()
        calls.append(request.raw_path)

    tiny_app.on_response_prepare.append(on_prepare)
    tiny_app.router.add("GET", "/", lambda request: Response(text="squeeze me " * 50))
    port = await serve(tiny_app)
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.text == "squeeze me " * 50
    assert calls == ["/"]


async def test_streamed_response_is_chunked_and_signalled(
    serve: Any, tiny_app: Application
) -> None:
    prepared: list[str] = []

    async def on_prepare(request: Request, response: StreamResponse) -> None:
        response.headers["X-Prepared"] = "yes"
        prepared.append(request.raw_path)

    tiny_app.on_response_prepare.append(on_prepare)

    async def stream(request: Request) -> StreamResponse:
        resp = StreamResponse()
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(3):
            await resp.write(f"part{i};".encode())
        await resp.write_eof()
        return resp

    tiny_app.router.add("GET", "/", stream)
    port = await serve(tiny_app)
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/")
    assert r.text == "part0;part1;part2;"
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.headers["x-prepared"] == "yes"
    assert prepared == ["/"]


async def test_streamed_response_over_http10_is_close_delimited(
    serve: Any, tiny_app: Application
) -> None:
    async def stream(request: Request) -> StreamResponse:
        resp = StreamResponse()
        await resp.prepare(request)
        await resp.write(b"abc")
        await resp.write(b"def")
        return resp

    tiny_app.router.add("GET", "/", stream)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/", version="1.0"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and body == b"abcdef"


@pytest.mark.parametrize("receivers", [False, True], ids=["no-signal", "prepare-signal"])
async def test_a_response_subclass_overriding_prepare_is_prepared(
    serve: Any, tiny_app: Application, receivers: bool
) -> None:
    class Stamped(Response):
        async def prepare(self, request: Request) -> Any:
            self.headers["X-Stamp"] = "yes"
            return await super().prepare(request)

    async def handler(request: Request) -> Response:
        return Stamped(text="hi")

    async def on_prepare(request: Request, response: StreamResponse) -> None:
        response.headers["X-Signal"] = "yes"

    if receivers:
        tiny_app.on_response_prepare.append(on_prepare)
    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/", "Connection: close\r\n"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"X-Stamp: yes" in head and body == b"hi"
    assert (b"X-Signal: yes" in head) is receivers


async def test_a_response_subclass_overriding_only_write_eof_is_ended_by_it(
    serve: Any, tiny_app: Application
) -> None:
    # The server sends every response with its own write_eof().
    ended: list[int] = []

    class Counted(Response):
        async def write_eof(self, data: bytes = b"") -> None:
            ended.append(self.status)
            await super().write_eof(data)

    async def handler(request: Request) -> Response:
        return Counted(text="hi", status=201)

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/", "Connection: close\r\n"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 ") and body == b"hi"
    assert ended == [201]


async def test_a_response_the_handler_prepared_is_ended_once(
    serve: Any, tiny_app: Application
) -> None:
    async def handler(request: Request) -> Response:
        resp = Response(text="whole")
        await resp.prepare(request)  # the server must not send a second head
        return resp

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/") + get("/", "Connection: close\r\n"))
    assert raw.count(b"HTTP/1.1 200 ") == 2
    assert raw.count(b"whole") == 2 and raw.endswith(b"whole")


async def test_writes_wait_for_a_slow_reader(serve: Any, tiny_app: Application) -> None:
    written = 0
    seen: list[Request] = []

    async def flood(request: Request) -> StreamResponse:
        nonlocal written
        seen.append(request)
        resp = StreamResponse()
        await resp.prepare(request)
        chunk = b"x" * 65536
        for _ in range(2048):  # 128 MiB if nothing pushed back
            await resp.write(chunk)
            written += len(chunk)
        return resp

    tiny_app.router.add("GET", "/", flood)
    port = await serve(tiny_app)
    _, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**16)
    writer.write(get("/"))

    # Parked in drain(): paused, and no progress over three polls in a row.
    # No more than that: on a busy machine the kernel may still move queued
    # bytes into the unread socket's growing buffers, so the handler can take
    # a few more steps later, but never the 128 MiB an unbounded writer would.
    async def parked() -> bool:
        still = 0
        last = -1
        for _ in range(200):
            await asyncio.sleep(0.05)
            paused = bool(seen) and seen[0].protocol.writing_paused
            still = still + 1 if paused and written == last else 0
            last = written
            if still == 3:
                return True
        return False

    assert await parked(), f"the handler never parked: {written} bytes written"
    await asyncio.sleep(0.5)  # an unbounded writer would be done by now
    assert await parked(), f"the handler did not stay parked: {written} bytes written"
    assert written < 32 * 2**20
    writer.close()


async def test_gzip_compression(serve: Any, tiny_app: Application) -> None:
    async def big(request: Request) -> Response:
        resp = Response(text="abc" * 1000)
        resp.enable_compression()
        return resp

    tiny_app.router.add("GET", "/", big)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/", "Accept-Encoding: gzip\r\nConnection: close\r\n"))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head
    assert gzip.decompress(body) == b"abc" * 1000


async def test_cookies_both_ways(serve: Any, tiny_app: Application) -> None:
    async def cookies(request: Request) -> Response:
        resp = Response(text=request.cookies.get("a", "-"))
        resp.set_cookie("session", "xyz", httponly=True, max_age=60, samesite="Lax")
        return resp

    tiny_app.router.add("GET", "/", cookies)
    port = await serve(tiny_app)
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/", headers={"Cookie": "a=1; b=2"})
    assert r.text == "1"
    set_cookie = r.headers["set-cookie"]
    assert "session=xyz" in set_cookie and "HttpOnly" in set_cookie
    assert "Max-Age=60" in set_cookie and "SameSite=Lax" in set_cookie


async def test_take_over_after_101_hands_raw_bytes_to_the_receiver(
    serve: Any, tiny_app: Application
) -> None:
    class Echo:
        def __init__(self, request: Request) -> None:
            self.request = request
            self.done = asyncio.Event()

        def data_received(self, data: bytes) -> None:
            if data == b"bye":
                self.done.set()
            else:
                self.request.protocol.write(data.upper())

        def eof_received(self) -> None:
            self.done.set()

        def connection_lost(self, exc: BaseException | None) -> None:
            self.done.set()

    async def upgrade(request: Request) -> StreamResponse:
        resp = StreamResponse(status=101, headers={"Upgrade": "shout", "Connection": "Upgrade"})
        await resp.prepare(request)
        echo = Echo(request)
        early = request.protocol.take_over(echo)
        if early:
            echo.data_received(early)
        await echo.done.wait()
        return resp

    tiny_app.router.add("GET", "/", upgrade)
    port = await serve(tiny_app)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(get("/", "Connection: Upgrade\r\nUpgrade: shout\r\n") + b"early")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    assert await reader.readexactly(5) == b"EARLY"
    writer.write(b"again")
    assert await reader.readexactly(5) == b"AGAIN"
    writer.write(b"bye")
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()


async def test_tcp_nodelay_on_by_default_and_cork_switch(serve: Any, tiny_app: Application) -> None:
    seen: dict[str, bool] = {}

    async def handler(request: Request) -> StreamResponse:
        resp = StreamResponse()
        await resp.prepare(request)
        seen["nodelay"] = resp.tcp_nodelay
        resp.set_tcp_cork(True)
        seen["cork"] = resp.tcp_cork
        seen["nodelay_after_cork"] = resp.tcp_nodelay
        resp.set_tcp_nodelay(True)
        seen["cork_after_nodelay"] = resp.tcp_cork
        await resp.write(b"ok")
        return resp

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    await exchange(port, get("/", "Connection: close\r\n"))
    assert seen == {
        "nodelay": True,
        "cork": True,
        "nodelay_after_cork": False,
        "cork_after_nodelay": False,
    }


async def two_good_then_a_bad_one(serve: Any, app: Application, handler: Any) -> bytes:
    """Serve ``handler`` at /a and /b; send both and a malformed third head in one write."""
    app.router.add("GET", "/a", handler)
    app.router.add("GET", "/b", handler)
    port = await serve(app)
    return await exchange(port, get("/a") + get("/b") + b"GET /c HTTP/1.1\r\nHost : t\r\n\r\n")


async def test_bad_request_after_good_pipelined_ones(serve: Any, tiny_app: Application) -> None:
    calls: list[str] = []

    async def handler(request: Request) -> Response:
        calls.append(request.raw_path)
        return Response(text="ok")

    raw = await two_good_then_a_bad_one(serve, tiny_app, handler)
    assert statuses(raw) == [200, 200, 400]
    assert calls == ["/a", "/b"]


async def test_bad_request_after_suspending_pipelined_ones(
    serve: Any, tiny_app: Application
) -> None:
    """Handlers that suspend run from the queue, after the bad head was parsed.

    The bad third request used to make the first answer say
    ``Connection: close``: the connection closed and the second request,
    already accepted, was never answered (also every request on Python 3.10,
    where nothing is answered inside data_received).
    """
    calls: list[str] = []

    async def handler(request: Request) -> Response:
        await asyncio.sleep(0.01)
        calls.append(request.raw_path)
        return Response(text=f"ok {request.raw_path}")

    raw = await two_good_then_a_bad_one(serve, tiny_app, handler)
    assert statuses(raw) == [200, 200, 400]
    assert calls == ["/a", "/b"]
    assert raw.index(b"ok /a") < raw.index(b"ok /b")
    assert raw.count(b"Connection: close") == 1  # only on the 400


async def test_handler_runs_as_the_connections_task(serve: Any, tiny_app: Application) -> None:
    """Bodyless requests are answered inside data_received; the handler must
    still see a current task, the same one before and after it suspends."""
    seen: list[Any] = []

    async def handler(request: Request) -> Response:
        before = asyncio.current_task()
        await asyncio.sleep(0.01)
        seen.append((before, asyncio.current_task(), request.task))
        return Response(text="ok")

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    await exchange(port, get("/") + get("/", "Connection: close\r\n"))
    assert len(seen) == 2
    for before, after, task in seen:
        assert before is not None and before is after is task


async def test_asyncio_timeout_inside_a_handler(serve: Any, tiny_app: Application) -> None:
    async def handler(request: Request) -> Response:
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            return Response(text="timed out")
        return Response(text="slept")

    tiny_app.router.add("GET", "/", handler)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/") + get("/", "Connection: close\r\n"))
    assert raw.count(b"timed out") == 2


# -- output held for the end of the loop turn (write / TurnFlusher)


async def test_many_pipelined_answers_arrive_whole_and_in_order(
    serve: Any, tiny_app: Application
) -> None:
    async def echo_path(request: Request) -> Response:
        return Response(text=request.path)

    for i in range(80):
        tiny_app.router.add("GET", f"/p{i}", echo_path)
    port = await serve(tiny_app)
    # More than the connection holds before writing early (32), all in one send.
    raw = await exchange(
        port, b"".join(get(f"/p{i}") for i in range(79)) + get("/p79", "Connection: close\r\n")
    )
    assert statuses(raw) == [200] * 80
    bodies = [int(m) for m in re.findall(rb"\r\n\r\n/p(\d+)", raw)]
    assert bodies == list(range(80))


async def test_direct_transport_writes_follow_held_answers(
    serve: Any, tiny_app: Application
) -> None:
    """A handler writing to request.transport goes after the answers held before it."""

    async def first(request: Request) -> Response:
        return Response(text="first")

    async def raw_note(request: Request) -> Response:
        transport = request.transport
        assert transport is not None
        transport.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n")
        return Response(text="second")

    tiny_app.router.add("GET", "/first", first)
    tiny_app.router.add("GET", "/second", raw_note)
    port = await serve(tiny_app)
    raw = await exchange(port, get("/first") + get("/second", "Connection: close\r\n"))
    assert statuses(raw) == [200, 103, 200]
    assert raw.index(b"first") < raw.index(b"103 Early Hints") < raw.index(b"second")


async def test_held_answer_is_sent_before_the_connection_closes(
    serve: Any, tiny_app: Application
) -> None:
    tiny_app.router.add("GET", "/", hello)
    port = await serve(tiny_app)
    for extra, version in (("Connection: close\r\n", "1.1"), ("", "1.0")):
        raw = await exchange(port, get("/", extra, version))
        assert raw.endswith(b"\r\n\r\nHello, world")


async def test_write_keeps_the_order_of_calls() -> None:
    """Unit level: held bytes go before a flush, at the turn's end, or never."""
    from jackfield.server.protocol import HttpProtocol

    written: list[bytes] = []

    class Transport(asyncio.Transport):
        closed = False

        def write(self, data: Any) -> None:
            written.append(bytes(data))

        def is_closing(self) -> bool:
            return self.closed

        def close(self) -> None:
            self.closed = True

        def abort(self) -> None:
            self.closed = True

        def get_extra_info(self, name: str, default: Any = None) -> Any:
            return default

        def get_write_buffer_size(self) -> int:
            return 0  # writes "go out" at once

    app = make_tiny_app()
    app.freeze()
    from jackfield.server.server import Server

    protocol = HttpProtocol(Server(app))
    protocol.connection_made(Transport())
    protocol.write(b"a")
    protocol.write(b"b")
    assert written == []  # held until the end of the loop turn
    protocol.flush()
    protocol.write(b"c")
    assert written == [b"ab"]
    protocol.write(b"d")
    await asyncio.sleep(0)  # the turn ends
    assert written == [b"ab", b"cd"]
    protocol.write(b"e")
    protocol.close_when_idle()  # closing sends what is held first
    assert written[-1] == b"e"
    protocol.connection_lost(None)


async def test_repeated_header_sections_on_one_connection(
    serve: Any, tiny_app: Application
) -> None:
    # The parser reuses the headers of a repeated field section (docs/http.md):
    # each request must still see its own line and the right keep-alive.
    seen: list[tuple[str, str, str, Any]] = []

    async def echo(request: Request) -> Response:
        seen.append((request.method, request.path_qs, request.headers["X-Token"], request.headers))
        return Response(text=f"{request.method} {request.path_qs}")

    tiny_app.router.add("GET", "/a", echo)
    tiny_app.router.add("DELETE", "/b", echo)
    port = await serve(tiny_app)
    fields = "Host: t\r\nX-Token: 7\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for line in ("GET /a HTTP/1.1", "DELETE /b?x=1 HTTP/1.1", "GET /a HTTP/1.0"):
        writer.write(f"{line}\r\n{fields}".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        body = await reader.readexactly(int(re.search(rb"Content-Length: (\d+)", head)[1]))
        assert body == line.rsplit(" ", 1)[0].encode()
    assert await asyncio.wait_for(reader.read(), 2) == b""  # HTTP/1.0: closed after it
    writer.close()
    assert [s[:3] for s in seen] == [
        ("GET", "/a", "7"),
        ("DELETE", "/b?x=1", "7"),
        ("GET", "/a", "7"),
    ]
    assert seen[0][3] is seen[1][3]  # one decoded section, shared read-only
    # A section first accepted under HTTP/1.0 without Host is still checked under 1.1.
    raw = await exchange(
        port,
        b"GET /a HTTP/1.0\r\nX-Token: 7\r\nConnection: keep-alive\r\n\r\n"
        b"GET /a HTTP/1.1\r\nX-Token: 7\r\nConnection: keep-alive\r\n\r\n",
    )
    assert statuses(raw) == [200, 400]
