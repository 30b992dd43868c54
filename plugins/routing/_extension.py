"""The extension point other plugins use to add resources to an application's router.

Plugins never import the routing plugin (an import-linter contract keeps them
independent), so they describe what they need with this structural
``Protocol`` (copy it, it is small) and use ``app.router``, which satisfies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["ResourceRegistry"]


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
      info it returns is a ``jackfield.abc.AbstractMatchInfo``. The router
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
