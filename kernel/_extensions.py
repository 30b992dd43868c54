"""Which modules a compiled build compiles with mypyc, and the switch that turns them off.

The compiled build (``JACKFIELD_MYPYC=1 pip install --no-build-isolation .``)
compiles the modules in ``COMPILED_MODULES`` from the same source the pure
build runs; ``setup.py`` reads the list from here. Setting
``JACKFIELD_NO_EXTENSIONS=1`` (any non-empty value) before ``jackfield`` is
imported makes a compiled install import the pure-Python source of those
modules instead, as ``AIOHTTP_NO_EXTENSIONS`` does for aiohttp: to compare the
two builds, or to rule the compiled one out when chasing a bug.

This module imports nothing from jackfield: ``setup.py`` runs it on its own.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["COMPILED_MODULES", "compiled_modules", "install_switch", "is_compiled"]

COMPILED_MODULES: tuple[str, ...] = (
    "jackfield.http._framing",
    "jackfield.http._grammar",
    "jackfield.http._head",
    "jackfield.http.cookies",
    "jackfield.http.dates",
    "jackfield.http.events",
    "jackfield.http.parser",
    "jackfield.http.serializer",
    "jackfield.http.status",
    "jackfield.responses._head",
    "jackfield.app._dispatch",
    "jackfield.server.exchange",
    "jackfield.server.protocol",
    "jackfield.plugins.routing._index",
    "jackfield.plugins.routing._lookup",
    "jackfield.plugins.routing._pattern",
    "jackfield.plugins.routing._requestpath",
    "jackfield.plugins.websocket._frames",
    "jackfield.plugins.websocket._assembler",
    "jackfield.plugins.websocket._deflate",
    "jackfield.plugins.websocket._connection",
)
"""The modules a compiled build compiles (the codec first: issue 17)."""

_SWITCH = "JACKFIELD_NO_EXTENSIONS"


class _SourceOnly(importlib.abc.MetaPathFinder):
    """Finds the ``.py`` source of the compiled modules, never their extension module."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES or not path:
            return None
        for folder in path:
            finder = importlib.machinery.FileFinder(
                folder,
                (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
            )
            spec = finder.find_spec(fullname, target)
            if spec is not None:
                return spec
        return None


def install_switch() -> None:
    """Honour ``JACKFIELD_NO_EXTENSIONS``: called once, by ``jackfield/__init__.py``."""
    if os.environ.get(_SWITCH) and not any(isinstance(f, _SourceOnly) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceOnly())


def is_compiled(module: ModuleType) -> bool:
    """True if ``module`` was loaded from a compiled extension, not from source."""
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def compiled_modules() -> list[str]:
    """The names in ``COMPILED_MODULES`` that run compiled in this process (imports them)."""
    import importlib

    return [name for name in COMPILED_MODULES if is_compiled(importlib.import_module(name))]
