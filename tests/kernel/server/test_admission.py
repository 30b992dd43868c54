"""``max_connections`` and connection gates, on a real server over loopback.

Every test runs on asyncio's own loop and on uvloop: the cap pauses the
listening sockets through ``PausableListener``, whose tricks (duplicated
sockets, ``create_server(sock=...)``) must hold on both.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pluggy
import pytest
import uvloop

from jackfield import hookimpl
from jackfield.app.app import Application
from jackfield.host import PluginInfo
from jackfield.responses.response import Response
from jackfield.runner.runner import AppRunner, TCPSite, UnixSite
from jackfield.server.admission import WAIT_CHECK
from jackfield.server.server import Server

from ..conftest import make_tiny_app

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": uvloop.new_event_loop,
}
GUARD = 5.0  # seconds no step may take; never reached when the code is right
QUIET = 0.3  # how long "no answer" is watched for


def run(loop_name: str, coro: Coroutine[Any, Any, None]) -> None:
    loop = LOOPS[loop_name]()
    try:
        loop.run_until_complete(asyncio.wait_for(coro, 4 * GUARD))
    finally:
        loop.close()


def gated_app(release: asyncio.Event, **kwargs: Any) -> Application:
    """``/slow`` answers once ``release`` is set, ``/fast`` at once."""
    app = make_tiny_app(**kwargs)

    async def slow(request: object) -> Response:
        await release.wait()
        return Response(text="slow")

    async def fast(request: object) -> Response:
        return Response(text="fast")

    app.router.add("GET", "/slow", slow)
    app.router.add("GET", "/fast", fast)
    return app


class Client:
    """A raw HTTP/1.1 client on one connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int | None = None, path: str | None = None) -> Client:
        if path is not None:
            return cls(*await asyncio.open_unix_connection(path))
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    def send(self, target: str) -> None:
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())

    async def response(self, timeout: float = GUARD) -> bytes:
        """One whole response (the bodies here are 4 bytes)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        return head + await asyncio.wait_for(self.reader.readexactly(4), timeout)

    async def nothing_for(self, seconds: float = QUIET) -> bool:
        """True when no byte (and no close) comes for ``seconds``."""
        try:
            await asyncio.wait_for(self.reader.read(1), seconds)
        except asyncio.TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.writer.close()


async def start_runner(app: Application, **options: Any) -> tuple[AppRunner, int]:
    runner = AppRunner(app, access_log=None, **options)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site.port


async def until(condition: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD
    while not condition():
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_past_the_cap_a_client_waits_unaccepted_then_is_served(loop_name: str) -> None:
    async def main() -> None:
        release = asyncio.Event()
        runner, port = await start_runner(gated_app(release), max_connections=2)
        server = runner.server
        assert server is not None and server.max_connections == 2
        try:
            a, b = await Client.connect(port), await Client.connect(port)
            a.send("/slow")
            b.send("/slow")
            await until(lambda: len(server.connections) == 2)
            late = await Client.connect(port)  # the kernel completes the handshake
            late.send("/fast")
            assert await late.nothing_for(), "a client past the cap was answered"
            assert len(server.connections) == 2  # never accepted by the server
            assert server.admission.paused
            a.close()  # one closes: accepting resumes and the waiting client is served
            answer = await late.response()
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"fast")
            release.set()
            assert (await b.response()).endswith(b"slow")
            for client in (b, late):
                client.close()
        finally:
            await runner.cleanup()

    run(loop_name, main())


@pytest.mark.parametrize("loop_name", LOOPS)
def test_an_idle_keepalive_connection_makes_room_for_a_waiting_client(loop_name: str) -> None:
    async def main() -> None:
        runner, port = await start_runner(gated_app(asyncio.Event()), max_connections=1)
        try:
            idle = await Client.connect(port)
            idle.send("/fast")
            assert (await idle.response()).endswith(b"fast")  # now idle, kept alive
            assert await idle.nothing_for(2 * WAIT_CHECK)  # nobody waits: it stays open
            newcomer = await Client.connect(port)
            newcomer.send("/fast")
            assert (await newcomer.response()).endswith(b"fast")
            # The idle connection was closed to make room (EOF, no response).
            assert await asyncio.wait_for(idle.reader.read(), GUARD) == b""
            for client in (idle, newcomer):
                client.close()
        finally:
            await runner.cleanup()

    run(loop_name, main())


@pytest.mark.parametrize("loop_name", LOOPS)
def test_the_cap_counts_every_site_of_a_runner(loop_name: str, tmp_path: Path) -> None:
    async def main() -> None:
        release = asyncio.Event()
        runner, port = await start_runner(gated_app(release), max_connections=2)
        path = str(tmp_path / "app.sock")
        await UnixSite(runner, path).start()
        try:
            tcp, unix = await Client.connect(port), await Client.connect(path=path)
            tcp.send("/slow")
            unix.send("/slow")
            late_tcp, late_unix = await Client.connect(port), await Client.connect(path=path)
            late_tcp.send("/fast")
            late_unix.send("/fast")
            assert await late_tcp.nothing_for() and await late_unix.nothing_for(0.05)
            release.set()  # both answered; now idle: the waiting clients take their places
            assert (await tcp.response()).endswith(b"slow")
            assert (await unix.response()).endswith(b"slow")
            assert (await late_tcp.response()).endswith(b"fast")
            assert (await late_unix.response()).endswith(b"fast")
            for client in (tcp, unix, late_tcp, late_unix):
                client.close()
        finally:
            await runner.cleanup()

    run(loop_name, main())


@pytest.mark.parametrize("loop_name", LOOPS)
def test_without_a_pausable_listener_past_the_cap_is_a_503(loop_name: str) -> None:
    async def main() -> None:
        release = asyncio.Event()
        app = gated_app(release)
        app.freeze()
        server = Server(app, max_connections=1)
        srv = await asyncio.get_running_loop().create_server(server, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        try:
            busy = await Client.connect(port)
            busy.send("/slow")
            await until(lambda: len(server.connections) == 1)
            late = await Client.connect(port)
            late.send("/fast")
            raw = await asyncio.wait_for(late.reader.read(), GUARD)  # then closed
            assert raw.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            assert b"\r\nRetry-After: 1\r\n" in raw and b"\r\nConnection: close\r\n" in raw
            release.set()
            assert (await busy.response()).endswith(b"slow")
            for client in (busy, late):
                client.close()
        finally:
            srv.close()
            await server.shutdown(1.0)

    run(loop_name, main())


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_max_connections_must_be_a_positive_int(value: Any) -> None:
    with pytest.raises(ValueError, match="max_connections must be a positive int or None"):
        Server(make_tiny_app(), max_connections=value)


class Gate:
    """A connection gate that records what the server tells it."""

    def __init__(self, admit: bool) -> None:
        self.admit = admit
        self.made: list[Any] = []
        self.lost: list[Any] = []

    def connection_made(self, peername: Any) -> bool:
        self.made.append(peername)
        return self.admit

    def connection_lost(self, peername: Any) -> None:
        self.lost.append(peername)


class GatePlugin:
    def __init__(self, gate: Gate, name: str = "gate") -> None:
        self.gate = gate
        self.calls = 0
        self.plugin_info = PluginInfo(name=name)

    @hookimpl
    def jackfield_connection_gate(self, app: Application) -> Gate:
        self.calls += 1
        return self.gate


async def test_a_refusing_gate_closes_the_connection_before_reading_it(
    serve: Callable[..., Any],
) -> None:
    first, second = Gate(admit=True), Gate(admit=False)
    app = gated_app(asyncio.Event())
    ran: list[str] = []
    app.router.add("GET", "/", lambda request: ran.append("handler") or Response(text="nope"))
    for name, gate in (("first", first), ("second", second)):
        app.plugins.enable(GatePlugin(gate, name), reason="test")
    port = await serve(app)
    client = await Client.connect(port)
    client.send("/")
    # Closed: EOF, or a reset when the request was already in the socket.
    try:
        raw = await asyncio.wait_for(client.reader.read(), GUARD)
    except ConnectionResetError:
        raw = b""
    client.close()
    assert raw == b"" and ran == []
    local = client.writer.get_extra_info("sockname")
    assert first.made == second.made == [local]
    assert first.lost == [local]  # the gate that admitted hears it lost
    assert second.lost == []


async def test_an_admitting_gate_hears_every_connection_once(serve: Callable[..., Any]) -> None:
    gate = Gate(admit=True)
    app = gated_app(asyncio.Event())
    plugin = GatePlugin(gate)
    app.plugins.enable(plugin, reason="test")
    port = await serve(app)
    for _ in range(3):
        client = await Client.connect(port)
        client.send("/fast")
        assert (await client.response()).endswith(b"fast")
        client.close()
    await until(lambda: len(gate.lost) == 3)
    assert sorted(gate.made) == sorted(gate.lost) and len(set(gate.made)) == 3
    assert plugin.calls == 1  # the hook runs once, at freeze; the gate per connection


@pytest.mark.parametrize("with_gate", [False, True], ids=["no-gate", "gate"])
async def test_serving_connections_calls_no_hook(
    serve: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, with_gate: bool
) -> None:
    app = gated_app(asyncio.Event())
    if with_gate:
        app.plugins.enable(GatePlugin(Gate(admit=True)), reason="test")
    port = await serve(app)  # frozen: the composition and freeze hooks have run
    calls: list[str] = []
    original = pluggy.HookCaller.__call__

    def counting(self: pluggy.HookCaller, **kwargs: Any) -> Any:
        calls.append(self.name)
        return original(self, **kwargs)

    monkeypatch.setattr(pluggy.HookCaller, "__call__", counting)
    for _ in range(5):
        client = await Client.connect(port)
        client.send("/fast")
        assert (await client.response()).endswith(b"fast")
        client.close()
    assert calls == []
    assert len(app.connection_gates) == int(with_gate)


def test_a_refused_connection_is_not_counted_against_the_cap() -> None:
    async def main() -> None:
        gate = Gate(admit=False)
        app = gated_app(asyncio.Event())
        app.plugins.enable(GatePlugin(gate), reason="test")
        runner, port = await start_runner(app, max_connections=1)
        server = runner.server
        assert server is not None
        try:
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", port), timeout=GUARD):
                    pass
            await until(lambda: len(gate.made) == 3)
            assert len(server.connections) == 0 and not server.admission.paused
        finally:
            await runner.cleanup()

    run("asyncio", main())
