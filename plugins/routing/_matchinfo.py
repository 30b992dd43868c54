"""Match infos: what routing one request produced.

``UrlMappingMatchInfo`` is a dict of the decoded variable parts plus the
matched route; ``MatchInfoError`` is what an unroutable request gets (404,
405, 400). Its handler is one module-level function that raises the match
info's exception, so 404s travel through the middleware chain like any
handler and the kernel's per-handler chain cache keeps one entry for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jackfield.app import AbstractMatchInfo

from ._routes import AbstractRoute, ExpectHandler, Handler, ResourceRoute, _no_expectation

if TYPE_CHECKING:
    from jackfield.app import Application
    from jackfield.requests import Request
    from jackfield.responses import HTTPException, StreamResponse

__all__ = ["MatchInfoError", "UrlMappingMatchInfo", "matched"]


class UrlMappingMatchInfo(AbstractMatchInfo):
    """The variable parts of a matched path (a dict) and the route that matched.

    ``handler`` (the route's handler) and ``apps`` are plain attributes, not
    properties: the kernel reads both for every request (bench/, issue 3).
    """

    __slots__ = ("_frozen", "_route", "apps", "handler")

    handler: Handler
    """The matched route's handler (``RuntimeError`` when there is no route)."""
    apps: tuple[Application, ...]
    """Applications from the outermost down to the route's owner."""

    def __init__(
        self,
        match_dict: Mapping[str, str],
        route: AbstractRoute | None,
        apps: tuple[Application, ...] = (),
        frozen: bool = False,
    ) -> None:
        dict.__init__(self, match_dict)  # not super(): one per request (bench/, issue 3)
        self._route = route
        self.apps = apps
        self._frozen = frozen
        if route is not None:
            # A ResourceRoute's handler property, read without its call.
            self.handler = route._handler if route.__class__ is ResourceRoute else route.handler
        elif self.__class__ is UrlMappingMatchInfo:
            # Not a __getattr__ on this class: one would make every attribute
            # read on every match info slower (bench/, issue 2).
            self.__class__ = _RoutelessMatchInfo

    @property
    def expect_handler(self) -> ExpectHandler:
        """The matched route's ``expect_handler``."""
        return self._route.expect_handler if self._route is not None else _no_expectation

    @property
    def route(self) -> AbstractRoute | None:
        """The matched route."""
        return self._route

    @property
    def http_exception(self) -> HTTPException | None:
        """``None``: a route matched."""
        return None

    def add_app(self, app: Application) -> None:
        """Put ``app`` in front of the chain (sub-application resources call this)."""
        if self._frozen:
            raise RuntimeError("cannot add an application to a frozen match info")
        self.apps = (app, *self.apps)

    def freeze(self) -> None:
        """Forbid further ``add_app`` calls."""
        self._frozen = True

    def get_info(self) -> dict[str, Any]:
        """Return a description of the matched resource."""
        return self._route.get_info() if self._route is not None else {}

    def __repr__(self) -> str:
        return f"<MatchInfo {dict(self)!r}: {self._route!r}>"


_new_info = dict.__new__


def matched(
    match_dict: Mapping[str, str],
    route: AbstractRoute,
    apps: tuple[Application, ...],
    frozen: bool,
) -> UrlMappingMatchInfo:
    """Return ``UrlMappingMatchInfo(match_dict, route, apps, frozen)`` for a route.

    The same object, built without the class call: ``dict.__new__`` and the
    four stores cost a third less than ``__init__`` through ``type.__call__``,
    once per routed request (bench/, issue 2).
    """
    info: UrlMappingMatchInfo = _new_info(UrlMappingMatchInfo)
    if match_dict:
        dict.update(info, match_dict)
    info._route = route
    info.apps = apps
    info._frozen = frozen
    info.handler = route._handler if route.__class__ is ResourceRoute else route.handler
    return info


class _RoutelessMatchInfo(UrlMappingMatchInfo):
    """A match info made without a route: reading ``handler`` is an error."""

    __slots__ = ()

    @property  # type: ignore[override]  # read-only on purpose: there is no handler
    def handler(self) -> Handler:  # type: ignore[override]
        """There is none: ``RuntimeError``."""
        raise RuntimeError("this match info has no route, hence no handler")


async def _raise_http_exception(request: Request) -> StreamResponse:
    """The handler of every ``MatchInfoError``: raise the request's routing error."""
    exc = request.match_info.http_exception
    if exc is None:  # pragma: no cover - only reachable by calling it by hand
        raise RuntimeError("the request was routed; there is no error to raise")
    raise exc


class MatchInfoError(UrlMappingMatchInfo):
    """A request no route answers; ``handler`` raises ``http_exception``."""

    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPException) -> None:
        super().__init__({}, None)
        self._exception = http_exception
        self.handler = _raise_http_exception  # raises http_exception, so middlewares see it

    @property
    def http_exception(self) -> HTTPException:
        """The 404, 405 (with ``Allow``) or 400 to answer with."""
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"
