"""Back-pressure both ways: a slow reader pauses the socket, a slow client slows the sender."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from websockets.asyncio.client import connect

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSMsgType
from jackfield.plugins.websocket._connection import _MESSAGE_OVERHEAD, HIGH_WATER, Connection

from .conftest import ws_url
from .wsraw import RawClient, close_frame, frame, handshake_request


class FakeTransport(asyncio.Transport):
    """Records reading pauses and writes; the socket a unit test does without."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.written: list[bytes] = []

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


async def http_connection(transport: FakeTransport) -> tuple[web.AppRunner, Any]:
    """A real ``HttpProtocol`` of a set-up server, connected to ``transport``."""
    runner = web.AppRunner(web.Application(), access_log=None)
    await runner.setup()
    assert runner.server is not None
    proto = runner.server()
    proto.connection_made(transport)
    return runner, proto


async def opened(port: int, *, rcvbuf: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened from a socket with a small receive buffer (the 101 read)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(handshake_request())
    await reader.readuntil(b"\r\n\r\n")
    return reader, writer


async def test_reading_pauses_over_high_water_and_resumes_when_all_is_read() -> None:
    transport = FakeTransport()
    runner, proto = await http_connection(transport)
    conn = Connection(
        proto,
        max_msg_size=0,
        deflate=None,
        autoping=True,
        autoclose=True,
    )
    chunk = frame(0x2, b"x" * 4096)
    each = 4096 + _MESSAGE_OVERHEAD  # what one queued message counts for
    count = 0
    while transport.reading:
        conn.data_received(chunk)
        count += 1
        assert count < 100, "reading was never paused"
    # Paused by the first message that took the unread bytes over HIGH_WATER.
    assert (count - 1) * each <= HIGH_WATER < count * each
    while conn.queue:
        conn.queue.popleft()
        assert not transport.reading  # not while anything is left to read
    # The reader finds the queue empty and waits: reading resumes.
    waiting = conn.waiter()
    assert transport.reading
    conn.data_received(chunk)
    await waiting
    conn.stop_waiting()
    # Counting started again from the empty queue.
    assert transport.reading and len(conn.queue) == 1
    proto.connection_lost(None)
    await runner.cleanup()


async def test_the_answer_to_the_last_queued_message_goes_out_at_once() -> None:
    """Answers wait for the end of the loop turn, except the one to the last message read."""
    transport = FakeTransport()
    runner, proto = await http_connection(transport)
    await asyncio.sleep(0)  # past anything connection_made scheduled
    conn = Connection(proto, max_msg_size=0, deflate=None, autoping=True, autoclose=True)
    conn.data_received(frame(0x1, b"one") + frame(0x1, b"two"))
    first = conn.next_message()
    assert first is not None and first.data == "one"
    conn.send(0x1, b"ONE", False)
    assert transport.written == []  # another message waits: the answer is held
    second = conn.next_message()
    assert second is not None and second.data == "two"
    conn.send(0x1, b"TWO", False)
    # Both answers at once, in one write, before the turn ends.
    assert transport.written == [b"\x81\x03ONE\x81\x03TWO"]
    conn.send(0x1, b"more", False)  # not an answer: held for the end of the turn
    assert len(transport.written) == 1
    await asyncio.sleep(0)
    assert transport.written[1:] == [b"\x81\x04more"]
    proto.connection_lost(None)
    await runner.cleanup()


async def test_answers_sent_at_once_and_held_ones_keep_their_order(server_for: Any) -> None:
    """Over a real socket: the echo goes at once, the frame after it at the turn's end."""

    async def echo(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
            await ws.send_str(msg.data.upper())  # a second frame: held to the turn's end
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = await server_for(app)
    async with connect(ws_url(server), compression=None) as ws:
        for i in range(50):
            await ws.send(f"m{i}")
            assert await asyncio.wait_for(ws.recv(), 5) == f"m{i}"
            assert await asyncio.wait_for(ws.recv(), 5) == f"M{i}"


async def test_slow_handler_pauses_the_socket_and_loses_nothing(server_for: Any) -> None:
    observed: dict[str, Any] = {"paused": False, "count": 0}
    may_read = asyncio.Event()

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse()
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        while transport.is_reading():  # wait until the unread messages stop the socket
            await asyncio.sleep(0.005)
        observed["paused"] = True
        may_read.set()
        async for msg in ws:
            if msg.type is WSMsgType.BINARY:
                observed["count"] += 1
        observed["resumed"] = True  # all 200 arrived, so reading came back
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    async with connect(ws_url(server), compression=None, max_queue=None) as ws:
        for _ in range(200):
            await ws.send(b"y" * 16384)  # 3.2 MiB in all, far past what the server buffers
        await asyncio.wait_for(may_read.wait(), 5)
    assert observed == {"paused": True, "count": 200, "resumed": True}


async def test_slow_client_slows_the_sender(server_for: Any) -> None:
    observed: dict[str, int] = {"most_buffered": 0, "sent": 0}
    message = b"z" * 262144

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(compress=False)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        for _ in range(64):  # 16 MiB
            await ws.send_bytes(message)
            observed["sent"] += 1
            observed["most_buffered"] = max(
                observed["most_buffered"], transport.get_write_buffer_size()
            )
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app)
    reader, writer = await opened(server.port, rcvbuf=65536)
    client = RawClient(reader, writer, b"")
    received = 0
    while True:
        got = await client.read_frame()
        assert got is not None
        if got.opcode == 0x8:
            break
        received += len(got.payload)
        await asyncio.sleep(0)  # a client slower than the server
    client.send(close_frame(1000))
    client.close()
    assert received == 64 * len(message)
    # Without back-pressure the handler would have queued all 16 MiB at once.
    assert observed["most_buffered"] < 2 * 1024 * 1024


async def test_a_peer_that_stops_reading_is_dropped_after_send_timeout(server_for: Any) -> None:
    """Frames go through the HTTP connection's write(), so its send deadline applies."""
    ended: list[str] = []
    message = b"q" * 262144

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(compress=False)
        await ws.prepare(request)
        try:
            while True:
                await ws.send_bytes(message)
        except (ConnectionError, asyncio.CancelledError) as exc:
            ended.append(type(exc).__name__)
            raise

    app = web.Application()
    app.router.add_get("/ws", handler)
    server = await server_for(app, send_timeout=0.3)
    _, writer = await opened(server.port, rcvbuf=4096)  # then never reads again
    connections = server.runner.server.connections
    try:
        for _ in range(60):
            if not connections and ended:
                break
            await asyncio.sleep(0.05)
        assert not connections, "the connection whose peer stopped reading was kept"
        assert ended, "the sending handler never learnt that its peer was gone"
    finally:
        writer.close()
