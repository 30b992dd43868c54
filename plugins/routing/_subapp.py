"""The resource that serves a sub-application under a prefix.

Strategy: a sub-application's resources carry the full path, prefix
included. When ``add_subapp`` attaches it, the prefix is pushed down to the
sub-router (and from there to its own sub-applications, at any depth); the
sub-router remembers it and gives it to resources registered later too. So
the sub-router matches the unchanged request path, custom resources see the
real request, nothing is sliced per request, and ``subapp.router['name']
.url_for()`` includes every prefix.

The resource claims every path under its prefix: whatever the sub-router
answers, a 404 or 405 included, is the answer, and its match info carries the
sub-application so the sub-application's middlewares see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yarl import URL

from jackfield.responses import HTTPMethodNotAllowed

from ._requestpath import routable_path
from ._resources import PrefixResource

if TYPE_CHECKING:
    from jackfield.app import AbstractMatchInfo, Application
    from jackfield.requests import Request

    from ._routes import AbstractRoute

__all__ = ["PrefixedSubAppResource"]


class PrefixedSubAppResource(PrefixResource):
    """Serves ``app`` (a sub-application) under ``prefix``; made by ``add_subapp``."""

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app
        self._push_prefix(self._prefix)

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix`` here and in every resource of the sub-application."""
        super().add_prefix(prefix)
        self._push_prefix(prefix)

    def _push_prefix(self, prefix: str) -> None:
        # A third-party router on the sub-app has no _add_prefix: it then sees
        # the full path and is responsible for the prefix itself.
        add = getattr(self._app.router, "_add_prefix", None)
        if add is not None:
            add(prefix)

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Not supported: build URLs with the sub-application's router."""
        raise RuntimeError(
            f"url_for() of the sub-application mounted at {self._prefix!r} is not supported; "
            "use a named resource of its router: subapp.router['name'].url_for()"
        )

    async def resolve(self, request: Request) -> tuple[AbstractMatchInfo | None, set[str]]:
        """Route ``request`` in the sub-application if its path is under the prefix."""
        path = routable_path(request.raw_path)
        if isinstance(path, int) or not self.covers(path):
            return None, set()
        match_info = await self.delegate(request, request.method, path)
        exc = match_info.http_exception
        allowed = set(exc.allowed_methods) if isinstance(exc, HTTPMethodNotAllowed) else set()
        return match_info, allowed

    async def delegate(self, request: Request, method: str, path: str) -> AbstractMatchInfo:
        """Return the sub-router's match info for normalized ``path``."""
        router = self._app.router
        inner = getattr(router, "_resolve_normalized", None)
        if inner is not None:
            result: AbstractMatchInfo = await inner(request, method, path)
            return result
        resolved: AbstractMatchInfo = await router.resolve(request)
        return resolved

    def _routes(self) -> list[AbstractRoute]:
        routes = getattr(self._app.router, "routes", None)
        return list(routes()) if routes is not None else []

    def __len__(self) -> int:
        return len(self._routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes())

    def get_info(self) -> dict[str, Any]:
        """``{"prefix": ..., "app": subapp}``."""
        return {"prefix": self._prefix, "app": self._app}
