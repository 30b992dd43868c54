"""``jackfield serve`` and ``python -m jackfield.web``: the serving options, run for real.

Both commands share their options and defaults (``jackfield.runner._options``),
so most tests run both. The servers are real processes on loopback.
"""

from __future__ import annotations

import signal
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jackfield import __version__
from jackfield.runner._serve import serve_main
from jackfield.runner.cli import main

from .certs import write_self_signed
from .processes import BIN, Proc, write_app

COMMANDS = {
    "jackfield-serve": [str(BIN / "jackfield"), "serve"],
    "python-m-jackfield.web": [sys.executable, "-m", "jackfield.web"],
}

Start = Callable[..., Proc]


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest) -> list[str]:
    return COMMANDS[request.param]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Start]:
    write_app(tmp_path)
    started: list[Proc] = []

    def start(command: list[str], *options: str, target: str = "served_app:init") -> Proc:
        proc = Proc([*command, *options, target], cwd=tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def _stop(proc: Proc) -> None:
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0, proc.output


def test_defaults_localhost_an_access_log_and_uvloop(serve: Start, command: list[str]) -> None:
    pytest.importorskip("uvloop")
    proc = serve(command, "-P", "0")
    port = proc.port()
    assert "jackfield: serving on http://localhost:" in proc.output
    answer = httpx.get(f"http://127.0.0.1:{port}/?x=1", headers={"User-Agent": "probe/1"})
    assert answer.json()["loop"] == "uvloop"
    proc.wait_for(r'^127\.0\.0\.1 \[[^]]+\] "GET /\?x=1 HTTP/1\.1" 200 \d+ "-" "probe/1"$')
    assert "jackfield: using the uvloop event loop" in proc.output
    _stop(proc)


def test_no_access_log_and_no_uvloop(serve: Start, command: list[str]) -> None:
    proc = serve(command, "-H", "127.0.0.1", "-P", "0", "--no-access-log", "--no-uvloop")
    port = proc.port()
    answer = httpx.get(f"http://127.0.0.1:{port}/quiet-please")
    assert answer.status_code == 404
    assert httpx.get(f"http://127.0.0.1:{port}/").json()["loop"] == "asyncio.unix_events"
    _stop(proc)
    assert "quiet-please" not in proc.output
    assert "uvloop" not in proc.output


def test_access_log_format(serve: Start, command: list[str]) -> None:
    proc = serve(command, "-P", "0", "--access-log-format", '%s "%r" %{X-Trace}i')
    port = proc.port()
    httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Trace": "t-7"})
    proc.wait_for(r'^200 "GET / HTTP/1\.1" t-7$')
    _stop(proc)


def test_an_app_that_configures_logging_gets_the_access_lines(serve: Start, tmp_path: Path) -> None:
    (tmp_path / "logged_app.py").write_text(
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stderr, format='APPLOG %(name)s %(message)s')\n"
        "from served_app import init\n",
        encoding="utf-8",
    )
    proc = serve(COMMANDS["jackfield-serve"], "-P", "0", target="logged_app:init")
    port = proc.port()
    httpx.get(f"http://127.0.0.1:{port}/logged")
    proc.wait_for(r'^APPLOG jackfield\.access 127\.0\.0\.1 .*"GET /logged HTTP/1\.1" 404')
    _stop(proc)
    assert proc.output.count("GET /logged") == 1  # through the app's handler only


def test_workers_option_with_an_async_init_function(serve: Start) -> None:
    options = ["-H", "127.0.0.1", "-P", "0", "--workers", "2"]
    proc = serve(COMMANDS["jackfield-serve"], *options, target="served_app:init_async")
    pids = {int(m.group(1)) for m in proc.wait_for(r"worker (\d+) ready", count=2)}
    port = proc.port()
    seen: set[int] = set()
    for _ in range(200):
        seen.add(
            httpx.get(f"http://127.0.0.1:{port}/", headers={"Connection": "close"}).json()["pid"]
        )
        if seen == pids:
            break
    assert seen == pids
    _stop(proc)
    # Each worker awaited its copy of init_async(argv); the supervisor closed its own.
    assert "never awaited" not in proc.output


def test_tls_serves_https_without_a_warning_per_connection(
    serve: Start, command: list[str], tmp_path: Path
) -> None:
    cert, key = write_self_signed(tmp_path)
    # asyncio's own TLS transport is the one that warned (issue 18), so not uvloop's.
    options = ["--no-uvloop", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    proc = serve(command, "-H", "127.0.0.1", "-P", "0", *options)
    port = proc.port(r"serving on https://127\.0\.0\.1:(\d+)")
    context = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=context) as client:
        assert client.get(f"https://localhost:{port}/").status_code == 200
    for _ in range(2):  # a client that ends TLS properly: close_notify, then the TCP close
        with socket.create_connection(("127.0.0.1", port)) as raw:
            tls = context.wrap_socket(raw, server_hostname="localhost")
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert tls.recv(65536).startswith(b"HTTP/1.1 200 ")
            tls.unwrap()
    proc.wait_for(r'"GET / HTTP/1\.1" 200', count=3)
    _stop(proc)
    assert "eof_received" not in proc.output


def test_reload_restarts_on_a_change_and_survives_a_syntax_error(
    serve: Start, command: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("watchfiles")
    module = tmp_path / "served_app.py"
    proc = serve(command, "--reload", "-H", "127.0.0.1", "-P", "0")
    serving = r"serving on http://127\.0\.0\.1:(\d+)"
    port = int(proc.wait_for(serving)[0].group(1))
    assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    original = module.read_text()

    module.write_text(original + "\nbuild = None  # breaks init\ndef f(:\n")
    proc.wait_for(r"served_app\.py changed, restarting")
    proc.wait_for(r"error: cannot import module 'served_app'.*invalid syntax .*line \d+")
    assert proc.popen.poll() is None  # the watcher lives on

    module.write_text(original.replace('"pid": os.getpid()', '"pid": os.getpid(), "v": 2'))
    port = int(proc.wait_for(serving, count=2)[1].group(1))
    assert httpx.get(f"http://127.0.0.1:{port}/").json()["v"] == 2
    _stop(proc)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")  # the server went with the watcher


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--ssl-keyfile", "key.pem"], "--ssl-keyfile needs --ssl-certfile too"),
        (["--ssl-certfile", "nowhere.pem"], "cannot read 'nowhere.pem': no such file"),
        (["--reload", "--workers", "2"], "--reload serves from one process"),
        (["--access-log-format", "%Q"], "unknown access log directive '%Q'"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
    ids=["key-without-cert", "missing-cert", "reload-and-workers", "bad-log-format", "no-workers"],
)
def test_option_errors_are_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    write_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["serve", *options, "served_app:init"]) == 2
    assert serve_main([*options, "served_app:init"]) == 2
    err = capsys.readouterr().err
    assert err.count(message) == 2, err
    assert "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert serve_main(["--version"]) == 0
    assert capsys.readouterr().out == f"jackfield {__version__}\n" * 2
