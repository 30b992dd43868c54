"""The kernel serves on uvloop too (the ``speedups`` extra)."""

from __future__ import annotations

import asyncio

import uvloop

from jackfield.responses.response import Response
from jackfield.server.server import Server

from ..conftest import exchange, make_tiny_app, statuses


def test_hello_and_a_suspending_handler_on_uvloop() -> None:
    async def main() -> bytes:
        app = make_tiny_app()

        async def hello(request: object) -> Response:
            return Response(text="Hello, world")

        async def slow(request: object) -> Response:
            await asyncio.sleep(0.01)
            return Response(text="slow")

        app.router.add("GET", "/", hello)
        app.router.add("GET", "/slow", slow)
        app.freeze()
        server = Server(app)
        srv = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        try:
            return await exchange(
                port,
                b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
                b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            )
        finally:
            srv.close()
            await server.shutdown(1.0)

    raw = uvloop.run(main())
    assert statuses(raw) == [200, 200, 200]
    assert raw.count(b"Hello, world") == 2 and b"slow" in raw
