"""Extension points the kernel defines and plugins implement.

The kernel never imports a router: it asks the plugin host for one
(``jackfield_make_router``) and talks to it only through these interfaces.

Contract for routers (the routing plugin, or a third-party replacement):

* ``resolve(request)`` never raises for "no route": it returns a match info
  whose ``http_exception`` is set (404, or 405 with ``Allow``) and whose
  ``handler`` raises that exception, so the kernel sends it through the
  middleware chain like any other handler.
* ``match_info.apps`` is the chain of applications from the router's own app
  (outermost) down to the app that owns the matched route; sub-application
  resources append the sub-app. Middlewares are applied in that order, parent
  first; ``on_response_prepare`` is sent to each of them.
* ``match_info.handler`` always returns an awaitable: routers wrap plain
  functions when a route is registered, never per request.
* ``match_info`` is a ``dict`` of the decoded variable parts of the path.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..requests.request import Request
    from ..responses.response import StreamResponse
    from .app import Application

    Handler = Callable[[Request], Awaitable[StreamResponse]]
    ExpectHandler = Callable[[Request], Awaitable[StreamResponse | None]]

__all__ = ["AbstractMatchInfo", "AbstractRouter", "no_expectation"]


async def no_expectation(request: Request) -> None:
    """The expect handler of a route registered without one.

    Routers return it from ``match_info.expect_handler`` so the kernel can tell
    "no handler of its own" (by identity) and use the application's default
    from ``jackfield_default_expect_handler`` instead. Called directly, it
    accepts the expectation.
    """
    return None


class AbstractMatchInfo(dict[str, str], abc.ABC):
    """The outcome of routing one request: variable parts plus the handler."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def handler(self) -> Handler:
        """The callable that answers the request (the route's handler)."""

    @property
    @abc.abstractmethod
    def expect_handler(self) -> ExpectHandler:
        """Called when the request carries ``Expect``; see the expect plugin."""

    @property
    @abc.abstractmethod
    def http_exception(self) -> Exception | None:
        """The 404/405 to raise when nothing matched, else ``None``."""

    @property
    @abc.abstractmethod
    def apps(self) -> tuple[Application, ...]:
        """Applications from the outermost down to the route's owner."""

    @abc.abstractmethod
    def add_app(self, app: Application) -> None:
        """Put ``app`` in front of the chain (used by sub-application resources)."""

    @abc.abstractmethod
    def freeze(self) -> None:
        """Forbid further ``add_app`` calls."""

    @property
    def current_app(self) -> Application:
        """The application that owns the matched route."""
        return self.apps[-1]

    @property
    def route(self) -> Any:
        """The matched route object, or ``None``."""
        return None

    def get_info(self) -> dict[str, Any]:
        """A description of the matched resource (for debugging and tools)."""
        return {}


class AbstractRouter(abc.ABC):
    """What the kernel needs from the router the routing plugin provides."""

    @abc.abstractmethod
    async def resolve(self, request: Request) -> AbstractMatchInfo:
        """Find the route for ``request``; see the module docstring."""

    def resolve_now(self, request: Request) -> AbstractMatchInfo | None:
        """Return the match info for ``request`` if it is found without awaiting.

        Optional: the default returns ``None``, and the kernel then awaits
        ``resolve``. A router that answers here must give exactly what
        ``resolve`` would; it may return ``None`` for any case it prefers to
        leave to ``resolve`` (errors, sub-applications, custom resources).
        The match info it returns is final: already frozen, as the kernel
        does not call ``freeze()`` on it (one call less per request).
        Added in 0.1.
        """
        return None

    @abc.abstractmethod
    def add_subapp(self, prefix: str, subapp: Application) -> Any:
        """Serve ``subapp`` under ``prefix``; return the resource created."""

    @abc.abstractmethod
    def freeze(self) -> None:
        """Called once when the owning application freezes."""
