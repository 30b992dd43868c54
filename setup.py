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
"""

from __future__ import annotations

import os
import runpy
import shutil
from pathlib import Path

from setuptools import setup

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


setup(ext_modules=_compiled_extensions() if os.environ.get("JACKFIELD_MYPYC") else [])
