"""The compiled build's switch: JACKFIELD_NO_EXTENSIONS=1 imports the pure-Python source.

CI runs the suite on the pure build (the README's editable install) and on
the compiled one (``.ci/run``); on the compiled build the first test proves
the switch really swaps the modules, on the pure build that both agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jackfield._extensions import COMPILED_MODULES

PROBE = (
    "import json, importlib; from jackfield._extensions import COMPILED_MODULES as M, "
    "compiled_modules; print(json.dumps([[importlib.import_module(m).__file__ for m in M], "
    "compiled_modules()]))"
)


def _probe(switch: bool) -> tuple[list[str], list[str]]:
    """The listed modules' files, and what ``compiled_modules()`` says, in a fresh process."""
    env = dict(os.environ)
    env.pop("JACKFIELD_NO_EXTENSIONS", None)
    if switch:
        env["JACKFIELD_NO_EXTENSIONS"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    files, compiled = json.loads(out.stdout)
    return files, compiled


def test_the_switch_imports_every_listed_module_from_source() -> None:
    files, compiled = _probe(switch=True)
    assert len(files) == len(COMPILED_MODULES)
    assert all(f.endswith(".py") for f in files), files
    assert compiled == []


def test_without_the_switch_a_module_is_compiled_exactly_when_reported() -> None:
    files, compiled = _probe(switch=False)
    extensions = [m for m, f in zip(COMPILED_MODULES, files, strict=True) if not f.endswith(".py")]
    assert compiled == extensions


def test_the_listed_modules_exist() -> None:
    import importlib

    for name in COMPILED_MODULES:
        assert importlib.import_module(name).__name__ == name
