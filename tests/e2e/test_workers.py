"""``run_app(app, workers=N)``: real worker processes on one port.

Each test runs a small script calling ``web.run_app(..., workers=N)`` in a
subprocess, reads the port and the workers' pids from what it prints, and
talks to it over loopback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jackfield import web
from jackfield.runner.runner import AddressInUseError

from .processes import Proc, finish_stream, pid_alive, start_stream, write_app

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs Unix processes")

SCRIPT = """
import sys
from jackfield import web
from {module} import build

options = eval(sys.argv[1])  # the test's keyword arguments for run_app
web.run_app(build(), print=lambda *a: print(*a, flush=True), shutdown_timeout=5, **options)
print("run_app returned", flush=True)
"""

READY = r"jackfield: worker (\d+) ready"

Start = Callable[..., Proc]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Start]:
    module = write_app(tmp_path)
    (tmp_path / "serve.py").write_text(SCRIPT.format(module=module), encoding="utf-8")
    started: list[Proc] = []

    def start(**options: object) -> Proc:
        options = {"host": "127.0.0.1", "port": 0, **options}
        proc = Proc([sys.executable, "serve.py", repr(options)], cwd=tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def _ready_pids(proc: Proc, count: int) -> list[int]:
    return [int(m.group(1)) for m in proc.wait_for(READY, count=count)]


def _pids_answering(port: int, expected: set[int], tries: int = 200) -> set[int]:
    seen: set[int] = set()
    with httpx.Client() as client:
        for _ in range(tries):
            # A new connection each time: the kernel picks a worker per connection.
            seen.add(
                client.get(f"http://127.0.0.1:{port}/", headers={"Connection": "close"}).json()[
                    "pid"
                ]
            )
            if seen >= expected:
                break
    return seen


@pytest.mark.parametrize("reuse_port", [None, False], ids=["so-reuseport", "shared-socket"])
def test_every_worker_answers_on_the_one_port(serve: Start, reuse_port: bool | None) -> None:
    proc = serve(workers=3, reuse_port=reuse_port)
    pids = set(_ready_pids(proc, 3))
    port = proc.port()
    assert len(pids) == 3
    assert _pids_answering(port, pids) == pids
    assert proc.popen.pid not in pids  # the supervisor itself serves nothing


def test_a_dead_worker_is_replaced_and_the_others_keep_their_requests(serve: Start) -> None:
    proc = serve(workers=2)
    pids = _ready_pids(proc, 2)
    port = proc.port()
    sock, serving = start_stream(port, 1.0)
    (victim,) = set(pids) - {serving}
    os.kill(victim, signal.SIGKILL)
    proc.wait_for(rf"worker {victim} was killed by SIGKILL; starting another")
    assert finish_stream(sock) == b"5\r\ndone\n\r\n0\r\n\r\n"  # the rest, to the last chunk
    (replacement,) = set(_ready_pids(proc, 3)) - set(pids)
    assert _pids_answering(port, {serving, replacement}) == {serving, replacement}


def test_sigterm_to_the_supervisor_drains_every_worker(serve: Start) -> None:
    proc = serve(workers=2)
    pids = set(_ready_pids(proc, 2))
    port = proc.port()
    streams: dict[int, socket.socket] = {}
    deadline = time.monotonic() + 10
    while set(streams) != pids and time.monotonic() < deadline:
        sock, pid = start_stream(port, 2.0)  # long enough to still run when SIGTERM comes
        if pid in streams:
            sock.close()  # a second one on the same worker: not needed
        else:
            streams[pid] = sock
    assert set(streams) == pids
    proc.signal(signal.SIGTERM)
    for sock in streams.values():
        assert finish_stream(sock) == b"5\r\ndone\n\r\n0\r\n\r\n"
    assert proc.wait() == 0
    assert "run_app returned" in proc.output
    assert not any(pid_alive(pid) for pid in pids)


def test_a_worker_that_fails_to_start_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "from jackfield import web\n"
        "async def boom(app):\n"
        "    raise RuntimeError('database unreachable')\n"
        "app = web.Application()\n"
        "app.on_startup.append(boom)\n"
        "web.run_app(app, host='127.0.0.1', port=0, workers=2)\n",
        encoding="utf-8",
    )
    proc = Proc([sys.executable, "broken.py"], cwd=tmp_path)
    try:
        assert proc.wait() == 1
    finally:
        proc.stop()
    assert "RuntimeError: database unreachable" in proc.output
    assert "WorkerError: worker" in proc.output and "failed to start" in proc.output


def test_workers_on_a_unix_socket(serve: Start, tmp_path: Path) -> None:
    path = tmp_path / "app.sock"
    proc = serve(workers=2, host=None, port=None, path=str(path))
    pids = set(_ready_pids(proc, 2))
    transport = httpx.HTTPTransport(uds=str(path))
    with httpx.Client(transport=transport) as client:
        answer = client.get("http://unix/").json()
    assert answer["pid"] in pids
    proc.signal(signal.SIGINT)
    assert proc.wait() == 0
    assert not path.exists()


@pytest.mark.parametrize("reuse_port", [False, True], ids=["plain", "so-reuseport"])
def test_a_port_in_use_is_one_clear_error(reuse_port: bool) -> None:
    """Also when the other server set SO_REUSEPORT (an earlier run, still up)."""
    with socket.socket() as taken:
        if reuse_port:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in (1, 2):
            with pytest.raises(AddressInUseError, match=rf"127\.0\.0\.1:{port}.*already in use"):
                web.run_app(
                    web.Application(), host="127.0.0.1", port=port, workers=workers, print=None
                )


def test_bad_workers_values_are_refused() -> None:
    app = web.Application()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="workers must be a whole number >= 1"):
            web.run_app(app, workers=bad, print=None)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="pass loop_factory="):
            web.run_app(app, workers=2, loop=loop, print=None)
    finally:
        loop.close()


def test_an_unknown_keyword_names_run_app_and_the_valid_ones() -> None:
    with pytest.raises(TypeError) as info:
        web.run_app(web.Application(), print=None, wrokers=2)
    message = str(info.value)
    assert message.startswith("run_app() got unexpected keyword argument(s) 'wrokers'")
    assert "workers" in message and "server_header" in message and "Server.__init__" not in message


def test_a_worker_that_keeps_dying_is_replaced_at_most_once_a_second(tmp_path: Path) -> None:
    (tmp_path / "crashing.py").write_text(
        "import asyncio, os\n"
        "from jackfield import web\n"
        "async def crash_soon(app):\n"
        "    asyncio.get_running_loop().call_later(0.05, os._exit, 1)\n"
        "app = web.Application()\n"
        "app.on_startup.append(crash_soon)\n"
        "web.run_app(app, host='127.0.0.1', port=0, workers=2)\n",
        encoding="utf-8",
    )
    proc = Proc([sys.executable, "crashing.py"], cwd=tmp_path)
    try:
        proc.wait_for(r"exited with status 1; starting another", count=2)
        time.sleep(2.0)
        replaced = len(proc.wait_for(r"exited with status 1; starting another"))
        # Each dies 0.05 s after it is ready, so without the pause there would be
        # dozens; with it each of the two is replaced about once a second.
        assert 2 <= replaced <= 10, proc.output
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        proc.stop()
