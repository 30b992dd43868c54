"""Fixtures for the templates plugin: real template files written into ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

WriteTemplates = Callable[..., jinja2.FileSystemLoader]


@pytest.fixture
def write_templates(tmp_path: Path) -> WriteTemplates:
    """``write_templates(**{"page.html": "..."})``: files on disk, and a loader for them."""

    def write(folder: str = "templates", **files: str) -> jinja2.FileSystemLoader:
        root = tmp_path / folder
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        root.mkdir(parents=True, exist_ok=True)
        return jinja2.FileSystemLoader(str(root))

    return write
