"""The application's part of one request: ``dispatch`` (route, then the middleware chain).

``Application._handle`` calls ``dispatch`` and returns its coroutine; the
method stays on the class users subclass, this function holds the work, so a
compiled build compiles it (``kernel/_extensions.py``) while ``Application``
stays a plain class. The chain for a (handler, apps) pair is built once by
``Application._build_chain`` and cached, so a request costs the router's
lookup and the middlewares' own calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .abc import no_expectation

if TYPE_CHECKING:
    from ..requests.request import Request
    from ..responses.response import StreamResponse
    from .abc import ExpectHandler
    from .app import Application, Handler

__all__ = ["dispatch"]


async def dispatch(app: Application, request: Request) -> StreamResponse:
    """Route ``request`` and run it through its middleware chain; return the response."""
    # Any for the router, its match info, and setattr below: compiled, the
    # declared AbstractMatchInfo (a dict) is checked at run time, and a custom
    # router's match info need only have its attributes
    # (tests/kernel/testing/test_testing_plugin.py).
    router: Any = app._router
    if router is None:
        router = app.router  # raises, naming the plugin to enable
    match_info: Any = await router.resolve(request)
    match_info.freeze()
    setattr(request, "_match_info", match_info)  # noqa: B010 (see above)
    if request._head.expect is not None:
        expect_handler: ExpectHandler = match_info.expect_handler
        if expect_handler is no_expectation:
            expect_handler = match_info.current_app._default_expect
        early = await expect_handler(request)
        if early is not None:
            return early
    key = (match_info.handler, match_info.apps)
    chain: Handler | None
    try:
        chain = app._chain_cache[key]
    except KeyError:
        chain = app._build_chain(match_info, key)
    except TypeError:  # an unhashable handler object: build each time
        chain = app._build_chain(match_info, None)
    if chain is not None:
        return await chain(request)
    return await app._old_style_chain(match_info, request)
