"""The distribution maps every package folder under its ``jackfield`` name."""

from __future__ import annotations

import sys
from pathlib import Path

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


def test_the_kernel_contract_covers_every_kernel_module() -> None:
    """Every kernel module but the web facade is bound by 'never import a plugin'."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"].startswith("The kernel never imports")]
    modules = {f"jackfield.{p.stem}" for p in (ROOT / "kernel").glob("*.py")}
    modules -= {"jackfield.__init__", "jackfield.web", "jackfield.__main__"}
    modules |= {"jackfield.http"}
    assert modules == set(contract["source_modules"])
