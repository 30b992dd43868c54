"""End to end against an independent client, the ``websockets`` library."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSCloseCode, WSMsgType

from .conftest import EchoServer, ws_url

COMPRESSION = pytest.mark.parametrize(
    "compression", ["deflate", None], ids=["deflate", "uncompressed"]
)


@COMPRESSION
async def test_echo_text_binary_and_fragments(echo_server: EchoServer, compression: str) -> None:
    server, record = await echo_server()
    async with connect(ws_url(server), compression=compression) as ws:
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        await ws.send(["frag", "men", "ted"])
        assert await ws.recv() == "fragmented"
        await ws.send([b"ab", b"cd"])
        assert await ws.recv() == b"abcd"
        big = "0123456789" * 20_000
        await ws.send(big)
        assert await ws.recv() == big
        assert (ws.response.headers.get("Sec-WebSocket-Extensions") is not None) == bool(
            compression
        )
    await record.finished()
    assert record.types == [WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.TEXT, WSMsgType.BINARY,
                            WSMsgType.TEXT]  # fmt: skip
    assert record.ws is not None and record.ws.compress == bool(compression)


async def test_compress_false_declines_the_offer(echo_server: EchoServer) -> None:
    server, _ = await echo_server(compress=False)
    async with connect(ws_url(server), compression="deflate") as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        await ws.send("plain")
        assert await ws.recv() == "plain"


@pytest.mark.parametrize(
    "extensions",
    [
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
    ],
    ids=["no-context-takeover", "window-bits"],
)
async def test_deflate_parameters_hold_over_many_messages(
    echo_server: EchoServer, extensions: str
) -> None:
    params = dict(p.partition("=")[::2] for p in extensions.split("; ")[1:])
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover="server_no_context_takeover" in params,
        client_no_context_takeover="client_no_context_takeover" in params,
        server_max_window_bits=int(params["server_max_window_bits"])
        if "server_max_window_bits" in params
        else None,
        client_max_window_bits=int(params["client_max_window_bits"])
        if "client_max_window_bits" in params
        else None,
    )
    server, _ = await echo_server()
    async with connect(ws_url(server), extensions=[factory], compression=None) as ws:
        answer = ws.response.headers["Sec-WebSocket-Extensions"]
        for name in params:
            assert name in answer
        for i in range(50):
            text = f"message {i} " + "the same words again " * (i % 7)
            await ws.send(text)
            assert await ws.recv() == text


async def test_ping_is_answered_and_not_surfaced(echo_server: EchoServer) -> None:
    server, record = await echo_server()
    async with connect(ws_url(server), ping_interval=None) as ws:
        latency = await asyncio.wait_for(await ws.ping(b"are you there"), 3)
        assert latency >= 0
        await ws.send("after ping")
        assert await ws.recv() == "after ping"
    await record.finished()
    assert record.types == [WSMsgType.TEXT]


async def test_autoping_false_surfaces_ping_and_pong(server_for: Any) -> None:
    seen: list[tuple[WSMsgType, bytes]] = []

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await ws.ping(b"from server")
        async for msg in ws:
            seen.append((msg.type, msg.data))
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server), ping_interval=None) as ws:
        await asyncio.wait_for(await ws.ping(b"from client"), 3)
    assert (WSMsgType.PING, b"from client") in seen
    assert (WSMsgType.PONG, b"from server") in seen


@pytest.mark.parametrize(
    ("code", "reason"), [(1000, ""), (1001, "leaving"), (4000, "app code")], ids=str
)
async def test_client_close_code_reaches_the_handler(
    echo_server: EchoServer, code: int, reason: str
) -> None:
    server, record = await echo_server()
    async with connect(ws_url(server)) as ws:
        await ws.send("x")
        await ws.recv()
        await ws.close(code, reason)
        assert ws.close_code == code  # the server echoed it
    await record.finished()
    assert record.close_code == code
    assert record.messages[-1].type is WSMsgType.TEXT  # CLOSE ends the iteration, unseen
    assert record.exception is None


async def test_server_close_with_code_and_message(server_for: Any) -> None:
    results: dict[str, Any] = {}

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        results["started"] = await ws.close(code=WSCloseCode.POLICY_VIOLATION, message="nope")
        results["again"] = await ws.close()
        results["closed"] = ws.closed
        results["code"] = ws.close_code
        results["after"] = (await ws.receive()).type
        with pytest.raises(ConnectionResetError):
            await ws.send_str("too late")
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1008, "nope")
    assert results == {
        "started": True,
        "again": False,
        "closed": True,
        "code": 1008,
        "after": WSMsgType.CLOSED,
    }


async def test_handler_returning_without_close_closes_with_1000(server_for: Any) -> None:
    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("bye")
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        assert await ws.recv() == "bye"
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1000


async def test_json_helpers_and_receive_types(server_for: Any) -> None:
    errors: list[str] = []

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        data = await ws.receive_json()
        await ws.send_json({"got": data})
        assert await ws.receive_bytes() == b"raw"
        try:
            await ws.receive_str()
        except TypeError as exc:
            errors.append(str(exc))
        msg = await ws.receive()
        await ws.send_str(str(msg.json()["n"] + 1))
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        await ws.send(json.dumps([1, 2]))
        assert json.loads(await ws.recv()) == {"got": [1, 2]}
        await ws.send(b"raw")
        await ws.send(b"not text")
        await ws.send('{"n": 41}')
        assert await ws.recv() == "42"
    assert errors and "expected a TEXT message, got BINARY" in errors[0]


async def test_receive_timeout(server_for: Any) -> None:
    outcome: list[str] = []

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(receive_timeout=0.05)
        await ws.prepare(request)
        try:
            await ws.receive()
        except asyncio.TimeoutError:
            outcome.append("default timeout")
        try:
            await ws.receive_str(timeout=0.05)
        except asyncio.TimeoutError:
            outcome.append("explicit timeout")
        await ws.send_str("still open")
        outcome.append(await ws.receive_str(timeout=3))
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        assert await ws.recv() == "still open"
        await ws.send("late")
    await asyncio.sleep(0)
    assert outcome == ["default timeout", "explicit timeout", "late"]


async def test_concurrent_receive_raises_runtime_error(server_for: Any) -> None:
    outcome: dict[str, Any] = {}

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        first = asyncio.ensure_future(ws.receive())
        await asyncio.sleep(0)  # let it start waiting
        try:
            await ws.receive()
        except RuntimeError as exc:
            outcome["error"] = str(exc)
        await ws.send_str("ready")
        outcome["first"] = (await first).data
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        assert await ws.recv() == "ready"
        await ws.send("for the first reader")
    assert "only one task may read" in outcome["error"]
    assert outcome["first"] == "for the first reader"


async def test_send_and_close_from_another_task(server_for: Any) -> None:
    seen: list[WSMsgType] = []

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)

        async def pusher() -> None:
            for i in range(3):
                await ws.send_str(f"push {i}")
            await ws.close(code=WSCloseCode.GOING_AWAY)

        task = asyncio.ensure_future(pusher())
        msg = await ws.receive()  # woken by the other task's close
        seen.append(msg.type)
        await task
        seen.append((await ws.receive()).type)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        assert [await ws.recv() for _ in range(3)] == ["push 0", "push 1", "push 2"]
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1001
    assert seen == [WSMsgType.CLOSING, WSMsgType.CLOSED]


async def test_max_msg_size_closes_with_1009(echo_server: EchoServer) -> None:
    server, record = await echo_server(max_msg_size=1000)
    async with connect(ws_url(server), compression=None) as ws:
        await ws.send("x" * 1000)
        assert await ws.recv() == "x" * 1000
        await ws.send("x" * 1001)
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    await record.finished()
    assert record.close_code == 1009
    assert record.types[-1] is WSMsgType.ERROR
    assert "limit of 1000" in str(record.exception)


async def test_max_msg_size_applies_after_inflating(echo_server: EchoServer) -> None:
    server, record = await echo_server(max_msg_size=10_000)
    async with connect(ws_url(server), compression="deflate") as ws:
        await ws.send("a" * 20_000)  # a few dozen bytes on the wire
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    await record.finished()
    assert record.close_code == 1009


async def test_heartbeat_keeps_a_live_peer(echo_server: EchoServer) -> None:
    # 0.1 s for the pong: ample even on a loaded machine, where a tighter one could flake.
    server, _ = await echo_server(heartbeat=0.2)
    async with connect(ws_url(server), ping_interval=None) as ws:
        await asyncio.sleep(0.5)  # two heartbeats, answered by the client's automatic pong
        await ws.send("alive")
        assert await ws.recv() == "alive"
