"""The static extension point: ``set_static_provider`` and the ``add_static`` delegating to it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jackfield.plugins.routing import StaticRegistry, UrlDispatcher


def test_add_static_without_a_provider_says_which_plugin(tmp_path: Path) -> None:
    router = UrlDispatcher()
    with pytest.raises(
        RuntimeError, match=r"needs the 'static' plugin.*plugins=\[\.\.\., 'static'\]"
    ):
        router.add_static("/s", tmp_path)


def test_add_static_calls_the_provider_with_everything(tmp_path: Path) -> None:
    router = UrlDispatcher()
    calls: list[tuple[Any, ...]] = []

    def provider(target: Any, prefix: str, path: str | os.PathLike[str], **options: Any) -> str:
        calls.append((target, prefix, path, options))
        return "the resource"

    assert isinstance(router, StaticRegistry)
    router.set_static_provider(provider)
    assert router.add_static("/s", tmp_path, show_index=True) == "the resource"
    assert calls == [(router, "/s", tmp_path, {"show_index": True})]


def test_provider_cannot_change_after_freeze() -> None:
    router = UrlDispatcher()
    router.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        router.set_static_provider(lambda *a, **k: None)
