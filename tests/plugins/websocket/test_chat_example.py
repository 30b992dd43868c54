"""examples/chat.py with several concurrent clients (the websockets library)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .conftest import ws_url
from .wsraw import handshake_request

CHAT = Path(__file__).resolve().parents[3] / "examples" / "chat.py"


@pytest.fixture(scope="module")
def chat() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chat_example", CHAT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def next_line(ws: ClientConnection) -> str:
    return str(await asyncio.wait_for(ws.recv(), 3))


async def join(server: Any, name: str) -> ClientConnection:
    ws = await connect(ws_url(server, f"/ws?name={name}"))
    assert await next_line(ws) == f"* you are {name}"
    return ws


async def test_broadcast_to_every_member(server_for: Any, chat: ModuleType) -> None:
    server = await server_for(chat.make_app())
    async with contextlib.AsyncExitStack() as stack:
        alice = await join(server, "alice")
        stack.push_async_callback(alice.close)
        assert await next_line(alice) == "* alice joined"
        bob = await join(server, "bob")
        stack.push_async_callback(bob.close)
        carol = await join(server, "carol")
        stack.push_async_callback(carol.close)
        assert [await next_line(alice) for _ in range(2)] == ["* bob joined", "* carol joined"]
        assert [await next_line(bob) for _ in range(2)] == ["* bob joined", "* carol joined"]
        assert await next_line(carol) == "* carol joined"

        # Everyone talks at once; every member sees every line, each sender's in order.
        async def talk(ws: ClientConnection, name: str) -> None:
            for i in range(5):
                await ws.send(f"{name} says {i}")

        await asyncio.gather(talk(alice, "a"), talk(bob, "b"), talk(carol, "c"))
        expected = {f"{who}: {w} says {i}" for who, w in (("alice", "a"), ("bob", "b"),
                    ("carol", "c")) for i in range(5)}  # fmt: skip
        for ws in (alice, bob, carol):
            lines = [await next_line(ws) for _ in range(15)]
            assert set(lines) == expected
            assert [x for x in lines if x.startswith("bob:")] == [
                f"bob: b says {i}" for i in range(5)
            ]

        await bob.close()
        assert await next_line(alice) == "* bob left"
        assert await next_line(carol) == "* bob left"


async def test_a_vanished_client_is_announced_as_gone(server_for: Any, chat: ModuleType) -> None:
    server = await server_for(chat.make_app())
    gina = await join(server, "gina")
    assert await next_line(gina) == "* gina joined"
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(handshake_request("/ws?name=hal"))
    await reader.readuntil(b"\r\n\r\n")
    assert await next_line(gina) == "* hal joined"
    writer.transport.abort()  # no close frame: the server only sees the TCP connection go
    assert await next_line(gina) == "* hal left"
    await gina.close()


async def test_same_name_gets_a_suffix(server_for: Any, chat: ModuleType) -> None:
    server = await server_for(chat.make_app())
    first = await join(server, "dana")
    second = await connect(ws_url(server, "/ws?name=dana"))
    assert await next_line(second) == "* you are dana-2"
    await first.close()
    await second.close()


async def test_shutdown_says_going_away(server_for: Any, chat: ModuleType) -> None:
    server = await server_for(chat.make_app())
    ws = await join(server, "erin")
    await asyncio.wait_for(server.close(), 5)
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1001


async def test_page_is_served(server_for: Any, chat: ModuleType) -> None:
    server = await server_for(chat.make_app())
    async with httpx.AsyncClient() as client:
        response = await client.get(server.make_url("/"))
    assert response.status_code == 200
    assert "new WebSocket" in response.text


def test_init_func_builds_the_app(chat: ModuleType) -> None:
    app = chat.init_func([])
    assert app[chat.MEMBERS] == {}


async def test_runs_as_a_script(unused_port: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CHAT), str(unused_port), stdout=subprocess.DEVNULL
    )
    try:
        for _ in range(200):  # wait (bounded) for it to listen
            try:
                ws = await connect(f"ws://127.0.0.1:{unused_port}/ws?name=fay")
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("python examples/chat.py never started listening")
        assert await next_line(ws) == "* you are fay"
        await ws.send("hi")
        assert [await next_line(ws) for _ in range(2)] == ["* fay joined", "fay: hi"]
        proc.send_signal(signal.SIGINT)  # graceful: the member is told 1001
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1001
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
