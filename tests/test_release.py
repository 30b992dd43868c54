"""Release hygiene: the licence, the changelog, one version, "Added in" notes that agree."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import jackfield

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
_ADDED_IN = re.compile(r"Added in (\d+)\.(\d+)")


def test_the_licence_is_mit_and_declared() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}


def test_the_version_is_written_once() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in config["project"]
    assert config["project"]["dynamic"] == ["version"]
    dynamic = config["tool"]["setuptools"]["dynamic"]
    assert dynamic == {"version": {"attr": "jackfield.__version__"}}
    assert re.fullmatch(r"\d+\.\d+\.\d+", jackfield.__version__)
    # What the installed distribution says (after any reinstall) is that same value.
    assert importlib.metadata.version("jackfield") == jackfield.__version__


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/" in text
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings and headings[0] == "Unreleased"
    for version in headings[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert f"first release, {jackfield.__version__}" in text or jackfield.__version__ in headings


def test_added_in_notes_name_a_version_that_ships() -> None:
    major, minor = map(int, jackfield.__version__.split(".")[:2])
    late = []
    sources = [*(ROOT / "docs").glob("*.md"), *(ROOT / "kernel").rglob("*.py")]
    sources += (ROOT / "plugins").rglob("*.py")
    for path in sources:
        for match in _ADDED_IN.finditer(path.read_text(encoding="utf-8")):
            if (int(match.group(1)), int(match.group(2))) > (major, minor):
                late.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not late, f"notes newer than version {jackfield.__version__}: {late}"
    assert any(_ADDED_IN.search(p.read_text(encoding="utf-8")) for p in sources)
