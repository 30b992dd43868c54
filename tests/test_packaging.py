"""The distribution maps every package folder under its ``jackfield`` name."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Any, cast

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _package_names() -> set[str]:
    names = set()
    for top, prefix in (("kernel", "jackfield"), ("plugins", "jackfield.plugins")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            names.add(".".join([prefix, *rel.parts]) if rel.parts else prefix)
    return names


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    assert _package_names() == listed, "update [tool.setuptools] packages in pyproject.toml"


def _sources(folder: Path, skip: Path | None = None) -> set[Path]:
    return {
        p.relative_to(folder)
        for p in folder.rglob("*.py")
        if (skip is None or skip not in p.parents) and "__pycache__" not in p.parts
    }


def test_installed_names_map_to_the_folders() -> None:
    import jackfield
    import jackfield.http
    import jackfield.plugins

    installed = Path(jackfield.__file__).parent
    if installed == ROOT / "kernel":  # an editable install: the folders themselves
        assert Path(jackfield.http.__file__).parent == ROOT / "kernel" / "http"
        assert Path(jackfield.plugins.__file__).parent == ROOT / "plugins"
    else:  # a built install (the compiled build in CI): a copy of every source file
        plugins = Path(jackfield.plugins.__file__).parent
        assert plugins == installed / "plugins"
        assert _sources(installed, skip=plugins) == _sources(ROOT / "kernel")
        assert _sources(plugins) == _sources(ROOT / "plugins")


# Top-level kernel modules outside the layers: the package, ``python -m``, the
# web facade, the extension switch (imports nothing from jackfield), the path
# gunicorn's -k option names (``worker``, re-exporting jackfield.runner.gunicorn)
# and the compatibility modules kept for documented paths.
OUTSIDE_THE_LAYERS = {"__init__", "__main__", "web", "_extensions", "worker"}
COMPATIBILITY = {"abc", "accesslog", "cli", "hookspecs"}


def _contract(name: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name]
    return cast("dict[str, Any]", contract)


def test_every_kernel_package_is_a_layer() -> None:
    """Every package in kernel/ is named in the layers contract; no module sits beside them."""
    packages = {p.parent.name for p in (ROOT / "kernel").glob("*/__init__.py")}
    layers = _contract("The kernel is layered")
    assert layers["containers"] == ["jackfield"]
    assert set(layers["layers"]) == packages
    modules = {p.stem for p in (ROOT / "kernel").glob("*.py")}
    assert modules == OUTSIDE_THE_LAYERS | COMPATIBILITY


def test_the_kernel_contract_covers_every_kernel_package() -> None:
    """Every kernel package but the web facade is bound by 'never import a plugin'."""
    packages = {p.parent.name for p in (ROOT / "kernel").glob("*/__init__.py")}
    contract = _contract("The kernel never imports a plugin (except the web facade)")
    expected = {f"jackfield.{p}" for p in packages} | {"jackfield._extensions"}
    assert set(contract["source_modules"]) == expected
    assert contract["forbidden_modules"] == ["jackfield.plugins"]


@pytest.mark.parametrize("name", sorted(COMPATIBILITY))
def test_compatibility_modules_only_re_export(name: str) -> None:
    """A module kept for an old documented path holds imports and ``__all__``, nothing else."""
    tree = ast.parse((ROOT / "kernel" / f"{name}.py").read_text())
    doc, *body = tree.body
    assert isinstance(doc, ast.Expr) and "compatibility" in ast.literal_eval(doc.value)
    kinds = [type(node).__name__ for node in body]
    assert kinds[-1] == "Assign" and set(kinds[:-1]) == {"ImportFrom"}
    module = importlib.import_module(f"jackfield.{name}")
    assert all(getattr(module, n) is not None for n in module.__all__)
