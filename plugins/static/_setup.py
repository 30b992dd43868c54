"""How static files reach a router: the ``add_static`` provider and ``web.static(...)``.

``add_static`` is the ``StaticProvider`` this plugin installs on each
router (``router.set_static_provider``, the routing plugin's documented
extension point), so ``app.router.add_static(prefix, path, ...)`` lands
here. ``static(prefix, path, **options)`` is the route-table form: a value
whose ``register(router)`` calls ``router.add_static`` when the table is
added with ``app.router.add_routes``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from ._resource import StaticResource
from ._route import StaticRoute

__all__ = ["OPTIONS", "Registry", "StaticDef", "add_static", "static"]

#: The keyword options of ``add_static`` (and ``web.static``).
OPTIONS = frozenset(
    {"name", "expect_handler", "chunk_size", "show_index", "follow_symlinks", "append_version"}
)


class Registry(Protocol):
    """What this plugin needs of ``app.router``: a copy of routing's ``ResourceRegistry`` part."""

    def register_resource(self, resource: Any) -> None:
        """Append a resource of our own class to the route table."""


def add_static(
    router: Registry, prefix: str, path: str | os.PathLike[str], **options: Any
) -> StaticResource:
    """Register a ``StaticResource`` serving ``path`` at ``prefix`` on ``router``; return it."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise TypeError(
            f"add_static({prefix!r}, ...) got unknown options {sorted(unknown)}; "
            f"it takes {', '.join(sorted(OPTIONS))}"
        )
    resource = StaticResource(prefix, path, **options)
    router.register_resource(resource)
    return resource


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(repr=False)
class StaticDef:
    """A static route to register later (``web.static(prefix, path, **options)``)."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)

    def register(self, router: Any) -> list[StaticRoute]:
        """Add the static resource to ``router``; return its routes."""
        resource: StaticResource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)

    def __repr__(self) -> str:
        info = "".join(f", {k}={v!r}" for k, v in sorted(self.kwargs.items()))
        return f"<StaticDef {self.prefix} -> {os.fspath(self.path)}{info}>"


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """Return a route-table entry serving the files under ``path`` at ``prefix``."""
    unknown = set(kwargs) - OPTIONS
    if unknown:
        raise TypeError(
            f"static({prefix!r}, ...) got unknown options {sorted(unknown)}; "
            f"it takes {', '.join(sorted(OPTIONS))}"
        )
    return StaticDef(prefix, path, kwargs)
