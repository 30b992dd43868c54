"""The kernel's layers hold at run time: no import cycle, and every module imports alone.

import-linter's ``layers`` contract (pyproject.toml) checks the order of the
layer packages; these tests check what it does not: that no two kernel
modules import each other at run time, even within one layer and even
through imports inside functions, and that each module imports in a fresh
interpreter with nothing imported before it (a cycle hidden by import order
shows up there as a partially initialised module).
"""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

# Imports under ``if TYPE_CHECKING:`` never run; every other import may.
_GRAPH = grimp.build_graph("jackfield", exclude_type_checking_imports=True)
KERNEL = sorted(m for m in _GRAPH.modules if not m.startswith("jackfield.plugins"))


def _cycle(graph: grimp.ImportGraph, modules: list[str]) -> list[str] | None:
    """One import cycle among ``modules`` as a list of names, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported in on_path:
                return [*path[path.index(imported) :], imported]
            if imported not in done and imported in modules:
                found = visit(imported)
                if found:
                    return found
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in modules:
        if module not in done:
            found = visit(module)
            if found:
                return found
    return None


def test_the_graph_sees_the_layer_packages() -> None:
    # Guards the test below: an empty or flat graph would find no cycle either.
    assert {"jackfield.bodies.multipart", "jackfield.server.protocol"} <= set(KERNEL)
    assert "jackfield.bodies._part" in _GRAPH.find_modules_directly_imported_by(
        "jackfield.bodies.multipart"
    )


def test_no_import_cycle_at_run_time() -> None:
    cycle = _cycle(_GRAPH, KERNEL)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a")]:
        graph.add_import(importer=a, imported=b)
    assert _cycle(graph, ["p.a", "p.b", "p.c"]) == ["p.a", "p.b", "p.c", "p.a"]


@pytest.mark.parametrize("module", [m for m in KERNEL if m != "jackfield.__main__"])
def test_each_module_imports_alone(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
