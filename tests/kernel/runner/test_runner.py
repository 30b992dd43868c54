"""AppRunner and sites against real sockets, graceful shutdown, and run_app.

In-process tests drive ``AppRunner`` directly; ``run_app`` runs in a thread
(it owns its loop), and the signal tests run a tiny app in a subprocess and
send it SIGTERM or SIGINT while a request is in flight.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jackfield.app.app import Application
from jackfield.requests.request import Request
from jackfield.responses.response import Response
from jackfield.runner._sites import make_sites
from jackfield.runner.runner import (
    AppRunner,
    GracefulExit,
    SockSite,
    TCPSite,
    UnixSite,
    run_app,
)

KERNEL_TESTS = Path(__file__).resolve().parents[1]
GUARD = 10.0  # seconds: fail instead of hanging when something never happens


async def hello(request: Request) -> Response:
    return Response(text="Hello, world")


def add(app: Application, method: str, path: str, handler: Any) -> None:
    app.router.add(method, path, handler)  # type: ignore[attr-defined]


async def fetch(url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(**kwargs) as client:
        return await client.get(url)


async def refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


@pytest.fixture
async def runner(tiny_app: Application) -> AsyncIterator[AppRunner]:
    add(tiny_app, "GET", "/", hello)
    runner = AppRunner(tiny_app, shutdown_timeout=5.0)
    await runner.setup()
    yield runner
    await runner.cleanup()


# -- set-up and sites ---------------------------------------------------------


async def test_tcp_site_serves_and_stops_accepting_after_cleanup(tiny_app: Application) -> None:
    add(tiny_app, "GET", "/", hello)
    runner = AppRunner(tiny_app)
    assert runner.server is None
    await runner.setup()
    assert tiny_app.frozen and runner.server is not None
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site.port
    assert port != 0
    assert site.name == f"http://127.0.0.1:{port}"
    assert runner.sites == (site,) and runner.addresses == [("127.0.0.1", port)]
    r = await fetch(f"http://127.0.0.1:{port}/")
    assert (r.status_code, r.text) == (200, "Hello, world")
    await runner.cleanup()
    assert runner.sites == () and runner.server is None
    assert await refused(port)


async def test_several_sites_serve_the_same_app(runner: AppRunner, tmp_path: Path) -> None:
    first = TCPSite(runner, "127.0.0.1", 0)
    second = TCPSite(runner, "127.0.0.1", 0)
    unix = UnixSite(runner, tmp_path / "app.sock")
    for site in (first, second, unix):
        await site.start()
    assert len(runner.addresses) == 3
    for site in (first, second):
        assert (await fetch(f"http://127.0.0.1:{site.port}/")).text == "Hello, world"
    transport = httpx.AsyncHTTPTransport(uds=str(tmp_path / "app.sock"))
    assert (await fetch("http://localhost/", transport=transport)).text == "Hello, world"
    assert unix.name == f"http://unix:{tmp_path / 'app.sock'}:"


async def test_unix_site_removes_its_socket_file_when_stopped(
    runner: AppRunner, tmp_path: Path
) -> None:
    path = tmp_path / "app.sock"
    path.touch()  # a stale file from a crashed run is replaced... unless it is not a socket
    path.unlink()
    site = UnixSite(runner, path)
    await site.start()
    assert path.is_socket()
    await site.stop()
    assert not path.exists()


async def test_sock_site_serves_on_a_pre_bound_socket(runner: AppRunner) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = SockSite(runner, sock)
    assert site.name == f"http://127.0.0.1:{port}"
    await site.start()
    assert (await fetch(f"http://127.0.0.1:{port}/")).text == "Hello, world"


async def test_stopping_one_site_leaves_the_others_serving(runner: AppRunner) -> None:
    first = TCPSite(runner, "127.0.0.1", 0)
    second = TCPSite(runner, "127.0.0.1", 0)
    await first.start()
    await second.start()
    await first.stop()
    assert runner.sites == (second,)
    assert await refused(first.port)
    assert (await fetch(f"http://127.0.0.1:{second.port}/")).status_code == 200


async def test_site_names() -> None:
    app = Application(plugins=[])
    runner = AppRunner(app)
    await runner.setup()
    try:
        assert TCPSite(runner).name == "http://0.0.0.0:8080"
        assert TCPSite(runner, "::1", 81).name == "http://[::1]:81"
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        assert TCPSite(runner, "localhost", ssl_context=ctx).name == "https://localhost:8443"
    finally:
        await runner.cleanup()


async def test_misuse_is_reported_clearly(tiny_app: Application) -> None:
    runner = AppRunner(tiny_app)
    with pytest.raises(RuntimeError, match=r"await runner.setup\(\)"):
        TCPSite(runner)
    await runner.setup()
    try:
        with pytest.raises(RuntimeError, match="already set up"):
            await runner.setup()
        site = TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        with pytest.raises(RuntimeError, match="already started"):
            await site.start()
        with pytest.raises(ValueError, match="between 0 and 65535"):
            TCPSite(runner, port=70000)
    finally:
        await runner.cleanup()
    with pytest.raises(TypeError, match="needs a jackfield Application"):
        AppRunner(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown access log directive"):
        AppRunner(tiny_app, access_log_format="%Q")


async def test_a_site_shutdown_timeout_overrides_the_runners(runner: AppRunner) -> None:
    assert runner.shutdown_timeout == 5.0
    await TCPSite(runner, "127.0.0.1", 0).start()
    assert runner.shutdown_timeout == 5.0
    await TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.5).start()
    await TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=2.0).start()
    assert runner.shutdown_timeout == 2.0  # the longest one a site asked for
    with pytest.raises(ValueError, match=">= 0 seconds"):
        TCPSite(runner, shutdown_timeout=-1)


async def test_access_log_none_turns_access_logging_off(tiny_app: Application) -> None:
    runner = AppRunner(tiny_app, access_log=None)
    await runner.setup()
    try:
        assert runner.server is not None and runner.server.access_logger is None
    finally:
        await runner.cleanup()


async def test_server_options_reach_the_server(tiny_app: Application) -> None:
    runner = AppRunner(tiny_app, keepalive_timeout=3.0, handler_cancellation=False)
    await runner.setup()
    try:
        assert runner.server is not None
        assert runner.server.keepalive_timeout == 3.0
        assert runner.server.handler_cancellation is False
    finally:
        await runner.cleanup()


# -- graceful shutdown ----------------------------------------------------------


async def test_signals_run_in_the_spec_order(tiny_app: Application) -> None:
    events: list[str] = []

    async def ctx(app: Application) -> AsyncIterator[None]:
        events.append("ctx enter")
        yield
        events.append("ctx exit")

    async def handler(request: Request) -> Response:
        events.append("request")
        return Response(text="ok")

    tiny_app.cleanup_ctx.append(ctx)
    tiny_app.on_startup.append(lambda app: events.append("startup"))
    tiny_app.on_shutdown.append(lambda app: events.append("shutdown"))
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    add(tiny_app, "GET", "/", handler)
    runner = AppRunner(tiny_app)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await fetch(f"http://127.0.0.1:{site.port}/")
    await runner.cleanup()
    # cleanup_ctx sits on on_startup/on_cleanup; where among their receivers is the app's business
    assert [e for e in events if not e.startswith("ctx")] == [
        "startup",
        "request",
        "shutdown",
        "cleanup",
    ]
    assert events.index("ctx enter") < events.index("request") < events.index("ctx exit")
    assert events.index("shutdown") < events.index("ctx exit")


async def test_shutdown_lets_an_in_flight_request_finish_and_refuses_new_ones(
    tiny_app: Application,
) -> None:
    started = asyncio.Event()
    shutting_down = asyncio.Event()
    events: list[str] = []

    async def slow(request: Request) -> Response:
        started.set()
        await shutting_down.wait()  # still running when shutdown begins
        events.append("handler done")
        return Response(text="finished " + "x" * 100_000)

    async def on_shutdown(app: Application) -> None:
        events.append("shutdown")
        shutting_down.set()

    tiny_app.on_shutdown.append(on_shutdown)
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    add(tiny_app, "GET", "/slow", slow)
    runner = AppRunner(tiny_app, shutdown_timeout=GUARD)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site.port

    request = asyncio.create_task(fetch(f"http://127.0.0.1:{port}/slow"))
    await asyncio.wait_for(started.wait(), GUARD)
    cleanup = asyncio.create_task(runner.cleanup())
    await asyncio.wait_for(shutting_down.wait(), GUARD)
    assert await refused(port)  # step 1 happened before on_shutdown

    response = await asyncio.wait_for(request, GUARD)
    await asyncio.wait_for(cleanup, GUARD)
    assert response.status_code == 200
    assert response.text == "finished " + "x" * 100_000
    assert response.headers.get("connection") == "close"
    assert events == ["shutdown", "handler done", "cleanup"]


async def test_idle_keep_alive_connections_do_not_hold_up_shutdown(runner: AppRunner) -> None:
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{site.port}/")).status_code == 200
        # the pooled connection is idle and open; shutdown_timeout is 5 s
        await asyncio.wait_for(runner.cleanup(), GUARD / 2)


async def test_a_handler_past_the_shutdown_timeout_is_cancelled(tiny_app: Application) -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def stuck(request: Request) -> Response:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return Response(text="never")

    tiny_app.on_cleanup.append(lambda app: outcome.append("cleanup"))
    add(tiny_app, "GET", "/stuck", stuck)
    runner = AppRunner(tiny_app, shutdown_timeout=0.1)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    request = asyncio.create_task(fetch(f"http://127.0.0.1:{site.port}/stuck"))
    await asyncio.wait_for(started.wait(), GUARD)
    await asyncio.wait_for(runner.cleanup(), GUARD)
    assert outcome == ["cancelled", "cleanup"]
    with pytest.raises(httpx.TransportError):
        await asyncio.wait_for(request, GUARD)


async def test_on_shutdown_error_still_closes_connections_and_cleans_up(
    tiny_app: Application,
) -> None:
    events: list[str] = []

    def broken(app: Application) -> None:
        raise RuntimeError("on_shutdown failed")

    tiny_app.on_shutdown.append(broken)
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    runner = AppRunner(tiny_app)
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    with pytest.raises(RuntimeError, match="on_shutdown failed"):
        await runner.cleanup()
    assert events == ["cleanup"] and runner.server is None
    assert await refused(site.port)


async def test_cleanup_runs_once(tiny_app: Application) -> None:
    events: list[str] = []
    tiny_app.on_shutdown.append(lambda app: events.append("shutdown"))
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    runner = AppRunner(tiny_app)
    await runner.cleanup()  # before setup: nothing started, nothing to clean
    await runner.setup()
    await runner.cleanup()
    await runner.cleanup()
    assert events == ["shutdown", "cleanup"]


async def test_signal_handlers_are_installed_and_restored(tiny_app: Application) -> None:
    runner = AppRunner(tiny_app, handle_signals=True)
    await runner.setup()
    try:
        waiting = asyncio.create_task(runner._wait_for_signal())
        await asyncio.sleep(0)  # let the task start waiting
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(waiting, GUARD) == signal.SIGTERM
    finally:
        await runner.cleanup()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_graceful_exit_is_a_successful_system_exit() -> None:
    assert issubclass(GracefulExit, SystemExit) and GracefulExit().code == 0


# -- run_app ----------------------------------------------------------------------


async def test_run_app_makes_one_site_per_address(runner: AppRunner, tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    common: dict[str, Any] = {"backlog": 10, "reuse_address": True}
    try:

        def names(**where: Any) -> list[str]:
            options = {"host": None, "port": None, "path": None, "sock": None, **where}
            return [site.name for site in make_sites(runner, **options, **common)]

        port = sock.getsockname()[1]
        assert names() == ["http://0.0.0.0:8080"]
        assert names(port=9000) == ["http://0.0.0.0:9000"]
        assert names(host=["127.0.0.1", "::1"], port=81) == [
            "http://127.0.0.1:81",
            "http://[::1]:81",
        ]
        assert names(path=str(tmp_path / "a.sock")) == [f"http://unix:{tmp_path / 'a.sock'}:"]
        assert names(path=[tmp_path / "a", tmp_path / "b"], sock=sock) == [
            f"http://unix:{tmp_path / 'a'}:",
            f"http://unix:{tmp_path / 'b'}:",
            f"http://127.0.0.1:{port}",
        ]
        assert names(host="localhost", sock=[sock]) == [
            "http://localhost:8080",
            f"http://127.0.0.1:{port}",
        ]
    finally:
        sock.close()


class ThreadedRunApp:
    """``run_app`` in a thread with its own loop; ``stop()`` acts like a signal."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        self.lines: list[str] = []
        self.printed = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.error: BaseException | None = None

        def record(*args: Any) -> None:
            self.lines.append(" ".join(map(str, args)))
            if args and "Ctrl+C" in str(args[0]):
                self.printed.set()

        def target() -> None:
            try:
                run_app(app, print=record, loop=self.loop, handle_signals=False, **kwargs)
            except BaseException as exc:
                self.error = exc
            finally:
                self.printed.set()

        self.thread = threading.Thread(target=target)
        self.thread.start()

    @property
    def url(self) -> str:
        return self.lines[0].split()[-1]

    def stop(self) -> None:
        def graceful_exit() -> None:
            raise GracefulExit()

        self.loop.call_soon_threadsafe(graceful_exit)
        self.join()

    def join(self) -> None:
        self.thread.join(GUARD)
        assert not self.thread.is_alive(), "run_app did not return"
        self.loop.close()


def test_run_app_serves_until_stopped_and_cleans_up(tiny_app: Application) -> None:
    events: list[str] = []
    add(tiny_app, "GET", "/", hello)
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    running = ThreadedRunApp(tiny_app, host="127.0.0.1", port=0)
    assert running.printed.wait(GUARD) and running.error is None
    assert running.lines[0].startswith("jackfield: serving on http://127.0.0.1:")
    assert httpx.get(running.url + "/").text == "Hello, world"
    running.stop()
    assert running.error is None and events == ["cleanup"]


def test_run_app_accepts_a_coroutine_returning_the_app(tiny_app: Application) -> None:
    async def make() -> Application:
        asyncio.get_running_loop()  # built inside the server's loop
        add(tiny_app, "GET", "/", hello)
        return tiny_app

    running = ThreadedRunApp(make(), host="127.0.0.1", port=0)
    assert running.printed.wait(GUARD) and running.error is None
    assert httpx.get(running.url + "/").status_code == 200
    running.stop()


def test_run_app_raises_a_startup_error_after_cleaning_up(tiny_app: Application) -> None:
    events: list[str] = []

    def fail(app: Application) -> None:
        raise RuntimeError("database unreachable")

    tiny_app.on_startup.append(fail)
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    running = ThreadedRunApp(tiny_app, host="127.0.0.1", port=0)
    running.join()
    assert isinstance(running.error, RuntimeError) and "database" in str(running.error)
    assert running.lines == [] and events == ["cleanup"]


def test_run_app_stopped_during_startup_still_cleans_up(tiny_app: Application) -> None:
    events: list[str] = []
    starting = threading.Event()

    async def slow_startup(app: Application) -> None:
        starting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("startup cancelled")
            raise

    tiny_app.on_startup.append(slow_startup)
    tiny_app.on_cleanup.append(lambda app: events.append("cleanup"))
    running = ThreadedRunApp(tiny_app, host="127.0.0.1", port=0)
    assert starting.wait(GUARD)
    running.stop()
    assert running.error is None and running.lines == []
    assert events == ["startup cancelled", "cleanup"]


# -- a real process and real signals -------------------------------------------------

APP_SOURCE = textwrap.dedent(
    """
    import asyncio
    import importlib.util
    import sys

    # the kernel tests' tiny router, loaded by path (tests/kernel is no place on sys.path)
    spec = importlib.util.spec_from_file_location("kernel_conftest", sys.argv[1])
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    make_tiny_app = conftest.make_tiny_app

    from jackfield.responses.response import Response
    from jackfield.runner.runner import run_app

    app = make_tiny_app()
    shutting_down = asyncio.Event()

    async def slow(request):
        print("in flight", flush=True)
        await shutting_down.wait()
        return Response(text="finished")

    async def on_shutdown(app):
        print("shutdown", flush=True)
        shutting_down.set()

    app.router.add("GET", "/slow", slow)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(lambda app: print("cleanup done", flush=True))
    run_app(app, host="127.0.0.1", port=0, print=lambda *a: print(*a, flush=True))
    print("run_app returned", flush=True)
    """
)


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    script = tmp_path / "serve.py"
    script.write_text(APP_SOURCE)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(KERNEL_TESTS / "conftest.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(GUARD)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    proc.stderr.close()


def read_until(proc: subprocess.Popen[str], prefix: str, seen: list[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line.rstrip("\n"))
        if line.startswith(prefix):
            return line.strip()
    stderr = proc.stderr.read() if proc.stderr else ""
    raise AssertionError(f"process ended before printing {prefix!r}; output {seen}, {stderr}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_signal_shuts_down_gracefully_with_a_request_in_flight(
    app_process: subprocess.Popen[str], signum: int
) -> None:
    seen: list[str] = []
    url = read_until(app_process, "jackfield: serving on", seen).split()[-1]
    result: dict[str, Any] = {}

    def request() -> None:
        try:
            result["response"] = httpx.get(url + "/slow", timeout=GUARD)
        except Exception as exc:
            result["error"] = exc

    client = threading.Thread(target=request)
    client.start()
    read_until(app_process, "in flight", seen)
    app_process.send_signal(signum)
    client.join(GUARD)
    assert "error" not in result, result
    assert result["response"].status_code == 200 and result["response"].text == "finished"
    assert app_process.wait(GUARD) == 0
    assert app_process.stdout is not None
    seen.extend(line.rstrip("\n") for line in app_process.stdout)
    tail = seen[seen.index("in flight") + 1 :]
    assert tail == ["shutdown", "cleanup done", "run_app returned"]
