"""Fixtures for the static plugin: a real tree of files and a real server serving it.

``tree`` is a directory under ``tmp_path`` with ``www/`` (the root: files,
a subdirectory, symlinks inside and out) next to ``www-private/`` (a
sibling whose name starts with the root's) and ``outside.txt``.
``serve(**options)`` starts ``add_static('/static', www, **options)`` on a
loopback port and returns a ``Served`` with the port and an httpx client.
``raw(port, request_bytes)`` sends bytes on a socket and returns all of
the answer up to the close (for paths httpx would normalize).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jackfield import web
from jackfield.testing.testing import TestServer

SECRET = b"secret outside the root\n"
HELLO = b"hello, static world\n"


@dataclass
class Served:
    """A started server: its port, root and an httpx client bound to it."""

    server: TestServer
    client: httpx.AsyncClient
    root: Path

    @property
    def port(self) -> int:
        return self.server.port

    async def raw(self, request: bytes) -> bytes:
        return await raw(self.port, request)


async def raw(port: int, request: bytes, *, bound: float = 5.0) -> bytes:
    """Send ``request`` on a new connection; return everything read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), bound)
    finally:
        writer.close()


def status_of(answer: bytes) -> int:
    """The status code of the first response in ``answer``."""
    return int(answer.split(b" ", 2)[1])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The served root ``www`` and its neighbours (see the module docstring)."""
    www = tmp_path / "www"
    (www / "sub" / "deeper").mkdir(parents=True)
    (www / "hello.txt").write_bytes(HELLO)
    (www / "sub" / "page.html").write_text("<p>page</p>")
    (www / "sub" / "deeper" / "data.bin").write_bytes(bytes(range(256)) * 4)
    (www / "app.js").write_text("console.log(1);\n")
    (www / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    private = tmp_path / "www-private"
    private.mkdir()
    (private / "key.txt").write_bytes(SECRET)
    (tmp_path / "outside.txt").write_bytes(SECRET)
    (www / "link-in.txt").symlink_to(www / "hello.txt")
    (www / "link-out.txt").symlink_to(tmp_path / "outside.txt")
    (www / "linkdir").symlink_to(www / "sub")
    (www / "escape").symlink_to(tmp_path)
    return www


@pytest.fixture
async def serve(tree: Path) -> AsyncIterator[Callable[..., Awaitable[Served]]]:
    """``await serve(**add_static_options)`` -> a started ``Served``; all closed at the end."""
    started: list[tuple[TestServer, httpx.AsyncClient]] = []

    async def start(root: Path | None = None, **options: Any) -> Served:
        app = web.Application()
        app.router.add_static("/static", root or tree, **options)
        server = TestServer(app)
        await server.start()
        client = httpx.AsyncClient(base_url=server.make_url("/"), timeout=5.0)
        started.append((server, client))
        return Served(server, client, root or tree)

    yield start
    for server, client in started:
        await client.aclose()
        await server.close()
