"""Deadlines for clients that send too slowly or stop reading (issue 20).

A real server on a loopback port and raw sockets, so the client can send
one byte at a time, stall mid-body or never read. The timeouts are short
here; their defaults are in docs/http.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from jackfield import web

# Short deadlines: a body gets 0.3 s of grace, then must average 20 bytes/s.
FAST = {"body_timeout": 0.3, "body_min_rate": 20.0, "send_timeout": 0.3}


class Client:
    """A raw non-blocking socket driven from the test's event loop."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def connect(cls, host: str, port: int, *, rcvbuf: int | None = None) -> Client:
        sock = socket.socket()
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        return cls(sock)

    async def send(self, data: bytes) -> None:
        await self.loop.sock_sendall(self.sock, data)

    async def read_all(self, timeout: float = 5.0) -> bytes:
        """Everything until the server closes (or ``timeout``, which fails)."""
        got = bytearray()
        async with asyncio.timeout(timeout):
            while True:
                try:
                    piece = await self.loop.sock_recv(self.sock, 65536)
                except ConnectionResetError:
                    break
                if not piece:
                    break
                got += piece
        return bytes(got)

    def close(self) -> None:
        self.sock.close()


def echo_app(seen: list[str]) -> web.Application:
    async def upload(request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPException as exc:
            seen.append(f"read raised {exc.status}")
            raise
        seen.append(f"read {len(body)}")
        return web.Response(text=f"got {len(body)}")

    app = web.Application()
    app.router.add_post("/upload", upload)
    return app


def big_app(body: bytes) -> web.Application:
    """``GET /big`` answers ``body`` as one ``Response``."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/big", handler)
    return app


async def wait_until_gone(srv: Any, timeout: float) -> bool:
    """True once the server has no connection left (within ``timeout``)."""
    connections = srv.runner.server.connections
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not connections:
            return True
        await asyncio.sleep(0.05)
    return not connections


async def test_a_body_trickling_in_too_slowly_gets_408(server_for: Any) -> None:
    seen: list[str] = []
    srv = await server_for(echo_app(seen), **FAST)
    client = await Client.connect(srv.host, srv.port)
    try:
        await client.send(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n")
        started = time.monotonic()

        async def trickle() -> None:  # 1 byte per 0.1 s: 10 bytes/s, under the 20 asked
            with contextlib.suppress(OSError):
                for _ in range(1000):
                    await client.send(b"x")
                    await asyncio.sleep(0.1)

        sender = asyncio.create_task(trickle())
        answer = await client.read_all(timeout=5)
        elapsed = time.monotonic() - started
        sender.cancel()
    finally:
        client.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:80]
    assert b"Connection: close" in answer
    assert seen == ["read raised 408"]  # the handler learnt it from its read
    # 0.3 s of grace, then the 20 bytes/s it falls behind: about 0.6 s.
    assert 0.4 < elapsed < 3, elapsed


async def test_a_chunked_body_that_stalls_gets_408(server_for: Any) -> None:
    seen: list[str] = []
    srv = await server_for(echo_app(seen), **FAST)
    client = await Client.connect(srv.host, srv.port)
    try:
        await client.send(
            b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        )
        answer = await client.read_all(timeout=5)
    finally:
        client.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert seen == ["read raised 408"]


async def test_a_body_nobody_has_read_yet_does_not_time_out(server_for: Any) -> None:
    """Queued behind a slow request, the body is not late: the server is."""
    seen: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.8)
        return web.Response(text="slow")

    app = echo_app(seen)
    app.router.add_get("/slow", slow)
    srv = await server_for(app, **FAST)
    client = await Client.connect(srv.host, srv.port)
    body = b"b" * 300_000  # more than the body buffer: reading the socket pauses
    try:
        await client.send(
            b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
            b"POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        await client.send(body)
        answer = await client.read_all(timeout=5)
    finally:
        client.close()
    assert answer.count(b"HTTP/1.1 200 OK\r\n") == 2, answer[:200]
    assert answer.endswith(b"got 300000")
    assert seen == ["read 300000"]


async def test_a_handler_that_reads_slowly_does_not_time_the_client_out(
    server_for: Any,
) -> None:
    async def sip(request: web.Request) -> web.Response:
        total = 0
        while piece := await request.content.read(65536):
            total += len(piece)
            await asyncio.sleep(0.1)  # slower than the client: reading pauses
        return web.Response(text=f"sipped {total}")

    app = web.Application()
    app.router.add_post("/sip", sip)
    srv = await server_for(app, **FAST)
    client = await Client.connect(srv.host, srv.port)
    body = b"s" * 1_000_000
    try:
        await client.send(
            b"POST /sip HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        await client.send(body)
        answer = await client.read_all(timeout=10)
    finally:
        client.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:80]
    assert answer.endswith(b"sipped 1000000")


async def test_a_client_waiting_for_100_continue_is_not_late(server_for: Any) -> None:
    seen: list[str] = []

    async def think_then_read(request: web.Request) -> web.Response:
        await asyncio.sleep(0.6)  # longer than body_timeout before asking for the body
        body = await request.read()
        seen.append(f"read {len(body)}")
        return web.Response(text=f"got {len(body)}")

    app = web.Application()
    app.router.add_post("/upload", think_then_read)
    srv = await server_for(app, **FAST)
    client = await Client.connect(srv.host, srv.port)
    try:
        await client.send(
            b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = await asyncio.wait_for(client.loop.sock_recv(client.sock, 1024), 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        await client.send(b"data")
        answer = await client.read_all(timeout=5)
    finally:
        client.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:80]
    assert seen == ["read 4"]


async def test_a_connection_closing_behind_unread_output_is_aborted(server_for: Any) -> None:
    """``Connection: close`` and a peer that never reads: close() alone waited forever."""
    srv = await server_for(big_app(b"z" * (8 * 2**20)), keepalive_timeout=60, **FAST)
    client = await Client.connect(srv.host, srv.port, rcvbuf=4096)
    try:
        await client.send(b"GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        await asyncio.sleep(0.2)
        assert srv.runner.server.connections, "the connection never showed up"
        assert await wait_until_gone(srv, 3), "the connection that is not read was kept"
    finally:
        client.close()


async def test_a_streaming_handler_blocked_on_a_reader_that_stopped_is_ended(
    server_for: Any,
) -> None:
    ended: list[str] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            while True:
                await response.write(b"w" * 65536)
        except (ConnectionError, asyncio.CancelledError) as exc:
            ended.append(type(exc).__name__)
            raise

    app = web.Application()
    app.router.add_get("/stream", stream)
    srv = await server_for(app, keepalive_timeout=60, **FAST)
    client = await Client.connect(srv.host, srv.port, rcvbuf=4096)
    try:
        await client.send(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
        assert await wait_until_gone(srv, 3), "the stalled stream was never ended"
        for _ in range(20):
            if ended:
                break
            await asyncio.sleep(0.05)
    finally:
        client.close()
    assert ended, "the handler never learnt that its client was gone"


async def test_a_slow_but_steady_reader_gets_the_whole_answer(server_for: Any) -> None:
    """The send deadline counts time without progress, not the whole transfer."""
    big = b"r" * (4 * 2**20)
    srv = await server_for(big_app(big), **FAST)
    client = await Client.connect(srv.host, srv.port, rcvbuf=65536)
    try:
        await client.send(b"GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        got = bytearray()
        started = time.monotonic()
        async with asyncio.timeout(20):
            while True:
                piece = await client.loop.sock_recv(client.sock, 256 * 1024)
                if not piece:
                    break
                got += piece
                await asyncio.sleep(0.02)  # a slow reader, slower than one buffer a send_timeout
        elapsed = time.monotonic() - started
    finally:
        client.close()
    assert got.endswith(big), f"{len(got)} bytes"
    assert elapsed > FAST["send_timeout"]  # it really took longer than the deadline
