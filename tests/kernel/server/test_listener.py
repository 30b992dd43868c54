"""``PausableListener`` on real listening sockets: pause, resume, races, close."""

from __future__ import annotations

import asyncio
import socket

import pytest

from jackfield.server.listener import PausableListener

GUARD = 5.0


class Accepted(asyncio.Protocol):
    """Counts the connections the listener's server accepted."""

    count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Accepted.count += 1
        transport.close()


async def make_listener() -> tuple[PausableListener, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Accepted, "127.0.0.1", 0)

    async def reopen(sock: socket.socket) -> asyncio.Server:
        return await loop.create_server(Accepted, sock=sock)

    return PausableListener(server, reopen), server.sockets[0].getsockname()[1]


async def accepted_after(port: int, wait: float) -> int:
    """Connect a client; how many connections the server accepted ``wait`` s later."""
    before = Accepted.count
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(wait)
    writer.close()
    return Accepted.count - before


async def test_pause_keeps_the_socket_and_resume_accepts_who_waited() -> None:
    listener, port = await make_listener()
    try:
        listener.pause()
        assert not listener.accepting
        assert [s.getsockname()[1] for s in listener.sockets] == [port]
        before = Accepted.count
        _, writer = await asyncio.open_connection("127.0.0.1", port)  # queued by the kernel
        await asyncio.sleep(0.1)
        assert Accepted.count == before
        assert listener.clients_waiting()
        listener.resume()
        deadline = asyncio.get_running_loop().time() + GUARD
        while Accepted.count == before:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert listener.accepting and not listener.clients_waiting()
        writer.close()
    finally:
        listener.close()


async def test_a_pause_that_comes_while_resuming_wins() -> None:
    listener, port = await make_listener()
    try:
        listener.pause()
        listener.resume()  # reopening is under way ...
        listener.pause()  # ... and is undone when it is ready
        await asyncio.sleep(0.05)
        assert not listener.accepting
        assert await accepted_after(port, 0.1) == 0
    finally:
        listener.close()


async def test_close_accepts_what_was_queued_then_refuses() -> None:
    listener, port = await make_listener()
    listener.pause()
    client = socket.create_connection(("127.0.0.1", port), timeout=GUARD)
    try:
        closed, queued = listener.close()
        assert closed == []  # closed by the pause already, not waited for again
        assert len(queued) == 1 and queued[0].getpeername() == client.getsockname()
        for sock in queued:
            sock.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=GUARD)
    finally:
        client.close()
