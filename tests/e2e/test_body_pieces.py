"""A body sent in tiny pieces costs the server no more than its body buffer (issue 20).

Found by ``bench/hostile.py --scenario tiny_pieces``: 2-byte chunks to a
handler that has not read yet still cost ~670 KiB per connection after the
per-piece cost was counted, because the connection parsed everything one
socket read brought in (up to 256 KiB, ~37,000 chunks) into the body stream
after it had asked to pause. Here a real server on a loopback port gets such
a body from a raw socket, and the handler looks at how much was buffered
before it reads.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jackfield import web

from .conftest import exchange

PIECES = 40_000  # 2-byte chunks: 80,000 bytes of body, 280,000 on the wire
CHUNKED = b"2\r\nab\r\n" * PIECES + b"0\r\n\r\n"
HEAD = b"POST /wait HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
# 64 KiB of body buffer at 2 bytes + 64 of cost a piece: about 1,000 pieces.
BUFFERED_AT_MOST = 4096


def waiting_app(release: asyncio.Event, buffered: list[int]) -> web.Application:
    """``POST /wait`` reads nothing until ``release``, then reads its body in small reads."""

    async def wait(request: web.Request) -> web.Response:
        await release.wait()
        buffered.append(request.content.total_bytes)
        got = bytearray()
        async for piece in request.content.iter_chunked(1000):
            got += piece
        ok = got == b"ab" * PIECES
        return web.Response(text=f"got {len(got)} {'intact' if ok else 'CORRUPT'}")

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="next")

    app = web.Application()
    app.router.add_post("/wait", wait)
    app.router.add_get("/next", hello)
    return app


async def test_tiny_chunks_to_a_handler_that_has_not_read_stay_within_the_buffer(
    server_for: Any,
) -> None:
    release, buffered = asyncio.Event(), []
    srv = await server_for(waiting_app(release, buffered))
    sent = asyncio.create_task(exchange(srv.port, HEAD + CHUNKED[:-5], bound=10))
    await asyncio.sleep(0.5)  # the server reads what it will, then pauses
    release.set()
    await asyncio.sleep(0.2)
    sent.cancel()  # the body never ends: the handler is still reading
    assert buffered, "the handler never ran"
    assert buffered[0] <= BUFFERED_AT_MOST, f"{buffered[0]} body bytes buffered unread"


async def test_the_body_arrives_whole_and_the_next_request_is_served(server_for: Any) -> None:
    release, buffered = asyncio.Event(), []
    srv = await server_for(waiting_app(release, buffered))
    pipelined = HEAD + CHUNKED + b"GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    sent = asyncio.create_task(exchange(srv.port, pipelined, bound=10))
    await asyncio.sleep(0.5)
    release.set()
    answer = await sent
    assert answer.closed
    assert answer.statuses == [200, 200], answer.raw[-200:]
    assert b"got 80000 intact" in answer.raw
    assert answer.raw.endswith(b"next")
    assert buffered[0] <= BUFFERED_AT_MOST, f"{buffered[0]} body bytes buffered unread"
