"""The tests a guide shows are run as tests, by pytest, with the jackfield plugin (issue 18).

``test_docs.py`` executes every guide's examples, which only *defines* the
test functions of a guide like ``docs/testing.md``. Here the blocks of each
guide that shows tests are written out as a test module and run by pytest in
a subprocess, configured as the guide tells readers to (``asyncio_mode =
auto``); every test the guide defines must pass.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_docs import _BLOCK, GUIDES

_TEST = re.compile(r"^(?:async )?def (test_\w+)\(", re.M)
WITH_TESTS = [g for g in GUIDES if _TEST.search("\n".join(_BLOCK.findall(g.read_text("utf-8"))))]


def test_the_testing_guide_shows_tests() -> None:
    assert any(g.name == "testing.md" for g in WITH_TESTS)


@pytest.mark.parametrize("guide", WITH_TESTS, ids=[g.stem for g in WITH_TESTS])
def test_guide_tests_pass(guide: Path, tmp_path: Path) -> None:
    source = "\n\n".join(_BLOCK.findall(guide.read_text(encoding="utf-8")))
    names = _TEST.findall(source)
    (tmp_path / f"test_{guide.stem}_guide.py").write_text(source, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "-W",
            "error::pytest.PytestUnraisableExceptionWarning",
        ],
        cwd=tmp_path,  # no configuration of the repository's applies
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(rf"{len(names)} passed in [\d.]+s(?: \(.*\))?", summary), result.stdout
