"""``load_app``: from ``package.module:init_func`` to an Application, with clear errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jackfield.app.app import Application
from jackfield.runner._loader import AppLoadError, load_app, resolve_app

MakeModule = Callable[[str], str]

APPS = """
    from jackfield.app.app import Application

    VALUE = 42
    app = Application(plugins=[])

    def init(argv):
        a = Application(plugins=[])
        a["argv"] = argv
        return a

    async def init_async(argv):
        a = Application(plugins=[])
        a["async"] = True
        return a

    def not_an_app(argv):
        return "nope"

    class factories:
        @staticmethod
        def make(argv):
            return init(argv)
"""


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeModule]:
    """``name = module(source)`` writes an importable module with a fresh name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def make(source: str) -> str:
        name = f"jf_loader_case_{len(names)}_{tmp_path.name.replace('-', '_')}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)


def test_calls_init_func_with_argv(module: MakeModule) -> None:
    app = load_app(f"{module(APPS)}:init", ["--db", "x"])
    assert isinstance(app, Application)
    assert app["argv"] == ["--db", "x"]


def test_argv_defaults_to_empty_list(module: MakeModule) -> None:
    assert load_app(f"{module(APPS)}:init")["argv"] == []


def test_dotted_attribute(module: MakeModule) -> None:
    assert load_app(f"{module(APPS)}:factories.make", ["a"])["argv"] == ["a"]


def test_application_instance_is_used_as_is(module: MakeModule) -> None:
    name = module(APPS)
    assert load_app(f"{name}:app") is sys.modules[name].app


def test_async_init_func_runs_without_a_loop(module: MakeModule) -> None:
    assert load_app(f"{module(APPS)}:init_async")["async"] is True


async def test_async_init_func_inside_a_running_loop_is_refused(module: MakeModule) -> None:
    with pytest.raises(AppLoadError, match="event loop is already running"):
        load_app(f"{module(APPS)}:init_async")


@pytest.mark.parametrize(
    ("suffix", "argv", "message"),
    [
        ("", [], "not of the form 'package.module:init_func'"),
        (":", [], "not of the form"),
        (
            ":missing",
            [],
            r"has no attribute 'missing'\. Functions and applications in .*: app, init",
        ),
        (":factories.nope", [], "has no attribute 'nope'"),
        (":VALUE", [], "is a int .*42.*neither a callable"),
        (":not_an_app", [], "returned 'nope' \\(str\\), not an Application"),
        (":app", ["--x"], "is an application, not an init function.*'--x'"),
    ],
    ids=[
        "no-colon",
        "no-attribute",
        "unknown-attribute",
        "unknown-nested",
        "not-callable",
        "returns-non-app",
        "app-with-args",
    ],
)
def test_bad_spec_is_explained(
    module: MakeModule, suffix: str, argv: list[str], message: str
) -> None:
    with pytest.raises(AppLoadError, match=message):
        load_app(module(APPS) + suffix, argv)


def test_missing_module_suggests_where_to_run(module: MakeModule) -> None:
    with pytest.raises(AppLoadError) as info:
        load_app("jf_no_such_pkg.app:init", [])
    msg = str(info.value)
    assert "cannot import module 'jf_no_such_pkg.app'" in msg
    assert "No module named 'jf_no_such_pkg'" in msg
    assert "PYTHONPATH" in msg


def test_import_error_inside_the_module_is_shown(module: MakeModule) -> None:
    name = module("import jf_missing_dependency\n")
    with pytest.raises(AppLoadError) as info:
        load_app(f"{name}:init", [])
    assert "No module named 'jf_missing_dependency'" in str(info.value)
    assert "PYTHONPATH" not in str(info.value)  # the user's module was found


def test_errors_in_the_init_function_propagate(module: MakeModule) -> None:
    name = module("def init(argv):\n    raise KeyError('config')\n")
    with pytest.raises(KeyError, match="config"):
        load_app(f"{name}:init", [])


def test_module_without_functions_says_so(module: MakeModule) -> None:
    with pytest.raises(AppLoadError, match="defines no public functions"):
        load_app(f"{module('X = 1')}:init", [])


async def test_resolve_app_hands_back_the_awaitable(module: MakeModule) -> None:
    name = module(APPS)
    app = await resolve_app(f"{name}:init_async")  # type: ignore[misc]
    assert app["async"] is True
    assert isinstance(resolve_app(f"{name}:init"), Application)


async def test_resolved_awaitable_checks_the_result(module: MakeModule) -> None:
    name = module("async def init(argv):\n    return 1\n")
    with pytest.raises(AppLoadError, match="returned 1 \\(int\\), not an Application"):
        await resolve_app(f"{name}:init")  # type: ignore[misc]


def test_a_missing_dependency_names_the_file_and_line(module: MakeModule, tmp_path: Path) -> None:
    name = module("import os\nimport jf_no_such_dependency\napp = None\n")
    with pytest.raises(AppLoadError) as info:
        load_app(f"{name}:app")
    message = str(info.value)
    assert "No module named 'jf_no_such_dependency'" in message
    assert f"It is imported at {tmp_path / name}.py, line 2." in message
    assert "Install the distribution that provides 'jf_no_such_dependency'" in message
    assert "Check the spelling" not in message  # that hint is for the module named in the spec


def test_a_syntax_error_names_the_file_and_line(module: MakeModule, tmp_path: Path) -> None:
    name = module("app = None\ndef broken(:\n    pass\n")
    with pytest.raises(AppLoadError, match=rf"invalid syntax \({tmp_path / name}\.py, line 2\)"):
        load_app(f"{name}:app")
