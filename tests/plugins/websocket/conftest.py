"""Fixtures for the websocket plugin: an echo server that records what its handler saw.

``echo_server(**ws_kwargs)`` starts a real server on 127.0.0.1 whose ``/ws``
handler echoes TEXT and BINARY messages and records every message, the close
code and the exception once the handler ends (``record.done``). Tests talk to
it with the ``websockets`` library or with ``wsraw.RawClient``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSMessage, WSMsgType
from jackfield.testing.testing import TestServer


@dataclass
class Record:
    """What the echo handler saw."""

    messages: list[WSMessage] = field(default_factory=list)
    close_code: int | None = None
    exception: BaseException | None = None
    ws: WebSocketResponse | None = None
    prepared: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def finished(self) -> Record:
        """Wait (bounded) for the handler to end; return self."""
        await asyncio.wait_for(self.done.wait(), 5)
        return self

    @property
    def types(self) -> list[WSMsgType]:
        """The types of the recorded messages, in order."""
        return [m.type for m in self.messages]


def echo_handler(record: Record, **ws_kwargs: Any) -> Callable[[web.Request], Awaitable[Any]]:
    """Return a handler echoing data messages and filling ``record``."""

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(**ws_kwargs)
        record.ws = ws
        try:
            await ws.prepare(request)
            record.prepared.set()
            async for msg in ws:
                record.messages.append(msg)
                if msg.type is WSMsgType.TEXT:
                    await ws.send_str(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await ws.send_bytes(msg.data)
        finally:
            record.close_code = ws.close_code
            record.exception = ws.exception()
            record.done.set()
        return ws

    return handler


EchoServer = Callable[..., Awaitable[tuple[TestServer, Record]]]


@pytest.fixture
def echo_server(server_for: Any) -> EchoServer:
    """``server, record = await echo_server(**ws_kwargs)``: a live echo server on /ws."""

    async def make(**ws_kwargs: Any) -> tuple[TestServer, Record]:
        record = Record()
        app = web.Application()
        app.router.add_get("/ws", echo_handler(record, **ws_kwargs))
        server = await server_for(app, shutdown_timeout=1.0)
        return server, record

    return make


def ws_url(server: TestServer, path: str = "/ws") -> str:
    """The ws:// URL of ``path`` on ``server``."""
    return f"ws://127.0.0.1:{server.port}{path}"
