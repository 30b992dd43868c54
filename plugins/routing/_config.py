"""``routing.configure(app, ...)``: options of the router the routing plugin installed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._dispatcher import UrlDispatcher

if TYPE_CHECKING:
    from jackfield.app import Application

__all__ = ["configure"]


def configure(app: Application, *, strict: bool | None = None) -> UrlDispatcher:
    """Set routing options of ``app`` (before it starts); return its router.

    ``strict=True``: routes that can never match make start-up fail with
    ``RouteConflictError`` instead of a ``RouteShadowWarning``.
    """
    router = app.router
    if not isinstance(router, UrlDispatcher):
        raise TypeError(
            f"routing.configure() sets options of the routing plugin's router, but this "
            f"application's router is {type(router).__name__} (another plugin provided it)"
        )
    if router.frozen or app.frozen:
        raise RuntimeError(
            "routing.configure() was called after the application started; call it before run_app()"
        )
    if strict is not None:
        router.strict = bool(strict)
    return router
