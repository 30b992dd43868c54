"""Route tables: ``web.get(path, handler)`` and friends, and the ``RouteTableDef`` decorators.

A ``RouteDef`` is a frozen value: nothing is checked or registered until
``router.add_routes()`` calls its ``register(router)``. Anything with such a
``register`` method can go into ``add_routes`` (other plugins use that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import attrs

from ._routes import METH_ANY

if TYPE_CHECKING:
    from ._dispatcher import UrlDispatcher
    from ._routes import AbstractRoute
    from ._views import View

__all__ = [
    "RouteDef",
    "RouteTableDef",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "view",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def _freeze_kwargs(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(repr=False)
class RouteDef:
    """A route to register later: ``method``, ``path``, ``handler`` and ``add_route`` options."""

    method: str
    path: str
    handler: Callable[..., Any]
    kwargs: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze_kwargs)

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add the route to ``router``; return the routes created."""
        kwargs = dict(self.kwargs)
        if self.method == "GET":
            return [router.add_get(self.path, self.handler, **kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **kwargs)]

    def __repr__(self) -> str:
        info = "".join(f", {k}={v!r}" for k, v in sorted(self.kwargs.items()))
        name = getattr(self.handler, "__qualname__", repr(self.handler))
        return f"<RouteDef {self.method} {self.path} -> {name}{info}>"


def route(method: str, path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a ``RouteDef`` for ``method`` (``'*'``: any) on ``path``."""
    return RouteDef(method.upper() if isinstance(method, str) else method, path, handler, kwargs)


def get(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a GET ``RouteDef`` (HEAD too, unless ``allow_head=False``)."""
    return route("GET", path, handler, **kwargs)


def head(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a HEAD ``RouteDef``."""
    return route("HEAD", path, handler, **kwargs)


def post(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a POST ``RouteDef``."""
    return route("POST", path, handler, **kwargs)


def put(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a PUT ``RouteDef``."""
    return route("PUT", path, handler, **kwargs)


def patch(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a PATCH ``RouteDef``."""
    return route("PATCH", path, handler, **kwargs)


def delete(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return a DELETE ``RouteDef``."""
    return route("DELETE", path, handler, **kwargs)


def options(path: str, handler: Callable[..., Any], **kwargs: Any) -> RouteDef:
    """Return an OPTIONS ``RouteDef``."""
    return route("OPTIONS", path, handler, **kwargs)


def view(path: str, handler: type[View], **kwargs: Any) -> RouteDef:
    """Return a ``RouteDef`` serving every method with a ``web.View`` subclass."""
    return route(METH_ANY, path, handler, **kwargs)


class RouteTableDef(Sequence[RouteDef]):
    """A list of ``RouteDef`` filled by decorators: ``@routes.get('/path')``."""

    def __init__(self) -> None:
        self._items: list[RouteDef] = []

    def _decorator(self, method: str, path: str, kwargs: dict[str, Any]) -> Callable[[_F], _F]:
        def register(handler: _F) -> _F:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return register

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a handler for ``method`` (``'*'``: any) on ``path``."""
        return self._decorator(method.upper(), path, kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a GET handler (HEAD too, unless ``allow_head=False``)."""
        return self._decorator("GET", path, kwargs)

    def head(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a HEAD handler."""
        return self._decorator("HEAD", path, kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a POST handler."""
        return self._decorator("POST", path, kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a PUT handler."""
        return self._decorator("PUT", path, kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a PATCH handler."""
        return self._decorator("PATCH", path, kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a DELETE handler."""
        return self._decorator("DELETE", path, kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate an OPTIONS handler."""
        return self._decorator("OPTIONS", path, kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[_F], _F]:
        """Decorate a ``web.View`` subclass serving every method on ``path``."""
        return self._decorator(METH_ANY, path, kwargs)

    @overload
    def __getitem__(self, index: int) -> RouteDef: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[RouteDef]: ...
    def __getitem__(self, index: int | slice) -> RouteDef | Sequence[RouteDef]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[RouteDef]:
        return iter(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"
