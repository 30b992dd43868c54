"""The extension point other plugins use to add resources to an application's router.

Plugins never import the routing plugin (an import-linter contract keeps them
independent), so they describe what they need with this structural
``Protocol`` (copy it, it is small) and use ``app.router``, which satisfies it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["ResourceRegistry", "StaticProvider", "StaticRegistry"]


@runtime_checkable
class ResourceRegistry(Protocol):
    """What ``app.router`` offers plugins that contribute resources.

    * ``add_resource(path, name=None)`` returns a resource for a path
      (``{variables}`` allowed) whose ``add_route(method, handler,
      expect_handler=None)`` attaches a handler: enough for most plugins.
    * ``register_resource(resource)`` adds a resource of the plugin's own
      class. It needs ``name``, ``canonical``, ``url_for(**parts)``,
      ``async resolve(request) -> (match_info | None, allowed_methods)``,
      ``add_prefix(prefix)``, ``raw_match(path)``, ``get_info()``,
      ``freeze()``, ``__len__`` and ``__iter__`` over its routes; the match
      info it returns is a ``jackfield.app.AbstractMatchInfo``. The router
      asks it in registration order and prepends the app to its ``apps``.
    * ``add_routes(definitions)`` registers objects with a
      ``register(router) -> list of routes`` method (route-table entries).
    * ``named_resources()`` maps names to resources.
    """

    def add_resource(self, path: str, *, name: str | None = None) -> Any:
        """Return the resource for ``path``, creating it."""

    def register_resource(self, resource: Any) -> None:
        """Append a custom resource to the route table."""

    def add_routes(self, routes: Any) -> list[Any]:
        """Register route definitions; return the routes."""

    def named_resources(self) -> Mapping[str, Any]:
        """Return the named resources."""


class StaticProvider(Protocol):
    """What ``router.add_static(prefix, path, **options)`` delegates to.

    Called with the router (a ``ResourceRegistry``), the prefix, the
    directory and the keyword options exactly as the user passed them;
    it registers its resource(s) with ``router.register_resource`` and
    returns what ``add_static`` returns (the resource). The static plugin
    installs one; a third-party plugin may install its own instead.
    """

    def __call__(
        self, router: Any, prefix: str, path: str | os.PathLike[str], **options: Any
    ) -> Any:
        """Register static files under ``prefix``; return the resource."""


@runtime_checkable
class StaticRegistry(Protocol):
    """How a plugin gives ``app.router.add_static`` its implementation.

    ``set_static_provider(provider)`` replaces any provider set before (one
    per router). Without one, ``add_static`` raises a ``RuntimeError`` that
    says to enable the ``static`` plugin.
    """

    def set_static_provider(self, provider: StaticProvider) -> None:
        """Make ``add_static`` call ``provider``."""
