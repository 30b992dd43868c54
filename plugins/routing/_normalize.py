"""``normalize_path_middleware``: redirect near-miss paths to the route they meant.

Only a request that routed to 404 pays anything: the middleware tries the
path with repeated slashes merged, then with a trailing slash added (or
removed), resolves each candidate with the outermost application's router
and redirects to the first one that matches a route, keeping the query.

A ``Location`` never starts with ``//`` or ``/\\``: browsers read those as
another host, so such candidates are skipped rather than turned into an
open redirect.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from yarl import URL

from jackfield.responses import HTTPNotFound, HTTPPermanentRedirect

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["normalize_path_middleware"]

_SLASHES = re.compile(r"//+")

Middleware = Callable[
    ["Request", Callable[["Request"], Awaitable["StreamResponse"]]], Awaitable["StreamResponse"]
]


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[Any] = HTTPPermanentRedirect,
) -> Middleware:
    """Return a middleware redirecting a 404 path to a variant that has a route.

    ``append_slash``/``remove_slash`` try the path with a trailing slash added
    or removed (not both); ``merge_slashes`` collapses ``//``. The redirect is
    ``redirect_class(location)`` (308 keeps the method and body).
    """
    if append_slash and remove_slash:
        raise ValueError(
            "normalize_path_middleware(): append_slash and remove_slash cannot both be True; "
            "pick the form your routes use"
        )

    async def normalize_path(
        request: Request, handler: Callable[[Request], Awaitable[StreamResponse]]
    ) -> StreamResponse:
        match_info = request.match_info
        if not isinstance(match_info.http_exception, HTTPNotFound):
            return await handler(request)
        root = match_info.apps[0] if match_info.apps else request.app
        query = request.query_string
        for candidate in _candidates(request.raw_path, append_slash, remove_slash, merge_slashes):
            url = URL.build(path=candidate, query_string=query, encoded=True)
            found = await root.router.resolve(request.clone(rel_url=url))
            if found.http_exception is None:
                raise redirect_class(f"{candidate}?{query}" if query else candidate)
        return await handler(request)

    normalize_path.__middleware_version__ = 1  # type: ignore[attr-defined]
    return normalize_path


def _candidates(path: str, append: bool, remove: bool, merge: bool) -> list[str]:
    base = _SLASHES.sub("/", path) if merge else path
    found = [base]
    if append and not base.endswith("/"):
        found.append(base + "/")
    if remove and base.endswith("/") and len(base) > 1:
        found.append(base.rstrip("/") or "/")
    return [c for c in dict.fromkeys(found) if c != path and c[1:2] not in ("/", "\\")]
