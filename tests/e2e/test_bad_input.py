"""Malformed and hostile requests against a real server, over a raw socket.

Each row of ``BAD`` is sent in one write to a fresh server; the server must
answer with the exact status, close the connection, never call the handler,
and log the defect at DEBUG (never ERROR). The server runs with small
``Limits`` so that every over-limit request stays a few KiB: it then arrives in
one read, and the close cannot race unread input into a TCP reset.

Rows whose defect is in a chunked body arrive whole too, so the server sees
the defect before the request is dispatched and the handler must not run;
``test_bad_chunk_while_the_handler_reads_the_body`` covers the other case, a
defect that arrives while the handler is already reading.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from jackfield import web

from .conftest import CountingApp, exchange, read_to_close

LIMITS = web.Limits(
    max_request_line=1024,
    max_field_size=1024,
    max_headers_size=4096,
    max_header_count=20,
    max_chunk_ext_size=64,
    max_trailer_size=256,
    max_trailer_count=4,
)
SERVER_OPTIONS: dict[str, Any] = {"head_timeout": 0.3, "limits": LIMITS}


def req(start: bytes = b"GET / HTTP/1.1", *lines: bytes, body: bytes = b"") -> bytes:
    """A request head from a request line and field lines, then ``body``."""
    return start + b"\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def get(*lines: bytes) -> bytes:
    """GET / with a valid Host and the extra field lines."""
    return req(b"GET / HTTP/1.1", b"Host: t", *lines)


def line(start: bytes) -> bytes:
    """A request with the request line ``start`` and a valid Host."""
    return req(start, b"Host: t")


def post_cl(*values: bytes) -> bytes:
    """POST with one Content-Length field line per value and a 5-byte body."""
    fields = [b"Content-Length: " + v for v in values]
    return req(b"POST / HTTP/1.1", b"Host: t", *fields, body=b"12345")


def post_te(value: bytes, start: bytes = b"POST / HTTP/1.1") -> bytes:
    """POST with ``Transfer-Encoding: value`` and an empty chunked body."""
    return req(start, b"Host: t", b"Transfer-Encoding: " + value, body=b"0\r\n\r\n")


def chunked(body: bytes) -> bytes:
    """POST with a chunked body given verbatim."""
    return req(b"POST / HTTP/1.1", b"Host: t", b"Transfer-Encoding: chunked", body=body)


REQUEST_LINE = [
    pytest.param(line(b"G(ET / HTTP/1.1"), 400, id="method-bad-char"),
    pytest.param(line(b"G\xc9T / HTTP/1.1"), 400, id="method-non-ascii"),
    pytest.param(line(b" / HTTP/1.1"), 400, id="method-missing"),
    pytest.param(line(b"GET  / HTTP/1.1"), 400, id="double-space-after-method"),
    pytest.param(line(b"GET /  HTTP/1.1"), 400, id="double-space-before-version"),
    pytest.param(line(b"GET / HTTP/1.1 "), 400, id="trailing-space"),
    pytest.param(line(b"GET\t/ HTTP/1.1"), 400, id="tab-as-separator"),
    pytest.param(line(b"GET /"), 400, id="missing-version"),
    pytest.param(b"GET /\r\n", 400, id="http09-simple-request"),
    pytest.param(line(b"GET / HTTP/2.0"), 505, id="version-http2"),
    pytest.param(line(b"GET / HTTP/3.0"), 505, id="version-http3"),
    pytest.param(line(b"GET / HTTP/0.9"), 505, id="version-http09"),
    pytest.param(line(b"GET / http/1.1"), 400, id="version-lowercase"),
    pytest.param(line(b"GET / HTTP/1.x"), 400, id="version-not-a-digit"),
    pytest.param(line(b"GET / HTTP/1.10"), 400, id="version-two-digit-minor"),
    pytest.param(line(b"GET / HTTPS/1.1"), 400, id="version-wrong-protocol"),
    pytest.param(line(b"GET /a\x01b HTTP/1.1"), 400, id="target-control-char"),
    pytest.param(line(b"GET /a\x7fb HTTP/1.1"), 400, id="target-del-char"),
    pytest.param(line(b"GET /caf\xc3\xa9 HTTP/1.1"), 400, id="target-non-ascii"),
    pytest.param(line(b"GET /a b HTTP/1.1"), 400, id="target-space"),
    pytest.param(line(b"GET http:/// HTTP/1.1"), 400, id="absolute-form-no-host"),
    pytest.param(line(b"GET ://t/ HTTP/1.1"), 400, id="absolute-form-no-scheme"),
    pytest.param(line(b"GET http://a b/ HTTP/1.1"), 400, id="absolute-form-space-in-host"),
    pytest.param(line(b"GET index.html HTTP/1.1"), 400, id="target-relative-path"),
    pytest.param(line(b"GET * HTTP/1.1"), 400, id="asterisk-with-get"),
    pytest.param(line(b"CONNECT /x HTTP/1.1"), 400, id="connect-without-authority"),
    pytest.param(line(b"GET /" + b"a" * 1100 + b" HTTP/1.1"), 414, id="request-line-too-long"),
    pytest.param(b"GET /?q=" + b"a" * 1100, 414, id="target-too-long-before-crlf"),
    pytest.param(b"\r\n" * 5 + get(), 400, id="too-many-empty-lines-first"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, id="tls-handshake"),
    pytest.param(b"\x00\xff\xfe garbage", 400, id="binary-garbage"),
]

HEADERS = [
    pytest.param(req(b"GET / HTTP/1.1", b"Host : t"), 400, id="space-before-colon"),
    pytest.param(get(b"X-A\t: b"), 400, id="tab-before-colon"),
    pytest.param(get(b"X-A: b", b" folded"), 400, id="obs-fold"),
    pytest.param(req(b"GET / HTTP/1.1", b" Host: t"), 400, id="obs-fold-first-field"),
    pytest.param(get(b"X-A: b\rc"), 400, id="bare-cr-in-value"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n", 400, id="bare-lf-one-line"),
    pytest.param(b"GET / HTTP/1.1\nHost: t\n\n", 400, id="bare-lf-line-endings"),
    pytest.param(get(b"X-A: b\x00c"), 400, id="nul-in-value"),
    pytest.param(get(b"X-A: b\x07c"), 400, id="bell-in-value"),
    pytest.param(get(b"X-A: \x1b[31mred"), 400, id="escape-in-value"),
    pytest.param(get(b"X-A: b\x7fc"), 400, id="del-in-value"),
    pytest.param(get(b"X(A): b"), 400, id="invalid-name-char"),
    pytest.param(get(b"X-\xc4: b"), 400, id="non-ascii-name"),
    pytest.param(get(b": b"), 400, id="empty-name"),
    pytest.param(get(b"X-A b"), 400, id="field-without-colon"),
    pytest.param(req(b"GET / HTTP/1.1"), 400, id="missing-host-http11"),
    pytest.param(get(b"Host: u"), 400, id="two-hosts"),
    pytest.param(req(b"GET / HTTP/1.1", b"Host: a b"), 400, id="host-with-space"),
    pytest.param(req(b"GET / HTTP/1.1", b"Host: a/b"), 400, id="host-with-slash"),
    pytest.param(req(b"GET / HTTP/1.1", b"Host: u@a"), 400, id="host-with-userinfo"),
    pytest.param(req(b"GET / HTTP/1.1", b"Host: a:port"), 400, id="host-non-numeric-port"),
]

FRAMING = [
    pytest.param(
        req(
            b"POST / HTTP/1.1",
            b"Host: t",
            b"Content-Length: 5",
            b"Transfer-Encoding: chunked",
            body=b"0\r\n\r\n",
        ),
        400,
        id="cl-and-te",
    ),
    pytest.param(post_cl(b"-5"), 400, id="cl-negative"),
    pytest.param(post_cl(b"+5"), 400, id="cl-plus-sign"),
    pytest.param(post_cl(b"0x5"), 400, id="cl-hex"),
    pytest.param(post_cl(b"5 5"), 400, id="cl-inner-space"),
    pytest.param(post_cl(b"5.0"), 400, id="cl-decimal-point"),
    pytest.param(post_cl(b""), 400, id="cl-empty"),
    pytest.param(post_cl(b"9" * 20), 400, id="cl-overflow"),
    pytest.param(post_cl(b"5", b"6"), 400, id="cl-duplicate-disagreeing"),
    pytest.param(post_cl(b"5, 6"), 400, id="cl-list-disagreeing"),
    pytest.param(post_te(b"gzip, chunked"), 501, id="te-gzip-then-chunked"),
    pytest.param(post_te(b"gzip"), 400, id="te-gzip-without-chunked"),
    pytest.param(post_te(b"chunked, gzip"), 400, id="te-chunked-not-last"),
    pytest.param(post_te(b"chunked, chunked"), 400, id="te-chunked-twice"),
    pytest.param(post_te(b"chunked;q=1"), 400, id="te-chunked-with-parameter"),
    pytest.param(post_te(b"chunked", start=b"POST / HTTP/1.0"), 400, id="te-on-http10"),
    pytest.param(chunked(b"1" * 17 + b"\r\nx\r\n0\r\n\r\n"), 400, id="chunk-size-overflow"),
    pytest.param(chunked(b"fffffffff\r\nabc\r\n0\r\n\r\n"), 400, id="chunk-size-over-limit"),
    pytest.param(chunked(b"zz\r\nabc\r\n0\r\n\r\n"), 400, id="chunk-size-non-hex"),
    pytest.param(chunked(b"-3\r\nabc\r\n0\r\n\r\n"), 400, id="chunk-size-negative"),
    pytest.param(chunked(b"3\nabc\r\n0\r\n\r\n"), 400, id="chunk-size-bare-lf"),
    pytest.param(chunked(b"3\r\nabcXY\r\n0\r\n\r\n"), 400, id="chunk-data-missing-crlf"),
    pytest.param(
        chunked(b"3;x=" + b"v" * 100 + b"\r\nabc\r\n0\r\n\r\n"), 400, id="chunk-ext-too-long"
    ),
    pytest.param(chunked(b"3;=v\r\nabc\r\n0\r\n\r\n"), 400, id="chunk-ext-malformed"),
    pytest.param(chunked(b"0\r\nX-T: " + b"t" * 300 + b"\r\n\r\n"), 431, id="trailer-too-large"),
    pytest.param(chunked(b"0\r\n" + b"X-T: t\r\n" * 6 + b"\r\n"), 431, id="too-many-trailers"),
    pytest.param(chunked(b"0\r\nX-T : t\r\n\r\n"), 400, id="trailer-space-before-colon"),
]

LIMIT_ROWS = [
    pytest.param(get(b"X-Long: " + b"v" * 1100), 431, id="header-line-too-long"),
    pytest.param(get(*(b"X-F%d: v" % i for i in range(25))), 431, id="too-many-headers"),
    pytest.param(
        get(*(b"X-F%d: " % i + b"v" * 300 for i in range(18))), 431, id="header-section-too-big"
    ),
    pytest.param(b"GET / HTTP/1.1\r\nHost: t\r\n", 408, id="slow-head"),
    pytest.param(b"GET / HT", 408, id="slow-request-line"),
]

BAD = REQUEST_LINE + HEADERS + FRAMING + LIMIT_ROWS


def test_the_table_covers_enough_defects() -> None:
    assert len(BAD) >= 45
    ids = [row.id for row in BAD]
    assert len(set(ids)) == len(ids), "duplicate ids in the table"


@pytest.mark.parametrize(("data", "status"), BAD)
async def test_bad_request_is_answered_and_closed(
    server_for: Any,
    counting: CountingApp,
    caplog: pytest.LogCaptureFixture,
    data: bytes,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG, logger="jackfield")
    server = await server_for(counting.app, **SERVER_OPTIONS)

    got = await exchange(server.port, data)

    assert counting.calls == [], "bad input reached the handler"
    assert got.statuses == [status], got.raw
    assert got.closed, f"server kept the connection open after {got.raw!r}"
    assert b"\r\nconnection: close\r\n" in got.head.lower() + b"\r\n"
    debug = [
        r
        for r in caplog.records
        if r.name == "jackfield.server" and r.levelno == logging.DEBUG and str(status) in r.message
    ]
    assert debug, "the defect was not logged at DEBUG"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("bad_part", "status"),
    [
        pytest.param(b"zz\r\n", 400, id="chunk-size-non-hex"),
        pytest.param(b"3\r\nabcXY", 400, id="chunk-data-missing-crlf"),
        pytest.param(
            b"0\r\nX-T: " + b"t" * 300 + b"\r\n\r\n",
            431,
            id="trailer-too-large",
        ),
    ],
)
async def test_bad_chunk_while_the_handler_reads_the_body(
    server_for: Any, bad_part: bytes, status: int
) -> None:
    entered = asyncio.Event()
    failures: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        entered.set()
        try:
            await request.read()
        except web.HTTPException as exc:
            failures.append(exc.status)
            raise
        return web.Response(text="read it all")

    app = web.Application()
    app.router.add_post("/", handler)
    server = await server_for(app, **SERVER_OPTIONS)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(chunked(b"3\r\nabc\r\n"))
        await asyncio.wait_for(entered.wait(), 3)
        # The handler is running and waiting for more body: now the defect.
        writer.write(bad_part)
        got = await read_to_close(reader)
    finally:
        writer.close()

    assert failures == [status], "read() should fail with the parser's status"
    assert got.statuses == [status], got.raw
    assert got.closed
    assert b"\r\nconnection: close\r\n" in got.head.lower() + b"\r\n"


async def test_body_over_client_max_size_gets_413_from_read(server_for: Any) -> None:
    counting = CountingApp(app=web.Application(client_max_size=1000))
    server = await server_for(counting.app, **SERVER_OPTIONS)
    post = req(b"POST / HTTP/1.1", b"Host: t", b"Content-Length: 2000", body=b"x" * 2000)
    after = get(b"Connection: close")

    got = await exchange(server.port, post + after)

    # The handler runs and read() raises 413; the unread body is small enough
    # to be discarded, so the pipelined request after it is served.
    assert counting.read_errors == [413]
    assert got.statuses == [413, 200], got.raw
    assert b"1000" in got.raw.split(b"HTTP/1.1 200")[0]
    assert counting.calls == ["POST /", "GET /"]
    assert got.closed


async def test_huge_declared_body_gets_413_and_close_without_sending_it(server_for: Any) -> None:
    counting = CountingApp(app=web.Application(client_max_size=1000))
    server = await server_for(counting.app, **SERVER_OPTIONS)
    post = req(b"POST / HTTP/1.1", b"Host: t", b"Content-Length: 100000000", body=b"x" * 100)

    # The server knows at once it will not read 100 MB: a second is plenty to close.
    got = await exchange(server.port, post, bound=1.0)

    assert counting.read_errors == [413]
    assert got.statuses == [413], got.raw
    assert got.closed, "server waits for a 100 MB body it is going to throw away"


async def test_huge_declared_body_413_announces_the_close(server_for: Any) -> None:
    counting = CountingApp(app=web.Application(client_max_size=1000))
    server = await server_for(counting.app, **SERVER_OPTIONS)
    post = req(b"POST / HTTP/1.1", b"Host: t", b"Content-Length: 100000000", body=b"x" * 100)

    got = await exchange(server.port, post, bound=1.0)

    assert got.statuses == [413], got.raw
    assert b"\r\nconnection: close\r\n" in got.head.lower() + b"\r\n"


async def test_valid_pipelined_requests_before_a_bad_one_are_answered(
    server_for: Any, counting: CountingApp
) -> None:
    server = await server_for(counting.app, **SERVER_OPTIONS)
    bad = req(b"GET /?3 HTTP/1.1", b"Host : t")
    data = req(b"GET /?1 HTTP/1.1", b"Host: t") + req(b"GET /?2 HTTP/1.1", b"Host: t") + bad

    got = await exchange(server.port, data)

    assert got.statuses == [200, 200, 400], got.raw
    assert got.raw.index(b"ok /?1") < got.raw.index(b"ok /?2")
    assert got.closed
    assert counting.calls == ["GET /?1", "GET /?2"]


async def test_garbage_after_a_valid_request_on_the_same_connection(
    server_for: Any, counting: CountingApp
) -> None:
    server = await server_for(counting.app, **SERVER_OPTIONS)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(get())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert await asyncio.wait_for(reader.readexactly(len(b"ok / 0")), 3) == b"ok / 0"

        writer.write(b"\x00\x01garbage that is not HTTP\r\n\r\n")
        got = await read_to_close(reader)
    finally:
        writer.close()
    assert got.statuses == [400], got.raw
    assert got.closed
    assert counting.calls == ["GET /"]


async def test_server_still_serves_after_every_kind_of_bad_input(
    server_for: Any, counting: CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jackfield")
    server = await server_for(counting.app, **SERVER_OPTIONS)
    results = await asyncio.gather(*(exchange(server.port, row.values[0]) for row in BAD))

    for row, got in zip(BAD, results, strict=True):
        assert got.statuses == [row.values[1]], row.id
        assert got.closed, row.id
    async with httpx.AsyncClient() as client:
        first = await client.get(server.make_url("/?after"))
        second = await client.post(server.make_url("/?again"), content=b"abc")
    assert (first.status_code, first.text) == (200, "ok /?after 0")
    assert (second.status_code, second.text) == (200, "ok /?again 3")
    assert counting.calls == ["GET /?after", "POST /?again"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
