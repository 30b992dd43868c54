"""Helpers for end-to-end fault tests: a counting app and raw-socket exchanges.

Every e2e test runs a real server on 127.0.0.1 (``server_for`` from
``jackfield.testing``) built with the public API (``from jackfield import web``
and the routing plugin's ``app.router``). Malformed input goes over raw
``asyncio`` sockets, because no HTTP client will send it.

``exchange`` reads until the server closes, with a bound, and reports whether
the close happened: a server that answers bad input but keeps the connection
open (or never answers) shows up as ``closed=False``, not as a hung test.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import pytest

from jackfield import web

READ_BOUND = 3.0
"""Seconds a test waits for the server to answer and close; generous, never reached."""


@dataclass
class Exchange:
    """What came back on one raw connection: the bytes, and whether the server closed it."""

    raw: bytes
    closed: bool

    @property
    def statuses(self) -> list[int]:
        """The status codes of every response in ``raw``, in order."""
        return statuses(self.raw)

    @property
    def head(self) -> bytes:
        """The first response's head (status line and fields, no final CRLF CRLF)."""
        return self.raw.partition(b"\r\n\r\n")[0]


def statuses(raw: bytes) -> list[int]:
    """Return the status code of every response found in ``raw``."""
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]


async def exchange(port: int, data: bytes, *, bound: float = READ_BOUND) -> Exchange:
    """Send ``data`` in one write and read until the server closes or ``bound`` passes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await read_to_close(reader, bound=bound)
    finally:
        writer.close()


async def read_to_close(reader: asyncio.StreamReader, *, bound: float = READ_BOUND) -> Exchange:
    """Read everything until EOF; ``closed`` is False if ``bound`` seconds pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    got = bytearray()
    while True:
        left = deadline - loop.time()
        if left <= 0:
            return Exchange(bytes(got), closed=False)
        try:
            piece = await asyncio.wait_for(reader.read(65536), left)
        except asyncio.TimeoutError:
            return Exchange(bytes(got), closed=False)
        except ConnectionResetError:
            # A reset after the answer still counts as a close; losing the
            # answer to it shows up as a missing status.
            return Exchange(bytes(got), closed=True)
        if not piece:
            return Exchange(bytes(got), closed=True)
        got += piece


@dataclass
class CountingApp:
    """A real application whose one route ``/`` (GET and POST) counts its calls.

    The handler reads the whole body, so a body defect that reaches it turns
    into whatever ``request.read()`` raises.
    """

    app: web.Application = field(default_factory=web.Application)
    calls: list[str] = field(default_factory=list)
    read_errors: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        async def handler(request: web.Request) -> web.Response:
            self.calls.append(f"{request.method} {request.path_qs}")
            try:
                body = await request.read()
            except web.HTTPException as exc:
                self.read_errors.append(exc.status)
                raise
            return web.Response(text=f"ok {request.path_qs} {len(body)}")

        self.app.router.add_get("/", handler)
        self.app.router.add_post("/", handler)


@pytest.fixture
def counting() -> CountingApp:
    """A fresh ``CountingApp`` (default ``client_max_size``)."""
    return CountingApp()
