"""Routes: one HTTP method of one resource, and the handler that answers it.

A route validates everything at construction (method token, handler) and
wraps a plain-function handler once, so ``route.handler`` always returns an
awaitable and is the same object for every request (the kernel caches the
middleware chain per handler).
"""

from __future__ import annotations

import abc
import functools
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from yarl import URL

from jackfield.app import no_expectation

from ._views import View

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

    from ._resources import AbstractResource

__all__ = [
    "METH_ANY",
    "AbstractRoute",
    "ExpectHandler",
    "Handler",
    "ResourceRoute",
    "check_method",
    "handler_name",
]

Handler = Callable[["Request"], Awaitable["StreamResponse"]]
ExpectHandler = Callable[["Request"], Awaitable["StreamResponse | None"]]

#: The method of a route that answers every method.
METH_ANY = "*"

# RFC 9110 §9.1: a method is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def check_method(method: object, where: str) -> str:
    """Return ``method`` upper-cased; raise ValueError/TypeError if it is not a token."""
    if not isinstance(method, str):
        raise TypeError(f"{where}: the method must be a string such as 'GET', got {method!r}")
    if method != METH_ANY and not _TOKEN.match(method):
        raise ValueError(
            f"{where}: {method!r} is not a valid HTTP method; use a token such as 'GET', "
            "or '*' for any method"
        )
    return method.upper()


def handler_name(handler: object) -> str:
    """Return a readable ``module.qualname`` for ``handler`` (for reprs and tables)."""
    target = getattr(handler, "__wrapped__", handler)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


# The kernel's marker for "no expect handler of its own" (compared by identity).
_no_expectation = no_expectation


def _wrap(handler: Callable[..., Any]) -> Handler:
    # A handler that is not a coroutine function may be a plain function
    # returning a response, or a callable object returning an awaitable.
    @functools.wraps(handler)
    async def call(request: Request) -> StreamResponse:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return cast("StreamResponse", result)

    return call


def _as_handler(handler: object, where: str) -> Handler:
    if isinstance(handler, type) and issubclass(handler, View):
        return cast(Handler, handler)  # View(request) is awaitable
    if not callable(handler):
        raise TypeError(
            f"{where}: the handler must be callable (an async function, a function, a "
            f"method or a web.View subclass), got {handler!r}"
        )
    if inspect.iscoroutinefunction(handler):
        return cast(Handler, handler)
    return _wrap(handler)


class AbstractRoute(abc.ABC):
    """A method of a resource and its handler; ``handler`` always returns an awaitable."""

    # True for the HEAD route add_get() adds beside GET (not reported as shadowed).
    _implicit_head = False

    def __init__(
        self,
        method: str,
        handler: Callable[..., Any],
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
        client_max_size: int | None = None,
    ) -> None:
        where = f"route {method!r} {_describe(resource)}"
        if client_max_size is not None and (
            not isinstance(client_max_size, int) or client_max_size < 0
        ):
            raise ValueError(
                f"{where}: client_max_size must be a number of bytes >= 0 or None, "
                f"got {client_max_size!r}"
            )
        self.client_max_size = client_max_size
        """Largest body ``read()``/``post()`` accept on this route; ``None``: the app's."""
        self._method = check_method(method, where)
        self._handler = _as_handler(handler, where)
        if expect_handler is not None and not callable(expect_handler):
            raise TypeError(f"{where}: expect_handler must be callable, got {expect_handler!r}")
        if expect_handler is not None and not inspect.iscoroutinefunction(expect_handler):
            expect_handler = cast(ExpectHandler, _wrap(expect_handler))
        self._expect_handler = expect_handler or _no_expectation
        self._resource = resource

    @property
    def method(self) -> str:
        """The HTTP method, upper case, or ``'*'`` for any."""
        return self._method

    @property
    def handler(self) -> Handler:
        """The callable answering requests (plain functions come wrapped)."""
        return self._handler

    @property
    def expect_handler(self) -> ExpectHandler:
        """Called for requests with an ``Expect`` header, before the handler."""
        return self._expect_handler

    @property
    def resource(self) -> AbstractResource | None:
        """The resource this route belongs to."""
        return self._resource

    @property
    def name(self) -> str | None:
        """The resource's name, if it has one."""
        return self._resource.name if self._resource is not None else None

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Return the URL of this route (see the resource's ``url_for``)."""

    def get_info(self) -> dict[str, Any]:
        """Return a description of the route's resource."""
        return self._resource.get_info() if self._resource is not None else {}

    def __repr__(self) -> str:
        name = f" name={self.name!r}" if self.name else ""
        return (
            f"<{type(self).__name__} {self._method} {_describe(self._resource)}"
            f" -> {handler_name(self._handler)}{name}>"
        )


class ResourceRoute(AbstractRoute):
    """A route of a resource registered with ``resource.add_route()``."""

    def __init__(
        self,
        method: str,
        handler: Callable[..., Any],
        resource: AbstractResource,
        *,
        expect_handler: ExpectHandler | None = None,
        client_max_size: int | None = None,
    ) -> None:
        super().__init__(
            method,
            handler,
            expect_handler=expect_handler,
            resource=resource,
            client_max_size=client_max_size,
        )

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        """Return the URL of the route's resource built from ``kwargs``."""
        if self._resource is None:  # pragma: no cover - a ResourceRoute always has one
            raise RuntimeError("this route has no resource")
        return self._resource.url_for(*args, **kwargs)


def _describe(resource: AbstractResource | None) -> str:
    if resource is None:
        return "(no resource)"
    try:
        return repr(resource.canonical)
    except Exception:  # a half-built custom resource; its repr is the best we have
        return repr(resource)
