"""Context processors: run once per request, before the handler, by a middleware.

Running them at render time would force every renderer to be a coroutine
(a processor may be async), while code ported from aiohttp_jinja2 calls
``render_template``/``render_string`` synchronously. So the plugin appends
one middleware to the application ``setup()`` configures (from its
``jackfield_configure_app`` hook), and only when it was given processors:
an application without processors pays nothing per request. The middleware
awaits the processors in order and keeps their merged result on the
request, tagged with the environment it was made for; the renderers read it
from there.

A sub-application with its own ``setup()`` has its own environment: the
parent's middleware sees that the request renders with another environment
and skips its processors, and the sub-application's middleware runs its own.

A render that happens where the middleware did not run (a middleware added
before ``setup()`` answering without calling the handler, say) runs the processors then,
still once per request; the synchronous renderers can only do that for
plain-function processors.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jackfield.app import Middleware, middleware

from ._keys import ENV, ContextProcessor

if TYPE_CHECKING:
    import jinja2

    from jackfield.app import Handler
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["make_middleware", "processed", "processed_async"]

# Request storage is keyed by strings; the value's type is checked when read.
_PROCESSED = "jackfield.templates.processed"

_NOTHING: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class _Processed:
    env: jinja2.Environment
    values: Mapping[str, Any]


def make_middleware(env: jinja2.Environment, processors: Sequence[ContextProcessor]) -> Middleware:
    """Return the middleware that runs ``processors`` for requests rendering with ``env``."""

    @middleware
    async def templates_context_processors(request: Request, handler: Handler) -> StreamResponse:
        if request.config_dict.get(ENV) is env:  # not a sub-app with its own setup()
            await processed_async(request, env, processors)
        return await handler(request)

    return templates_context_processors


def _stored(request: Request, env: jinja2.Environment) -> Mapping[str, Any] | None:
    stored = request.get(_PROCESSED)
    if isinstance(stored, _Processed) and stored.env is env:
        return stored.values
    return None


def _merge(values: dict[str, Any], extra: object, processor: ContextProcessor) -> None:
    if not isinstance(extra, Mapping):
        raise TypeError(
            f"context processor {processor!r} returned {type(extra).__name__} "
            f"({extra!r}); a processor must return a mapping (a dict) of names to add"
        )
    values.update(extra)


async def processed_async(
    request: Request, env: jinja2.Environment, processors: Sequence[ContextProcessor]
) -> Mapping[str, Any]:
    """The merged result of ``processors`` for ``request``, run now unless already run."""
    if not processors:
        return _NOTHING
    done = _stored(request, env)
    if done is not None:
        return done
    values: dict[str, Any] = {}
    for processor in processors:
        extra = processor(request)
        if inspect.isawaitable(extra):
            extra = await extra
        _merge(values, extra, processor)
    request[_PROCESSED] = _Processed(env, values)
    return values


def processed(
    request: Request,
    env: jinja2.Environment,
    processors: Sequence[ContextProcessor],
    renderer: str,
) -> Mapping[str, Any]:
    """Like ``processed_async``, without awaiting: for the synchronous ``renderer``."""
    if not processors:
        return _NOTHING
    done = _stored(request, env)
    if done is not None:
        return done
    values: dict[str, Any] = {}
    for processor in processors:
        extra = processor(request)
        if inspect.isawaitable(extra):
            if inspect.iscoroutine(extra):
                extra.close()  # never awaited: no "coroutine was never awaited" warning
            raise RuntimeError(
                f"{renderer}() ran where the templates middleware did not (it runs the "
                "context processors before the handler, and is added to app.middlewares "
                f"by templates.setup()), and context processor {processor!r} is async; "
                f"render with 'await templates.{renderer}_async(...)' there, or call "
                "templates.setup() before adding the middleware that renders"
            )
        _merge(values, extra, processor)
    request[_PROCESSED] = _Processed(env, values)
    return values
