"""``python -m jackfield.web``: options, arguments passed to init_func, clear errors.

Most tests call ``serve_main`` with a stand-in for ``run_app``; one runs the
real command in a subprocess, serves a request and stops it with SIGINT.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jackfield.app.app import Application
from jackfield.runner._serve import serve_main

KERNEL_TESTS = Path(__file__).resolve().parents[1]

APP_MODULE = textwrap.dedent(
    """
    import importlib.util

    # the kernel tests' tiny router, loaded by path (tests/kernel is no place on sys.path)
    spec = importlib.util.spec_from_file_location("kernel_conftest", {conftest!r})
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    make_tiny_app = conftest.make_tiny_app

    from jackfield.responses.response import json_response

    received = []
    not_callable = 42

    def init_func(argv):
        received.append(argv)
        app = make_tiny_app()
        app["argv"] = argv

        async def show(request):
            return json_response(request.app["argv"])

        app.router.add("GET", "/", show)
        return app

    def wrong_type(argv):
        return "not an app"
    """
)


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"cli_app_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        APP_MODULE.format(conftest=str(KERNEL_TESTS / "conftest.py"))
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Application, dict[str, Any]]] = []

    def __call__(self, app: Application, **options: Any) -> None:
        self.calls.append((app, options))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], {"host": "localhost", "port": 8080}),
        (["-H", "127.0.0.1", "-P", "9000"], {"host": "127.0.0.1", "port": 9000}),
        (["--hostname", "::1", "--port", "0"], {"host": "::1", "port": 0}),
        (["-U", "/tmp/x.sock"], {"path": "/tmp/x.sock"}),
        (
            ["-U", "/tmp/x.sock", "-P", "81"],
            {"host": "localhost", "port": 81, "path": "/tmp/x.sock"},
        ),
        (
            ["--max-connections", "500"],
            {"host": "localhost", "port": 8080, "max_connections": 500},
        ),
    ],
    ids=[
        "defaults",
        "short-options",
        "long-options",
        "unix-only",
        "unix-and-tcp",
        "max-connections",
    ],
)
def test_options_become_run_app_arguments(
    app_module: str, options: list[str], expected: dict[str, Any]
) -> None:
    run = Recorder()
    assert serve_main(["--no-uvloop", *options, f"{app_module}:init_func"], run=run) == 0
    [(app, got)] = run.calls
    assert isinstance(app, Application)
    assert got == expected


def test_unknown_arguments_go_to_init_func(app_module: str) -> None:
    run = Recorder()
    argv = ["-P", "9000", f"{app_module}:init_func", "--db", "sqlite://", "verbose"]
    assert serve_main(argv, run=run) == 0
    [(app, _)] = run.calls
    assert app["argv"] == ["--db", "sqlite://", "verbose"]


def test_help_explains_the_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m jackfield.web")
    for text in ("package.module:init_func", "-H HOST", "-P PORT", "-U PATH", "SIGTERM"):
        assert text in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: ENTRY"),
        (["-P", "http", "m:f"], "'http' is not a port number"),
        (["-P", "70000", "m:f"], "port must be between 0 and 65535"),
        (["--max-connections", "0", "m:f"], "--max-connections must be at least 1, got 0"),
        (["--max-connections", "many", "m:f"], "'many' is not a number of connections"),
        (["no_such_module_xyz:init"], "cannot import module 'no_such_module_xyz'"),
        (["{mod}"], "is not of the form 'package.module:init_func'"),
        (["{mod}:missing"], "has no attribute 'missing'"),
        (["{mod}:not_callable"], "is a int (42)"),
        (["{mod}:wrong_type"], "not an Application"),
    ],
    ids=[
        "missing-entry",
        "port-not-a-number",
        "port-out-of-range",
        "max-connections-zero",
        "max-connections-not-a-number",
        "module-not-found",
        "no-colon",
        "missing-attribute",
        "not-callable",
        "returns-a-non-app",
    ],
)
def test_user_errors_exit_2_with_one_clear_line(
    app_module: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run = Recorder()
    argv = [a.format(mod=app_module) for a in argv]
    assert serve_main(argv, run=run) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "python -m jackfield.web: error:" in err
    assert "Traceback" not in err
    assert run.calls == []


def test_the_real_command_serves_and_stops_on_sigint(app_module: str, tmp_path: Path) -> None:
    env_path = str(tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jackfield.web",
            "-H",
            "127.0.0.1",
            "-P",
            "0",
            f"{app_module}:init_func",
            "extra",
        ],
        cwd=env_path,  # python -m puts the current folder on sys.path
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("jackfield: serving on http://127.0.0.1:"), first + (
            proc.stderr.read() if proc.stderr else ""
        )
        url = first.split()[-1]
        assert httpx.get(url + "/", timeout=10).json() == ["extra"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
