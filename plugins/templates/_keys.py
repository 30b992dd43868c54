"""The application keys of the templates plugin (importable without Jinja2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from jackfield.app import AppKey

if TYPE_CHECKING:
    import jinja2

    from jackfield.requests import Request

__all__ = ["ENV", "PROCESSORS", "STATIC_ROOT_URL", "ContextProcessor"]

ContextProcessor = Callable[["Request"], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
"""``processor(request)`` returns (or, async, resolves to) names to add to every context."""

ENV: AppKey[jinja2.Environment] = AppKey("jackfield.templates.env")
"""Where ``setup()`` keeps the application's Jinja2 environment."""

PROCESSORS: AppKey[tuple[ContextProcessor, ...]] = AppKey("jackfield.templates.processors")
"""The context processors given to ``setup()``, in order."""

STATIC_ROOT_URL: AppKey[str] = AppKey("jackfield.templates.static_root_url", str)
"""Set ``app[STATIC_ROOT_URL] = "/static"`` to make ``static(path)`` join paths to that root."""
