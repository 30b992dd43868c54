"""The compiled build: ``JACKFIELD_MYPYC=1 pip install --no-build-isolation .``.

Everything else about the distribution is in ``pyproject.toml``. Without
``JACKFIELD_MYPYC`` (the README's editable install, for one) nothing is
compiled and this file only calls ``setup()``. With it, the modules listed in
``kernel/_extensions.py`` are compiled by mypyc from the same source; mypy
(which ships mypyc) must be installed, hence ``--no-build-isolation``.

mypyc names a module after its path, and the source folders (``kernel/``,
``plugins/``) are not named like the packages (``jackfield``,
``jackfield.plugins``), so the sources are copied into a staging tree laid
out like the installed package first.

The editable install (``pip install -e .``) gets one addition, for type
checkers: setuptools maps ``kernel/`` to ``jackfield`` with an import hook,
which mypy cannot follow, so a user's ``mypy --strict`` found no ``jackfield``
(issue 18). ``_typing_tree()`` lays out ``build/jackfield-types/jackfield-stubs``
as symbolic links to the sources (``plugins`` inside it, as installed) and the
editable wheel gets a ``.pth`` line naming that folder. mypy takes
``jackfield-stubs`` for the package's types; Python cannot import a name with
a dash, so the running code still comes through setuptools' hook.
"""

from __future__ import annotations

import os
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.editable_wheel import editable_wheel

HERE = Path(__file__).resolve().parent


def _compiled_extensions() -> list[object]:
    from mypyc.build import mypycify

    names = runpy.run_path(str(HERE / "kernel" / "_extensions.py"))["COMPILED_MODULES"]
    stage = HERE / "build" / "mypyc-src"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(HERE / "kernel", stage / "jackfield")
    shutil.copytree(HERE / "plugins", stage / "jackfield" / "plugins")
    paths = [name.replace(".", "/") + ".py" for name in names]
    cwd = os.getcwd()
    os.chdir(stage)
    try:
        extensions = mypycify(paths, opt_level="3", target_dir=str(stage / "build"))
    finally:
        os.chdir(cwd)
    for ext in extensions:  # made relative to the staging tree: make them absolute
        ext.sources = [str(stage / src) for src in ext.sources]
        ext.include_dirs = [d if os.path.isabs(d) else str(stage / d) for d in ext.include_dirs]
    return extensions


def _typing_tree() -> Path | None:
    """Lay out the folder the editable install's ``.pth`` names for mypy; None if it cannot."""
    root = HERE / "build" / "jackfield-types"
    stubs = root / "jackfield-stubs"
    shutil.rmtree(root, ignore_errors=True)
    try:
        stubs.mkdir(parents=True)
        for entry in (HERE / "kernel").iterdir():
            if entry.name != "__pycache__":
                (stubs / entry.name).symlink_to(entry)
        (stubs / "plugins").symlink_to(HERE / "plugins")
        # mypy finds a stub package by its __init__.pyi; the rest may be .py.
        (stubs / "__init__.pyi").symlink_to(HERE / "kernel" / "__init__.py")
    except OSError:  # no symbolic links here (Windows without the privilege): no typing tree
        shutil.rmtree(root, ignore_errors=True)
        return None
    return root


class _EditableWithTypes(editable_wheel):  # type: ignore[misc]
    """``pip install -e .``: setuptools' editable wheel plus the ``.pth`` line for mypy."""

    def _select_strategy(self, *args: object, **kwargs: object) -> object:
        strategy = super()._select_strategy(*args, **kwargs)
        tree = _typing_tree()
        return strategy if tree is None else _AlsoTypes(strategy, tree)


class _AlsoTypes:
    """Wraps setuptools' editable strategy and writes one more ``.pth`` into the wheel."""

    def __init__(self, inner: object, tree: Path) -> None:
        self._inner = inner
        self._tree = tree

    def __call__(self, wheel: object, files: object, mapping: object) -> None:
        self._inner(wheel, files, mapping)  # type: ignore[operator]
        wheel.writestr("__editable__.jackfield_types.pth", f"{self._tree}\n")  # type: ignore[attr-defined]

    def __enter__(self) -> object:
        return self._inner.__enter__()  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> object:
        return self._inner.__exit__(*exc)  # type: ignore[attr-defined]


setup(
    ext_modules=_compiled_extensions() if os.environ.get("JACKFIELD_MYPYC") else [],
    cmdclass={"editable_wheel": _EditableWithTypes},
)
