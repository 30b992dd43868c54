"""The hook specifications: names, documentation, options, and the guide that lists them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest

import jackfield
from jackfield.host import hookspecs

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"
HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("jackfield_"))


def spec_opts(name: str) -> dict[str, Any]:
    opts = pluggy.PluginManager("jackfield").parse_hookspec_opts(hookspecs, name)
    assert opts is not None, f"{name} is not marked with @hookspec"
    return dict(opts)


def signature_text(func: Callable[..., Any]) -> str:
    """``name(arg: Type, ...) -> Return``, annotations as written in the source."""
    sig = inspect.signature(func)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"{func.__name__}({params}) -> {sig.return_annotation}"


def test_markers_use_the_project_name_and_are_reexported() -> None:
    assert hookspecs.hookspec.project_name == "jackfield"
    assert hookspecs.hookimpl.project_name == "jackfield"
    assert jackfield.hookimpl is hookspecs.hookimpl


def test_the_expected_hooks_exist() -> None:
    assert HOOKS == [
        "jackfield_add_commands",
        "jackfield_app_freeze",
        "jackfield_configure_app",
        "jackfield_connection_gate",
        "jackfield_default_expect_handler",
        "jackfield_make_router",
    ]
    assert sorted(hookspecs.__all__) == ["PROJECT", "hookimpl", "hookspec"]


def test_star_import_into_a_plugin_module_is_harmless() -> None:
    namespace: dict[str, Any] = {}
    exec("from jackfield.host.hookspecs import *", namespace)
    assert not [n for n in namespace if n.startswith("jackfield_")]


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_says_when_what_and_since(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Called once per" in doc, "say when it is called and how often"
    assert "Added in 0.1." in doc
    assert "firstresult" in doc and "historic" in doc.lower()
    for arg in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f"``{arg}``" in doc, f"document the argument {arg!r}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_never_both_firstresult_and_historic(name: str) -> None:
    opts = spec_opts(name)
    assert not (opts["firstresult"] and opts["historic"])


def test_only_the_provide_one_hooks_are_firstresult() -> None:
    assert [n for n in HOOKS if spec_opts(n)["firstresult"]] == [
        "jackfield_default_expect_handler",
        "jackfield_make_router",
    ]
    assert not any(spec_opts(n)["historic"] for n in HOOKS)


def test_specs_load_into_a_plugin_manager() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in HOOKS:
        assert getattr(pm.hook, name).has_spec()


def test_hooks_are_grouped_by_phase() -> None:
    source = inspect.getsource(hookspecs)
    headings = ["# -- composition", "# -- freeze", "# -- command line"]
    positions = [source.index(h) for h in headings]
    assert positions == sorted(positions)


@pytest.mark.parametrize("name", HOOKS)
def test_guide_lists_every_hook_with_its_exact_signature(name: str) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    expected = signature_text(getattr(hookspecs, name))
    assert expected in text, f"docs/plugins.md must show `{expected}`"
