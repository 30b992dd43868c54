"""The connlimit plugin on a real server: at most ``per_ip`` connections per address.

Linux routes all of 127.0.0.0/8 to loopback, so clients bound to 127.0.0.2
and 127.0.0.3 are two other addresses for the limit.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from jackfield import web
from jackfield.plugins import connlimit

GUARD = 5.0
REQUEST = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def make_app(per_ip: int) -> web.Application:
    app = web.Application()
    app.router.add_get("/", hello)
    connlimit.setup(app, per_ip=per_ip)
    return app


@pytest_asyncio.fixture
async def port() -> AsyncIterator[int]:
    runner = web.AppRunner(make_app(per_ip=2), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield site.port
    await runner.cleanup()


async def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((source, 0))
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return sock


async def ask(sock: socket.socket) -> bytes:
    """Send a request; return what comes back until "hello", or until the close."""
    loop = asyncio.get_running_loop()
    await loop.sock_sendall(sock, REQUEST)
    data = b""
    try:
        while not data.endswith(b"hello"):
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), GUARD)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data


async def test_a_connection_past_per_ip_is_closed_unanswered(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jackfield.server")
    first, second, third = [await connect(port) for _ in range(3)]
    try:
        assert (await ask(first)).endswith(b"hello")
        assert (await ask(second)).endswith(b"hello")
        assert await ask(third) == b""  # closed, nothing read, nothing sent
        assert "refused by a connection gate" in caplog.text
        first.close()  # below the limit again: a new connection is served
        await asyncio.sleep(0.05)
        fourth = await connect(port)
        assert (await ask(fourth)).endswith(b"hello")
        fourth.close()
    finally:
        for sock in (first, second, third):
            sock.close()


async def test_the_limit_is_per_address(port: int) -> None:
    socks = [await connect(port, source) for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3")]
    try:
        for sock in socks:
            assert (await ask(sock)).endswith(b"hello")
        over = await connect(port, "127.0.0.2")
        assert await ask(over) == b""
        over.close()
    finally:
        for sock in socks:
            sock.close()


def test_the_gate_counts_and_forgets() -> None:
    limit = connlimit.PerIPLimit(per_ip=1)
    peer = ("192.0.2.1", 4000)
    assert limit.connection_made(peer)
    assert not limit.connection_made(("192.0.2.1", 4001))
    assert limit.connection_made(("192.0.2.2", 4000))
    assert limit.open_connections("192.0.2.1") == 1
    limit.connection_lost(peer)
    assert limit.open_connections("192.0.2.1") == 0
    assert "192.0.2.1" not in limit._open  # no entry left for a client that went away
    assert limit.connection_made("/run/app.sock") and limit.connection_made("")  # Unix: no limit


@pytest.mark.parametrize("per_ip", [0, -3, 2.5, True, None])
def test_setup_refuses_a_bad_per_ip(per_ip: object) -> None:
    app = web.Application()
    with pytest.raises(ValueError, match="per_ip must be a positive int"):
        connlimit.setup(app, per_ip=per_ip)  # type: ignore[arg-type]
    assert not app.plugins.is_enabled("connlimit")


def test_setup_twice_is_an_error_and_the_gate_is_the_apps() -> None:
    app = web.Application()
    gate = connlimit.setup(app, per_ip=3)
    with pytest.raises(RuntimeError, match="already called"):
        connlimit.setup(app, per_ip=3)
    app.freeze()
    assert app.connection_gates == (gate,)


def test_setup_after_freeze_is_an_error() -> None:
    app = web.Application()
    app.freeze()
    with pytest.raises(RuntimeError):
        connlimit.setup(app, per_ip=1)


def test_naming_the_plugin_without_setup_fails_at_freeze() -> None:
    app = web.Application(plugins=["routing", "connlimit"])
    with pytest.raises(RuntimeError, match=r"connlimit.setup\(app, per_ip=N\) was not called"):
        app.freeze()
