"""Raw sockets sending what no client library would: the server fails the connection right."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.websocket import (
    WebSocketError,
    WebSocketResponse,
    WebSocketTimeoutError,
    WSMsgType,
)

from .conftest import EchoServer
from .wsraw import RawClient, close_frame, frame, handshake_request

VIOLATIONS = [
    (frame(0x1, b"hi", mask=False), 1002),
    (frame(0x1, b"hi", rsv=4), 1002),
    (frame(0x1, b"hi", rsv=2), 1002),
    (frame(0x1, b"hi", rsv=1), 1002),
    (frame(0x3, b"hi"), 1002),
    (frame(0xC, b"hi"), 1002),
    (frame(0x9, b"hi", fin=False), 1002),
    (frame(0x9, b"p" * 126), 1002),
    (frame(0x0, b"orphan"), 1002),
    (frame(0x1, b"a", fin=False) + frame(0x1, b"b"), 1002),
    (close_frame(999), 1002),
    (close_frame(1005), 1002),
    (close_frame(2000), 1002),
    (frame(0x8, b"\x03"), 1002),
    (frame(0x1, b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80"), 1007),
    (frame(0x1, "κό".encode(), fin=False) + frame(0x0, b"\xf4\x90\x80\x80"), 1007),
    (close_frame(1000, b"\xff"), 1007),
]
IDS = [
    "unmasked",
    "rsv1-without-deflate",
    "rsv2",
    "rsv3",
    "reserved-data-opcode",
    "reserved-control-opcode",
    "fragmented-ping",
    "ping-over-125-bytes",
    "continuation-without-start",
    "new-message-inside-fragmented",
    "close-code-999",
    "close-code-1005",
    "close-code-2000",
    "close-payload-1-byte",
    "invalid-utf8-text",
    "invalid-utf8-in-later-fragment",
    "invalid-utf8-close-reason",
]


@pytest.mark.parametrize(("data", "code"), VIOLATIONS, ids=IDS)
async def test_violation_closes_with_code(echo_server: EchoServer, data: bytes, code: int) -> None:
    server, record = await echo_server()
    client = await RawClient.connect(server.port)
    client.send(data)
    close = await client.read_close()
    assert close.close_code == code
    assert not close.masked
    assert await client.ends()  # failing the connection closes TCP too
    await record.finished()
    assert record.close_code == code
    assert record.types == [WSMsgType.ERROR]
    assert isinstance(record.exception, WebSocketError)
    assert record.exception.code == code


async def test_messages_before_a_violation_are_still_delivered(server_for: Any) -> None:
    seen: list[tuple[WSMsgType, Any]] = []

    async def collector(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            seen.append((msg.type, msg.data))
        return ws

    app = web.Application()
    app.router.add_get("/ws", collector)
    server = await server_for(app)
    client = await RawClient.connect(server.port)
    # One write: the violation arrives in the same chunk as the good frames.
    client.send(frame(0x1, b"first") + frame(0x2, b"second") + frame(0x1, b"x", mask=False))
    assert (await client.read_close()).close_code == 1002
    assert await client.ends()
    assert seen[:2] == [(WSMsgType.TEXT, "first"), (WSMsgType.BINARY, b"second")]
    assert seen[2][0] is WSMsgType.ERROR and len(seen) == 3


async def test_echo_loop_answers_the_messages_before_a_violation(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: the good message is answered, then 1002, and nothing logs a traceback."""
    seen: list[WSMsgType] = []

    async def echo(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:  # the documented echo loop
            seen.append(msg.type)
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data + "/answer")
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = await server_for(app)
    client = await RawClient.connect(server.port)
    with caplog.at_level("DEBUG"):
        client.send(frame(0x1, b"good") + frame(0x1, b"x", mask=False))
        answer = await client.read_frame()
        assert answer is not None and (answer.opcode, answer.payload) == (0x1, b"good/answer")
        assert (await client.read_close()).close_code == 1002
        assert await client.ends()
        await asyncio.sleep(0.05)  # let the handler return and the kernel finish
    assert seen == [WSMsgType.TEXT, WSMsgType.ERROR]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_sending_on_a_failed_websocket_logs_no_traceback(
    server_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The violation arrives while the handler works: its send fails, logged at debug only."""
    outcome: dict[str, Any] = {}
    busy = asyncio.Event()

    async def slow_echo(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                busy.set()
                while ws.exception() is None:  # working, until the bad frame came
                    await asyncio.sleep(0)
                try:
                    await ws.send_str(msg.data)
                except ConnectionResetError as exc:
                    outcome["error"] = exc
                    raise
        return ws

    app = web.Application()
    app.router.add_get("/ws", slow_echo)
    server = await server_for(app)
    client = await RawClient.connect(server.port)
    with caplog.at_level("DEBUG"):
        client.send(frame(0x1, b"good"))
        await busy.wait()
        client.send(frame(0x1, b"x", mask=False))
        assert (await client.read_close()).close_code == 1002
        assert await client.ends()
        await asyncio.sleep(0.05)
    assert isinstance(outcome.get("error"), ConnectionResetError)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_frames_after_close_are_ignored(echo_server: EchoServer) -> None:
    server, record = await echo_server()
    client = await RawClient.connect(server.port)
    client.send(frame(0x1, b"before") + close_frame(4001, b"done") + frame(0x1, b"after"))
    got = await client.read_frame()
    assert got is not None and got.payload == b"before"
    close = await client.read_close()
    assert close.close_code == 4001  # echoed
    client.send(frame(0x1, b"later still") + frame(0x3, b"bad opcode too"))
    assert await client.ends()
    await record.finished()
    assert [m.data for m in record.messages] == ["before"]
    assert record.close_code == 4001
    assert record.exception is None


async def test_close_without_code_is_answered_without_code(echo_server: EchoServer) -> None:
    server, record = await echo_server()
    client = await RawClient.connect(server.port)
    client.send(close_frame(None))
    close = await client.read_close()
    assert close.payload == b""
    await record.finished()
    assert record.close_code == 1005


async def test_control_frames_between_fragments(echo_server: EchoServer) -> None:
    server, record = await echo_server()
    client = await RawClient.connect(server.port)
    client.send(frame(0x1, b"frag", fin=False))
    client.send(frame(0x9, b"ping!"))
    pong = await client.read_frame()
    assert pong is not None and (pong.opcode, pong.payload) == (0xA, b"ping!")
    client.send(frame(0x0, b"ment", fin=False) + frame(0xA, b"unsolicited") + frame(0x0, b"ed"))
    echoed = await client.read_frame()
    assert echoed is not None and (echoed.opcode, echoed.payload) == (0x1, b"fragmented")
    client.send(close_frame(1000))
    await client.read_close()
    await record.finished()
    assert record.types == [WSMsgType.TEXT]


async def test_early_frames_sent_with_the_handshake_are_read(echo_server: EchoServer) -> None:
    server, _ = await echo_server()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(handshake_request() + frame(0x1, b"eager"))
    await reader.readuntil(b"\r\n\r\n")
    client = RawClient(reader, writer, b"")
    got = await client.read_frame()
    assert got is not None and got.payload == b"eager"
    client.close()


async def test_heartbeat_fails_a_silent_peer_with_1006(echo_server: EchoServer) -> None:
    server, record = await echo_server(heartbeat=0.05)
    client = await RawClient.connect(server.port)
    ping = await client.read_frame()  # sent after 0.05 s of silence; never answered
    assert ping is not None and ping.opcode == 0x9
    assert await client.ends()  # no pong within 0.025 s: the server drops the connection
    await record.finished()
    assert record.close_code == 1006
    assert isinstance(record.exception, WebSocketTimeoutError)
    assert record.types == [WSMsgType.ERROR]


async def test_close_times_out_on_a_peer_that_never_answers(server_for: Any) -> None:
    outcome: dict[str, Any] = {}

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(timeout=0.05)
        await ws.prepare(request)
        outcome["started"] = await ws.close()
        outcome["code"] = ws.close_code
        outcome["exception"] = ws.exception()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    client = await RawClient.connect(server.port)
    close = await client.read_close()  # read, never answered
    assert close.close_code == 1000
    assert await client.ends()
    assert outcome["started"] is True
    assert outcome["code"] == 1006
    assert isinstance(outcome["exception"], WebSocketTimeoutError)
