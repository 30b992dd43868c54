"""Class-based views: ``web.View`` dispatches a request to a method named by its verb.

Register a subclass like any handler (``add_view(path, MyView)`` or
``add_route('*', path, MyView)``); the router calls ``MyView(request)`` and
awaits the instance. The verbs a view answers are found once per class, when
the subclass is created, so dispatch is a dict lookup.

``HEAD`` falls back to ``get`` when the view defines no ``head`` (as
``add_get`` answers HEAD by default; the kernel drops the body). A verb the
view does not define gets 405 with an ``Allow`` header listing those it does.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar, cast

from jackfield.responses import HTTPMethodNotAllowed

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["View"]

# Only these attribute names can be reached from a request's method: a method
# token such as "__INIT__" must never call ``self.__init__``.
_VERBS = ("get", "head", "post", "put", "patch", "delete", "options", "trace", "connect")


class View:
    """A handler class: define ``async def get(self)``, ``post``, ... returning responses."""

    #: Upper-case verb -> the name of the method answering it (computed per class).
    _verb_methods: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        methods = {v.upper(): v for v in _VERBS if callable(getattr(cls, v, None))}
        if "GET" in methods and "HEAD" not in methods:
            methods["HEAD"] = "get"
        cls._verb_methods = methods

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being answered."""
        return self._request

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._dispatch().__await__()

    async def _dispatch(self) -> StreamResponse:
        method = self._request.method
        name = self._verb_methods.get(method)
        if name is None:
            raise HTTPMethodNotAllowed(method, self._verb_methods)
        result = getattr(self, name)()
        if inspect.isawaitable(result):
            result = await result
        return cast("StreamResponse", result)
