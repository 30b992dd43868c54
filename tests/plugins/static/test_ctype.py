"""``content_type_for``: the Content-Type a file is served with."""

from __future__ import annotations

import pytest

from jackfield.plugins.static._ctype import content_type_for


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("logo.png", "image/png"),
        ("data.json", "application/json"),
        ("backup.tar.gz", "application/gzip"),
        ("style.css.br", "application/x-brotli"),
        ("no-extension", "application/octet-stream"),
        ("weird.zz-unknown", "application/octet-stream"),
    ],
)
def test_content_type_for(name: str, ctype: str) -> None:
    assert content_type_for(name) == ctype
