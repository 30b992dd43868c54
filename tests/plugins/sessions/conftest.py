"""Fixtures for the sessions plugin: real redis-server processes and real clients.

``redis_server`` starts one ``redis-server`` per test session on a free
loopback port (no persistence, no config file) and every test using
``redis_client`` starts from an empty database. Tests that stop or kill
Redis ask for ``private_redis``, a server of their own. Without the
``redis-server`` binary these tests are skipped with a loud reason; CI
(``.ci/run``) installs it, so there they always run.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from jackfield import web
from jackfield.plugins import sessions
from jackfield.testing.testing import TestClient

REDIS_BINARY = shutil.which("redis-server") or (
    "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
)
NO_REDIS = (
    "redis-server is not installed on this machine: the Redis session tests did NOT run. "
    "Install it (apt-get install redis-server); .ci/run does, so CI runs them."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """A ``redis-server`` on 127.0.0.1:``port``, started and stopped by a test."""

    def __init__(self, tmp: Path) -> None:
        if REDIS_BINARY is None:
            pytest.skip(NO_REDIS)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_BINARY is not None
        self.proc = subprocess.Popen(
            [
                REDIS_BINARY,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self._tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it keeps its socket but answers nothing."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def redis_client(redis_server: RedisProcess) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


def counter_app(storage: sessions.AbstractStorage) -> web.Application:
    """An app whose ``/`` counts visits in the session and shows the count."""

    async def count(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session["n"] = session.get("n", 0) + 1
        return web.Response(text=str(session["n"]))

    async def peek(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        return web.json_response(
            {"new": session.new, "data": dict(session), "identity": session.identity}
        )

    app = web.Application()
    sessions.setup(app, storage)
    app.router.add_get("/", count)
    app.router.add_get("/peek", peek)
    return app


@pytest_asyncio.fixture
async def client_for_storage() -> AsyncIterator[object]:
    """``client = await client_for_storage(storage)``: a counter app's client."""
    clients: list[TestClient] = []

    async def make(
        storage: sessions.AbstractStorage, app: web.Application | None = None
    ) -> TestClient:
        client = TestClient(app if app is not None else counter_app(storage))
        await client.start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def wait_for(predicate: object, bound: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + bound
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
