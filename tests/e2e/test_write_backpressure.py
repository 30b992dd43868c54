"""A client that does not read its answers must not grow the server (issue 19).

The server runs in its own process, so its memory can be read from
``/proc/<pid>/status`` while a raw socket with a small receive buffer pipelines
requests for big answers and never reads them. Reading and serving must stop
on that connection while the transport's buffer is over its high-water mark,
and other clients must be served meanwhile. The limits are generous (what
one or two answers can hold), far below what answering everything costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jackfield import web

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the server's memory from /proc"
)

BIG = 8 * 2**20
HUGE = 50 * 2**20
MEMORY_BOUND = 64 * 2**20

SERVER = textwrap.dedent(
    f"""
    import sys
    from jackfield import web

    BIG = b"x" * {BIG}
    HUGE = b"h" * {HUGE}
    SMALL = b"y" * 4096

    async def big(request):
        return web.Response(body=BIG)

    async def huge(request):
        return web.Response(body=HUGE)

    async def small(request):
        return web.Response(body=SMALL)

    async def hello(request):
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/big", big)
    app.router.add_get("/huge", huge)
    app.router.add_get("/small", small)
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss(pid: int) -> int:
    """The process's resident memory in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    script = tmp_path / "serve.py"
    script.write_text(SERVER)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.05)
        # Warm up: one big answer read in full, so first-use allocations are paid.
        assert len(httpx.get(f"http://127.0.0.1:{port}/big", timeout=10).content) == BIG
        yield proc, port
    finally:
        proc.kill()
        proc.wait(10)


def non_reading_client(port: int, request: bytes, count: int) -> socket.socket:
    """A connection that pipelines ``count`` requests and never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(2)
    with contextlib.suppress(TimeoutError):  # the server stopped reading: the point
        sock.sendall(request * count)
    return sock


@pytest.mark.parametrize(
    ("path", "count"),
    [("/big", 30), ("/small", 20_000)],
    ids=["30-big-answers", "20000-small-answers"],
)
def test_memory_stays_bounded_while_the_client_does_not_read(
    server: tuple[subprocess.Popen[bytes], int], path: str, count: int
) -> None:
    proc, port = server
    before = rss(proc.pid)
    request = f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    sock = non_reading_client(port, request, count)
    try:
        time.sleep(1.5)  # the old server answered everything within this
        grown = rss(proc.pid) - before
        # Another client is served meanwhile, and quickly.
        started = time.monotonic()
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "hello"
        waited = time.monotonic() - started
        grown = max(grown, rss(proc.pid) - before)
    finally:
        sock.close()
    assert grown < MEMORY_BOUND, f"server grew by {grown / 2**20:.0f} MiB"
    assert waited < 2, f"another client waited {waited:.1f} s"


def test_the_stalled_connection_gets_every_answer_once_it_reads(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    _, port = server
    sock = non_reading_client(port, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n", 5)
    try:
        time.sleep(0.3)
        sock.settimeout(10)
        got = bytearray()
        expected = None
        while expected is None or len(got) < expected:
            piece = sock.recv(2**20)
            assert piece, f"closed after {len(got)} bytes"
            got += piece
            if expected is None and b"\r\n\r\n" in got:
                head = got.index(b"\r\n\r\n") + 4  # every head has the same length
                expected = 5 * (head + BIG)
        assert len(got) == expected
        assert got.count(b"HTTP/1.1 200 OK\r\n") == 5
    finally:
        sock.close()


async def test_keepalive_timeout_frees_a_connection_whose_peer_does_not_read(
    server_for: Any,
) -> None:
    big = b"z" * BIG

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=big)

    app = web.Application()
    app.router.add_get("/big", handler)
    srv = await server_for(app, keepalive_timeout=0.3)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (srv.host, srv.port))
    try:
        await loop.sock_sendall(sock, b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
        connections = srv.runner.server.connections  # type: ignore[union-attr]
        for _ in range(20):
            await asyncio.sleep(0.1)
            if connections:
                break
        assert connections, "the connection never showed up"
        for _ in range(40):  # keep-alive timeout 0.3 s; the old server never let go
            await asyncio.sleep(0.1)
            if not connections:
                break
        assert not connections, "the idle connection with an unread answer was never freed"
    finally:
        sock.close()


def test_forty_clients_not_reading_a_50_mib_answer_cost_little(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    """Each connection holds a slice of the body, not a copy of it (issue 20).

    The transport copied what the socket did not take at once into its
    buffer: 40 such clients grew the server by about 2 GiB.
    """
    proc, port = server
    before = rss(proc.pid)
    request = b"GET /huge HTTP/1.1\r\nHost: a\r\n\r\n"
    clients = [non_reading_client(port, request, 1) for _ in range(40)]
    try:
        time.sleep(1.5)
        grown = rss(proc.pid) - before
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "hello"
        grown = max(grown, rss(proc.pid) - before)
        # They do get their answer once they read: one of them reads it all.
        first = clients[0]
        first.settimeout(10)
        got = 0
        while got < HUGE:
            piece = first.recv(2**20)
            assert piece, f"closed after {got} bytes"
            got += len(piece)
    finally:
        for sock in clients:
            sock.close()
    assert grown < MEMORY_BOUND, f"server grew by {grown / 2**20:.0f} MiB"
