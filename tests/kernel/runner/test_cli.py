"""The ``jackfield`` command, run through ``main([...])`` (and once as ``python -m jackfield``).

Discovery sees only the distributions a test writes into ``tmp_path``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from jackfield import __version__
from jackfield.host.host import discover
from jackfield.runner import cli
from jackfield.runner.cli import CommandRegistry, main


class Install(Protocol):
    def __call__(
        self,
        files: dict[str, str],
        dist: str | None = None,
        version: str = "1.0",
        entry_points: dict[str, str] | None = None,
    ) -> None: ...


@pytest.fixture(autouse=True)
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Write modules (and optionally a dist-info publishing plugins) into ``tmp_path``."""
    monkeypatch.setattr(sys, "path", [*sys.path])  # main() puts the cwd on sys.path
    monkeypatch.syspath_prepend(str(tmp_path))
    discover(refresh=True, path=[str(tmp_path)])
    tops: set[str] = set()

    def write(
        files: dict[str, str],
        dist: str | None = None,
        version: str = "1.0",
        entry_points: dict[str, str] | None = None,
    ) -> None:
        for rel, source in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
            tops.add(rel.split("/")[0].removesuffix(".py"))
        if dist is not None:
            info = tmp_path / f"{dist}-{version}.dist-info"
            info.mkdir()
            meta = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
            (info / "METADATA").write_text(meta, encoding="utf-8")
            eps = "".join(f"{k} = {v}\n" for k, v in (entry_points or {}).items())
            (info / "entry_points.txt").write_text(f"[jackfield.plugins]\n{eps}", encoding="utf-8")
        discover(refresh=True, path=[str(tmp_path)])

    yield write
    for name in list(sys.modules):
        if name.split(".")[0] in tops:
            del sys.modules[name]
    monkeypatch.undo()
    discover(refresh=True)


HELLO = """
    from jackfield.host.hookspecs import hookimpl
    from jackfield.host.host import PluginInfo

    plugin_info = PluginInfo(name="hello", description="says hello")

    @hookimpl
    def jackfield_configure_app(app):
        app["hello"] = True
"""

CORE = """
    from jackfield.host.hookspecs import hookimpl
    from jackfield.host.host import PluginInfo

    plugin_info = PluginInfo(name="core", default=True, description="the core")

    @hookimpl(trylast=True)
    def jackfield_make_router(app):
        return None

    @hookimpl
    def jackfield_app_freeze(app):
        pass
"""

GREETER = """
    from jackfield.host.hookspecs import hookimpl

    def configure(parser):
        parser.add_argument("--name", default="world")

    def run(ns):
        print(f"hello, {ns.name}")
        return 3

    @hookimpl
    def jackfield_add_commands(commands):
        commands.add("greet", help="say hello", configure=configure, run=run)
"""

MYAPP = """
    from jackfield.app.app import Application, middleware

    @middleware
    async def outer(request, handler):
        return await handler(request)

    async def inner(app, handler):
        return handler

    def init(argv):
        return Application(plugins=["hello", "core"], middlewares=[outer, inner])

    def unknown(argv):
        return Application(plugins=["nope"])
"""


@pytest.fixture
def plugins(install: Install) -> None:
    install({"core_jf.py": CORE}, dist="jackfield", version="9.9", entry_points={"core": "core_jf"})
    install(
        {"hello_jf/__init__.py": "", "hello_jf/_hooks.py": HELLO},
        dist="myplugin",
        version="1.0",
        entry_points={"hello": "hello_jf._hooks"},
    )


def test_plugins_lists_installed_plugins(plugins: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "DEFAULT", "DESCRIPTION"]
    assert out[1].split() == ["core", "jackfield", "9.9", "yes", "the", "core"]
    assert out[2].split() == ["hello", "myplugin", "1.0", "no", "says", "hello"]
    assert out[1].index("jackfield") == out[0].index("DISTRIBUTION")  # columns line up


def test_plugins_with_nothing_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    assert "No jackfield plugins are installed." in capsys.readouterr().out


def test_broken_plugin_is_reported_once_and_listed(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install({"bad_jf.py": "import jf_nowhere\n"}, dist="badplug", entry_points={"bad": "bad_jf"})
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert err.count("plugin 'bad' skipped") == 1
    assert "jf_nowhere" in err
    assert out.splitlines()[1].split()[:4] == ["bad", "badplug", "1.0", "broken"]


def test_plugins_of_an_app(
    plugins: None, install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install({"myapp.py": MYAPP})
    assert main(["plugins", "myapp:init"]) == 0
    out = capsys.readouterr().out
    assert "Plugins of myapp:init, in call order:" in out
    lines = [line.split(None, 2) for line in out.splitlines()]
    assert ["1.", "hello", "named in Application(plugins=...)"] in lines
    assert ["2.", "core", "named in Application(plugins=...)"] in lines
    hooks = {
        line.split()[0]: line.split(None, 1)[1]
        for line in out.splitlines()
        if line.strip().startswith("jackfield_")
    }
    assert hooks == {
        "jackfield_add_commands": "-",
        "jackfield_app_freeze": "core",
        "jackfield_configure_app": "hello",
        "jackfield_connection_gate": "-",
        "jackfield_default_expect_handler": "-",
        "jackfield_make_router": "core",
    }
    assert "1. myapp.outer" in out
    assert "2. myapp.inner" in out


def test_plugin_adds_a_command(install: Install, capsys: pytest.CaptureFixture[str]) -> None:
    install({"greeter_jf.py": GREETER}, dist="greeter", entry_points={"greeter": "greeter_jf"})
    assert main(["greet", "--name", "Ann"]) == 3
    assert capsys.readouterr().out == "hello, Ann\n"
    assert main(["--help"]) == 0
    assert "greet" in capsys.readouterr().out


def test_command_clash_is_pinned_on_the_plugin(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    clash = GREETER.replace('"greet"', '"plugins"')
    install({"clash_jf.py": clash}, dist="clash", entry_points={"clash": "clash_jf"})
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert "commands of plugin 'clash' skipped" in err
    assert "plugin 'jackfield' already added" in err
    assert "PLUGIN" in out  # the built-in command still runs


def test_command_with_broken_configure_is_skipped(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = GREETER.replace('parser.add_argument("--name", default="world")', "1 / 0")
    install({"broken_jf.py": broken}, dist="broken", entry_points={"broken": "broken_jf"})
    assert main(["plugins"]) == 0
    err = capsys.readouterr().err
    assert "command 'greet' of plugin 'broken' skipped" in err
    assert "ZeroDivisionError" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plugins", "myapp"], "not of the form 'package.module:init_func'"),
        (["plugins", "jf_nowhere_mod:init"], "cannot import module 'jf_nowhere_mod'"),
        (["plugins", "myapp:nothing"], "has no attribute 'nothing'"),
        (["plugins", "myapp:unknown"], "no jackfield plugin named 'nope'"),
    ],
    ids=["no-colon", "no-module", "no-attribute", "unknown-plugin"],
)
def test_load_errors_exit_2_without_traceback(
    install: Install, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    install({"myapp.py": MYAPP})
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("jackfield plugins: error: ")
    assert message in err
    assert "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate"], ["plugins", "--bogus"]],
    ids=["no-command", "unknown", "bad-option"],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: jackfield" in capsys.readouterr().err


def test_serve_hands_the_app_to_the_runner(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli, "run_app", lambda app, **kw: calls.append((app, kw)))
    install(
        {"srv.py": "from jackfield.app.app import Application\napp = Application(plugins=[])\n"}
    )
    assert main(["serve", "--no-uvloop", "-P", "8123", "srv:app"]) == 0
    assert calls == [(sys.modules["srv"].app, {"host": "localhost", "port": 8123})]


def test_registry_refuses_bad_and_taken_names() -> None:
    commands = CommandRegistry()

    def run(ns: argparse.Namespace) -> int:
        return 0

    commands.add("one", help="first", run=run)
    with pytest.raises(ValueError, match="lowercase"):
        commands.add("Two", help="x", run=run)
    commands._owner = "other"
    with pytest.raises(ValueError, match=r"plugin 'other' adds command 'one'.*'jackfield'"):
        commands.add("one", help="x", run=run)
    assert "one" in commands and len(commands) == 1
    assert [c.plugin for c in commands] == ["jackfield"]


def test_python_dash_m_jackfield_lists_installed_plugins(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jackfield", "plugins"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    row = next(line.split() for line in proc.stdout.splitlines() if line.startswith("routing "))
    assert row[1:3] == ["jackfield", __version__]


NAMESPACE_PLUGIN = """
    import types

    from jackfield.host.hookspecs import hookimpl

    @hookimpl
    def jackfield_add_commands(commands):
        commands.add("wave", help="wave", run=lambda ns: 0)

    plugin = types.SimpleNamespace(jackfield_add_commands=jackfield_add_commands)
"""


def test_an_unhashable_plugin_object_keeps_every_command(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SimpleNamespace plugin (as docs/plugins.md shows) is not hashable: issue 18."""
    install({"greeter_jf.py": GREETER}, dist="greeter", entry_points={"greeter": "greeter_jf"})
    install(
        {"wave_jf.py": NAMESPACE_PLUGIN}, dist="waver", entry_points={"waver": "wave_jf:plugin"}
    )
    assert main(["greet", "--name", "you"]) == 3
    assert main(["wave"]) == 0
    err = capsys.readouterr().err
    assert "warning" not in err, err
