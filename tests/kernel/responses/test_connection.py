"""``jackfield.responses.Connection`` as ``HttpProtocol`` implements it: sendfile over a socket."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from jackfield import web
from jackfield.responses.connection import Connection
from jackfield.testing.testing import TestServer


async def fetch(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
    try:
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_sendfile_sends_the_span_after_the_head(tmp_path: Path) -> None:
    # More than a socket buffer takes (tcp_wmem allows 4 MiB by default): the first
    # os.sendfile cannot send it all and loop.sendfile sends the rest.
    data = os.urandom(12 * 1024 * 1024)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    sent: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = len(data) - 10
        conn: Connection = await response.prepare(request)
        with open(path, "rb") as f:
            sent.append(await conn.sendfile(f, 10, len(data) - 10))
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    async with TestServer(app) as server:
        answer = await fetch(server.port, "/")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == data[10:] and sent == [len(data) - 10]


async def test_sendfile_reports_a_file_that_ends_early(tmp_path: Path) -> None:
    path = tmp_path / "short.bin"
    path.write_bytes(b"0123456789")
    sent: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 10
        conn: Connection = await response.prepare(request)
        with open(path, "rb") as f:
            sent.append(await conn.sendfile(f, 4, 100))
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    async with TestServer(app) as server:
        answer = await fetch(server.port, "/")
    assert sent == [6] and answer.endswith(b"456789")
