"""``gunicorn module:app -k jackfield.worker.GunicornWebWorker``, run for real.

Each test starts gunicorn in a subprocess on 127.0.0.1 (port 0, read from its
"Listening at" line) and talks to it with httpx.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jackfield.server.accesslog import DEFAULT_FORMAT

from .processes import BIN, Proc, read_all, send_slow_request, write_app

pytest.importorskip("gunicorn")  # the gunicorn extra; installed by the dev extra

from jackfield.worker import gunicorn_access_format  # after the skip: it needs gunicorn

WORKER = "jackfield.worker.GunicornWebWorker"
UVLOOP_WORKER = "jackfield.worker.GunicornUVLoopWebWorker"


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[object]:
    module = write_app(tmp_path)
    started: list[Proc] = []

    def start(target: str = "app", *options: str, worker: str = WORKER) -> Proc:
        args = [str(BIN / "gunicorn"), f"{module}:{target}", "-k", worker]
        args += ["-b", "127.0.0.1:0", "--no-control-socket", "--graceful-timeout", "5"]
        proc = Proc([*args, *options], cwd=tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.mark.parametrize(
    ("target", "worker"),
    [("app", WORKER), ("make_app", WORKER), ("'make_app()'", WORKER), ("app", UVLOOP_WORKER)],
    ids=["application", "async-factory", "factory-call", "uvloop"],
)
def test_serves_an_application_or_a_factory(gunicorn: object, target: str, worker: str) -> None:
    proc = gunicorn(target.strip("'"), worker=worker)  # type: ignore[operator]
    port = proc.port()
    answers = [httpx.get(f"http://127.0.0.1:{port}/").json() for _ in range(3)]
    worker_pids = {int(m.group(1)) for m in proc.wait_for(r"Booting worker with pid: (\d+)")}
    assert {a["pid"] for a in answers} == worker_pids
    loop_module = "uvloop" if worker == UVLOOP_WORKER else "asyncio.unix_events"
    assert {a["loop"] for a in answers} == {loop_module}
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def test_two_workers_share_the_port(gunicorn: object) -> None:
    proc = gunicorn("app", "-w", "2")  # type: ignore[operator]
    port = proc.port()
    booted = {int(m.group(1)) for m in proc.wait_for(r"Booting worker with pid: (\d+)", count=2)}
    seen: set[int] = set()
    for _ in range(200):  # the kernel spreads new connections; both answer soon
        seen.add(httpx.get(f"http://127.0.0.1:{port}/").json()["pid"])
        if seen == booted:
            break
    assert seen == booted


def test_sigterm_lets_the_request_in_flight_finish(gunicorn: object) -> None:
    proc = gunicorn("app")  # type: ignore[operator]
    port = proc.port()
    proc.wait_for("Booting worker")
    with send_slow_request(port, 1.0) as slow:
        proc.signal(signal.SIGTERM)
        answer = read_all(slow)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"slept" in answer
    assert proc.wait() == 0


def test_max_requests_replaces_the_worker(gunicorn: object) -> None:
    proc = gunicorn("app", "--max-requests", "2")  # type: ignore[operator]
    port = proc.port()
    first = int(proc.wait_for(r"Booting worker with pid: (\d+)")[0].group(1))
    for _ in range(2):
        assert httpx.get(f"http://127.0.0.1:{port}/").json()["pid"] == first
    proc.wait_for(r"Max requests \(2\), shutting down")
    second = int(proc.wait_for(r"Booting worker with pid: (\d+)", count=2)[1].group(1))
    assert second != first
    with httpx.Client() as client:  # retried: the new worker may still be starting
        for _ in range(100):
            pid = client.get(f"http://127.0.0.1:{port}/").json()["pid"]
            if pid == second:
                break
    assert pid == second


def test_access_log_with_a_gunicorn_format(gunicorn: object) -> None:
    proc = gunicorn(  # type: ignore[operator]
        "app",
        "--access-logfile",
        "-",
        "--access-logformat",
        '%(h)s "%(r)s" %(s)s %({x-trace}i)s',
    )
    port = proc.port()
    httpx.get(f"http://127.0.0.1:{port}/?q=1", headers={"X-Trace": "t-42"})
    proc.wait_for(r'^127\.0\.0\.1 "GET /\?q=1 HTTP/1\.1" 200 t-42$')


def test_no_access_log_unless_asked(gunicorn: object) -> None:
    proc = gunicorn("app")  # type: ignore[operator]
    port = proc.port()
    httpx.get(f"http://127.0.0.1:{port}/unlogged")
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    assert "/unlogged" not in proc.output


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nothing", "module 'served_app' has no 'nothing'"),
        ("not_an_app", "gave 42 (int), not a jackfield Application"),
        ("app.router", "write module:name or module:name(literal arguments)"),
    ],
    ids=["missing-name", "not-an-app", "bad-syntax"],
)
def test_a_wrong_target_stops_gunicorn_with_a_clear_message(
    gunicorn: object, target: str, message: str
) -> None:
    proc = gunicorn(target)  # type: ignore[operator]
    assert proc.wait() != 0
    assert message in proc.output


def test_a_worker_failing_at_start_up_stops_gunicorn(gunicorn: object) -> None:
    """Not a worker restarted again and again: gunicorn halts on a failed boot."""
    proc = gunicorn("failing_app")  # type: ignore[operator]
    assert proc.wait() == 3  # gunicorn's "worker failed to boot"
    assert "RuntimeError: database unreachable" in proc.output
    assert "Worker failed to boot" in proc.output
    assert len(proc.wait_for("Booting worker")) == 1


def test_gunicorn_formats_translate() -> None:
    default = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
    assert gunicorn_access_format(default) == DEFAULT_FORMAT
    assert gunicorn_access_format("%(h)s %(L)s %({x-id}o)s 100%%") == "%a %Tf %{x-id}o 100%%"
    assert gunicorn_access_format('%a "%r"') == '%a "%r"'  # jackfield's own, unchanged
    with pytest.raises(ValueError, match=r"%\(m\)s .* has no jackfield equivalent"):
        gunicorn_access_format("%(m)s %(U)s")
