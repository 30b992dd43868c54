"""The route and the match info of a static resource (what the router and the kernel see).

``StaticRoute`` is what ``router.routes()`` lists for a static resource (one
for GET, one for HEAD, sharing the resource's handler); ``StaticMatchInfo``
is what routing a request to it produces: ``{"filename": <decoded rest of
the path>}`` plus the handler and the chain of applications, as
``jackfield.app.AbstractMatchInfo`` asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from yarl import URL

from jackfield.app import AbstractMatchInfo

if TYPE_CHECKING:
    from jackfield.app import Application
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

    from ._resource import StaticResource

__all__ = ["ExpectHandler", "Handler", "StaticMatchInfo", "StaticRoute"]

Handler = Callable[["Request"], Awaitable["StreamResponse"]]
ExpectHandler = Callable[["Request"], Awaitable["StreamResponse | None"]]


class StaticRoute:
    """The GET/HEAD route of a static resource (what ``router.routes()`` lists)."""

    def __init__(
        self, method: str, resource: StaticResource, handler: Handler, expect: ExpectHandler
    ) -> None:
        self.method = method
        self.handler = handler
        self.expect_handler = expect
        self.resource = resource

    @property
    def name(self) -> str | None:
        """The resource's name."""
        return self.resource.name

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """The resource's ``url_for``."""
        return self.resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        """The resource's ``get_info()``."""
        return self.resource.get_info()

    def __repr__(self) -> str:
        resource = self.resource
        return f"<StaticRoute {self.method} {resource.canonical!r} -> {resource.directory}>"


class StaticMatchInfo(AbstractMatchInfo):
    """A request routed to a static resource: ``{"filename": decoded rest of the path}``."""

    __slots__ = ("_frozen", "_route", "apps", "handler")

    def __init__(self, filename: str, route: StaticRoute) -> None:
        dict.__init__(self, filename=filename)
        self._route = route
        self.handler: Handler = route.handler
        self.apps: tuple[Application, ...] = ()
        self._frozen = False

    @property
    def expect_handler(self) -> ExpectHandler:
        """The resource's ``expect_handler``."""
        return self._route.expect_handler

    @property
    def http_exception(self) -> Exception | None:
        """``None``: the request was routed."""
        return None

    @property
    def route(self) -> StaticRoute:
        """The static route that matched."""
        return self._route

    def add_app(self, app: Application) -> None:
        """Put ``app`` in front of the chain (the router does, once)."""
        if self._frozen:
            raise RuntimeError("cannot add an application to a frozen match info")
        self.apps = (app, *self.apps)

    def freeze(self) -> None:
        """Forbid further ``add_app`` calls."""
        self._frozen = True

    def get_info(self) -> dict[str, Any]:
        """The resource's description."""
        return self._route.resource.get_info()
