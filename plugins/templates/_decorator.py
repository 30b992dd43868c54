"""The ``@template`` decorator: a handler returns a dict, the client gets HTML.

It wraps async handlers, plain functions and ``web.View`` methods alike (the
wrapper is always async, which is what the router awaits, so it renders with
``render_template_async``: Jinja2's async API when the environment was made
with ``enable_async=True``). A returned ``StreamResponse`` (a redirect, JSON)
passes through untouched.
"""

from __future__ import annotations

import codecs
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from jackfield.requests import Request
from jackfield.responses import StreamResponse

from ._render import render_template_async

__all__ = ["template"]

_Handler = Callable[..., Any]


def template(
    name: str, *, status: int = 200, encoding: str = "utf-8"
) -> Callable[[_Handler], Callable[..., Awaitable[StreamResponse]]]:
    """Render template ``name`` with the mapping the decorated handler returns.

    ``status`` and ``encoding`` (the charset of the response) apply to the
    rendered page only.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"@template needs a template name, got {name!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"@template({name!r}): unknown encoding {encoding!r}") from None

    def decorate(handler: _Handler) -> Callable[..., Awaitable[StreamResponse]]:
        @functools.wraps(handler)
        async def render(*args: Any, **kwargs: Any) -> StreamResponse:
            result = handler(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, StreamResponse):
                return result
            return await render_template_async(
                name, _request_of(args, handler), result, status=status, encoding=encoding
            )

        return render

    return decorate


def _request_of(args: tuple[Any, ...], handler: _Handler) -> Request:
    if args and isinstance(args[0], Request):
        return args[0]
    request = getattr(args[0], "request", None) if args else None
    if isinstance(request, Request):  # a View method: self.request
        return request
    raise TypeError(
        f"@template on {handler!r}: the first argument is neither a request nor a view "
        "with a .request; use it on handlers and web.View methods only"
    )
