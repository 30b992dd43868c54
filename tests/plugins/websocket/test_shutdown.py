"""Graceful shutdown with open WebSockets, as the spec's example does it, and without."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSCloseCode

from .conftest import ws_url

SOCKETS = web.AppKey("websockets", weakref.WeakSet)


def chat_like_app(*, close_on_shutdown: bool, ended: list[str]) -> web.Application:
    app = web.Application()
    app[SOCKETS] = weakref.WeakSet()

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        request.app[SOCKETS].add(ws)
        try:
            async for msg in ws:
                await ws.send_str(msg.data)
            ended.append(f"ended {ws.close_code}")
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise
        finally:
            request.app[SOCKETS].discard(ws)
        return ws

    async def on_shutdown(app: web.Application) -> None:
        for ws in set(app[SOCKETS]):
            await ws.close(code=WSCloseCode.GOING_AWAY, message="Server shutdown")

    app.router.add_get("/ws", handler)
    if close_on_shutdown:
        app.on_shutdown.append(on_shutdown)
    return app


async def test_on_shutdown_closes_open_websockets_with_1001(server_for: Any) -> None:
    ended: list[str] = []
    server = await server_for(chat_like_app(close_on_shutdown=True, ended=ended))
    clients = [await connect(ws_url(server)).__aenter__() for _ in range(3)]
    for i, ws in enumerate(clients):
        await ws.send(f"hello {i}")
        assert await ws.recv() == f"hello {i}"
    await asyncio.wait_for(server.close(), 5)
    for ws in clients:
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (1001, "Server shutdown")
    # Each handler saw the close and returned on its own: nothing was cancelled.
    assert sorted(ended) == ["ended 1001"] * 3


async def test_open_websockets_do_not_hold_shutdown_past_its_timeout(server_for: Any) -> None:
    ended: list[str] = []
    server = await server_for(
        chat_like_app(close_on_shutdown=False, ended=ended), shutdown_timeout=0.2
    )
    ws = await connect(ws_url(server)).__aenter__()
    await ws.send("ping")
    assert await ws.recv() == "ping"
    # A generous bound, not a measurement: without the timeout this would hang.
    await asyncio.wait_for(server.close(), 5)
    assert ended == ["cancelled"]
    with pytest.raises(ConnectionClosed) as info:
        await ws.recv()
    assert info.value.rcvd is None  # dropped, no close frame: abnormal closure (1006)
