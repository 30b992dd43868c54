"""What graceful shutdown does with connections that are not handling a request.

Issue 20: requests that reached the server just as it began to shut down were
closed as idle. Now no connection closes while a request may be on its way:
one whose request bytes wait unread in its socket is answered, an idle one
gets ``SHUTDOWN_GRACE`` seconds for one more request (answered with
``Connection: close``), and connections still in the listen queue when the
site stops are accepted and served, not reset.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest
import uvloop

from jackfield.responses.response import Response
from jackfield.runner.runner import AppRunner, TCPSite
from jackfield.server.server import SHUTDOWN_GRACE

from ..conftest import make_tiny_app

GUARD = 5.0
REQUEST = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"


async def start() -> tuple[AppRunner, int]:
    app = make_tiny_app()

    async def hello(request: object) -> Response:
        return Response(text="hello")

    app.router.add("GET", "/", hello)
    runner = AppRunner(app, access_log=None)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site.port


async def connect(port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    return sock


async def read_response(sock: socket.socket) -> bytes:
    """One response whose body is ``hello``."""
    loop = asyncio.get_running_loop()
    data = b""
    while not data.endswith(b"hello"):
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), GUARD)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data


async def read_to_end(sock: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    try:
        while chunk := await asyncio.wait_for(loop.sock_recv(sock, 4096), GUARD):
            data += chunk
    except ConnectionResetError:
        data += b"<reset>"
    return data


async def until_admitted(runner: AppRunner, count: int) -> None:
    server = runner.server
    assert server is not None
    deadline = time.monotonic() + GUARD
    while len(server.connections) < count:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)


async def test_a_request_unread_in_the_socket_at_shutdown_is_answered() -> None:
    runner, port = await start()
    sock = await connect(port)
    try:
        sock.send(REQUEST)
        await read_response(sock)  # the connection has served one request: now idle
        server = runner.server
        assert server is not None
        # The next request reaches the server's socket; before the loop reads
        # it, shutdown begins (all in this one loop turn).
        sock.send(REQUEST)
        server.pre_shutdown()
        answer = await read_to_end(sock)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert b"\r\nConnection: close\r\n" in answer and answer.endswith(b"hello")
    finally:
        sock.close()
        await runner.cleanup()


async def test_a_fresh_connection_gets_the_grace_for_its_first_request() -> None:
    runner, port = await start()
    fresh = await connect(port)
    try:
        await until_admitted(runner, 1)
        cleanup = asyncio.create_task(runner.cleanup())
        await asyncio.sleep(SHUTDOWN_GRACE / 5)  # the request comes after shutdown began
        fresh.send(REQUEST)
        answer = await read_to_end(fresh)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert b"\r\nConnection: close\r\n" in answer and answer.endswith(b"hello")
        await asyncio.wait_for(cleanup, GUARD)
    finally:
        fresh.close()


async def test_an_idle_keepalive_connection_gets_the_grace_for_one_more_request() -> None:
    runner, port = await start()
    used = await connect(port)
    try:
        used.send(REQUEST)
        await read_response(used)  # between two requests now
        cleanup = asyncio.create_task(runner.cleanup())
        await asyncio.sleep(SHUTDOWN_GRACE / 5)
        used.send(REQUEST)
        answer = await read_to_end(used)  # answered, then closed
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
        assert b"\r\nConnection: close\r\n" in answer and answer.endswith(b"hello")
        await asyncio.wait_for(cleanup, GUARD)
    finally:
        used.close()


async def test_silent_connections_close_when_the_grace_ends() -> None:
    runner, port = await start()
    used, silent = await connect(port), await connect(port)
    try:
        used.send(REQUEST)
        await read_response(used)
        await until_admitted(runner, 2)
        loop = asyncio.get_running_loop()
        began = loop.time()
        cleanup = asyncio.create_task(runner.cleanup())
        assert await read_to_end(used) == b""
        assert await read_to_end(silent) == b""
        waited = loop.time() - began
        assert SHUTDOWN_GRACE * 0.9 <= waited < SHUTDOWN_GRACE + 2.0, waited
        await asyncio.wait_for(cleanup, GUARD)
        assert loop.time() - began < SHUTDOWN_GRACE + 2.0
    finally:
        used.close()
        silent.close()


async def test_pre_shutdown_twice_changes_nothing_the_first_did_not() -> None:
    runner, port = await start()
    fresh = await connect(port)
    try:
        await until_admitted(runner, 1)
        server = runner.server
        assert server is not None
        server.pre_shutdown()
        server.pre_shutdown()  # Server.shutdown() calls it again: the grace still holds
        await asyncio.sleep(SHUTDOWN_GRACE / 5)
        fresh.send(REQUEST)
        answer = await read_to_end(fresh)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
    finally:
        fresh.close()
        await runner.cleanup()


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_a_connection_still_in_the_listen_queue_at_shutdown_is_served(
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    async def main() -> bytes:
        runner, port = await start()
        # Connected and sent in this loop turn: the kernel holds the connection
        # in the listen queue, not yet accepted by the loop, when the site stops.
        client = socket.create_connection(("127.0.0.1", port), timeout=GUARD)
        try:
            client.sendall(REQUEST)
            (site,) = runner.sites
            await site.stop()
            cleanup = asyncio.create_task(runner.cleanup())
            client.setblocking(False)
            answer = await read_to_end(client)
            await asyncio.wait_for(cleanup, GUARD)
            return answer
        finally:
            client.close()

    loop = loop_factory()
    try:
        answer = loop.run_until_complete(main())
    finally:
        loop.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer
    assert answer.endswith(b"hello")
