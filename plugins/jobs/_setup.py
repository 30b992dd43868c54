"""Wiring a scheduler into an application: ``setup``, ``spawn``, ``get_scheduler``, ``atomic``.

One scheduler per application that called ``setup()``; a sub-application
without one uses its parent's (looked up through ``request.config_dict``).
Its life follows the application's: graceful shutdown waits for its jobs
(``app.add_shutdown_waiter``), and the first ``on_cleanup`` receiver closes
it, before receivers that close what jobs may use.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

from jackfield.app import AppKey, Application
from jackfield.requests import Request

from ._job import Job
from ._scheduler import ExceptionHandler, Scheduler

__all__ = ["SCHEDULER", "atomic", "get_scheduler", "get_scheduler_from_app", "setup", "spawn"]

_T = TypeVar("_T")
_H = TypeVar("_H", bound=Callable[..., Awaitable[Any]])

SCHEDULER: AppKey[Scheduler] = AppKey("jackfield.jobs.scheduler", Scheduler)
"""Where ``setup()`` keeps the application's scheduler."""

_MISSING = (
    "no jobs scheduler for this application: call jobs.setup(app) on it (or on a "
    "parent application) before run_app()"
)


def setup(
    app: Application,
    *,
    limit: int | None = 100,
    pending_limit: int = 10000,
    close_timeout: float = 0.1,
    exception_handler: ExceptionHandler | None = None,
) -> Scheduler:
    """Give ``app`` a job scheduler and enable the jobs plugin; return the scheduler.

    ``limit`` jobs run at once, up to ``pending_limit`` more wait for a slot;
    past that ``spawn()`` raises ``JobsFullError``. Graceful shutdown waits for
    jobs within its timeout; at ``on_cleanup`` the rest are cancelled and get
    ``close_timeout`` seconds to end. ``exception_handler(scheduler, context)``
    receives exceptions nobody awaited (default: logged on ``jackfield.jobs``).
    """
    from . import _hooks

    if SCHEDULER in app:
        raise RuntimeError("jobs.setup() was already called for this application; call it once")
    scheduler = Scheduler(
        limit=limit,
        pending_limit=pending_limit,
        close_timeout=close_timeout,
        exception_handler=exception_handler,
    )
    app.plugins.enable(_hooks, reason="enabled by jobs.setup()")  # raises once frozen
    app[SCHEDULER] = scheduler
    # First: a receiver added earlier may spawn jobs when the app starts again.
    app.on_startup.insert(0, _reopen)
    # First, so that jobs stop before other receivers (and cleanup_ctx) close what they use.
    app.on_cleanup.insert(0, _close)
    app.add_shutdown_waiter(scheduler.wait_idle)
    return scheduler


def _reopen(app: Application) -> None:
    app[SCHEDULER]._reopen()


async def _close(app: Application) -> None:
    await app[SCHEDULER].close()


def get_scheduler_from_app(app: Application) -> Scheduler:
    """Return the scheduler ``jobs.setup(app)`` installed; RuntimeError if none."""
    try:
        return app[SCHEDULER]
    except KeyError:
        raise RuntimeError(_MISSING) from None


def get_scheduler(request: Request) -> Scheduler:
    """Return the scheduler of the request's application (or of the nearest parent)."""
    try:
        scheduler: Scheduler = request.config_dict[SCHEDULER]
    except KeyError:
        raise RuntimeError(_MISSING) from None
    return scheduler


async def spawn(request: Request, coro: Coroutine[Any, Any, _T]) -> Job[_T]:
    """Run ``coro`` as a job of the request's application; return the ``Job``.

    The job is not cancelled when the client disconnects or the handler ends.
    """
    try:
        scheduler = get_scheduler(request)
    except RuntimeError:
        if inspect.iscoroutine(coro):
            coro.close()  # no "never awaited" warning on top of the error
        raise
    return await scheduler.spawn(coro)


def atomic(handler: _H) -> _H:
    """Run the decorated handler as a job: a client disconnect does not cancel it.

    Works on ``async def handler(request)`` and on ``web.View`` methods. The
    request still waits for the handler and sends its response; if the
    client went away, the handler runs to its end all the same.
    """
    if not inspect.iscoroutinefunction(handler):
        raise TypeError(
            f"@atomic needs an async handler; {handler!r} is not a coroutine function "
            "(a plain function never awaits, so it cannot be cancelled anyway)"
        )

    @functools.wraps(handler)
    async def run_as_job(*args: Any, **kwargs: Any) -> Any:
        job = await spawn(_request_of(args, handler), handler(*args, **kwargs))
        # Cancelling this wait (the client left) leaves the job running.
        return await job.wait()

    return cast("_H", run_as_job)


def _request_of(args: tuple[Any, ...], handler: Callable[..., Any]) -> Request:
    if args and isinstance(args[0], Request):
        return args[0]
    request = getattr(args[0], "request", None) if args else None
    if isinstance(request, Request):  # a View method: self.request
        return request
    raise TypeError(
        f"@atomic on {handler!r}: the first argument is neither a request nor a view "
        "with a .request; use it on handlers and web.View methods only"
    )
