"""``jackfield routes package.module:init_func``."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from jackfield.runner.cli import main

APP_MODULE = """
from jackfield import web

async def index(request):
    return web.Response()

def item(request):
    return web.Response()

def init(argv):
    app = web.Application()
    app.router.add_get("/", index, name="index")
    app.router.add_post("/items/{id}", item)
    admin = web.Application()
    admin.router.add_get("/panel", index, name="panel")
    app.add_subapp("/admin", admin)
    return app

def empty(argv):
    return web.Application()
"""


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"routes_cli_app_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(APP_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_routes_command_prints_the_table(
    app_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", f"{app_module}:init"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "NAME", "HANDLER"]
    rows = [line.split() for line in lines[1:]]
    assert rows == [
        ["HEAD", "/", "index", f"{app_module}.index"],
        ["GET", "/", "index", f"{app_module}.index"],
        ["POST", "/items/{id}", f"{app_module}.item"],
        ["HEAD", "/admin/panel", "panel", f"{app_module}.index"],
        ["GET", "/admin/panel", "panel", f"{app_module}.index"],
    ]


def test_routes_command_on_an_app_without_routes(
    app_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", f"{app_module}:empty"]) == 0
    assert capsys.readouterr().out.strip() == "No routes."


def test_routes_command_reports_a_bad_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "no_such_module_xyz:init"]) == 2
    assert "routes" in capsys.readouterr().err
