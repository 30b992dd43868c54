"""Read-only views of a router's resources and routes (``resources()``, ``routes()``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Sized

from ._resources import AbstractResource
from ._routes import AbstractRoute

__all__ = ["ResourcesView", "RoutesView"]


class ResourcesView(Sized):
    """The resources of a router in registration order: sized, iterable, supports ``in``."""

    def __init__(self, resources: Sequence[AbstractResource]) -> None:
        self._resources = resources

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[AbstractResource]:
        return iter(self._resources)

    def __contains__(self, resource: object) -> bool:
        return resource in self._resources

    def __repr__(self) -> str:
        return f"<ResourcesView {list(self._resources)!r}>"


class RoutesView(Sized):
    """The routes of a router's resources in registration order: sized, iterable, ``in``."""

    def __init__(self, resources: Sequence[AbstractResource]) -> None:
        self._routes: list[AbstractRoute] = [route for res in resources for route in res]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)

    def __contains__(self, route: object) -> bool:
        return route in self._routes

    def __repr__(self) -> str:
        return f"<RoutesView {self._routes!r}>"
