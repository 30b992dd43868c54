"""Running a coroutine's first step outside its task, and finishing it inside.

The connection loop answers a bodyless request inside ``data_received``: it
enters the connection's task as the loop's current task (so the handler sees
the task it will later run in), sends the coroutine its first step, and, if
the coroutine suspends, hands it to the task, which finishes it with
``drive``. This is what Python 3.12's eager tasks do, for 3.11, without
creating a task per request.

Invariant: ``drive`` resumes the coroutine only once the future it yielded is
done, exactly as ``Task.__step`` would, and forwards the task's own
cancellation into it, so ``asyncio.timeout``, ``shield`` and cancellation on
disconnect behave as in a plain task.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["FAST_PATH", "drive", "enter_task", "first_step", "leave_task"]


def _no_task_registry(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    raise RuntimeError("this asyncio has no current-task registry")


# Needs create_task(context=...) (3.11) and the loop's current-task registry;
# without them every request goes through the connection's task instead.
enter_task: Callable[[asyncio.AbstractEventLoop, asyncio.Task[Any]], None] = getattr(
    asyncio.tasks, "_enter_task", _no_task_registry
)
leave_task: Callable[[asyncio.AbstractEventLoop, asyncio.Task[Any]], None] = getattr(
    asyncio.tasks, "_leave_task", _no_task_registry
)
FAST_PATH = sys.version_info >= (3, 11) and enter_task is not _no_task_registry


def first_step(ctx: contextvars.Context, coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Send ``coro`` its first step in ``ctx``: (True, its result) or (False, what it yielded).

    This module stays pure Python in a compiled build: a compiled caller that
    caught the ``StopIteration`` of a finished coroutine itself would record a
    traceback for it, 7% of a compiled GET / (bench/inproc.py, issue 17).
    """
    try:
        return False, ctx.run(coro.send, None)
    except StopIteration as stop:
        return True, stop.value


async def drive(coro: Coroutine[Any, Any, Any], fut: Any, exc: BaseException | None) -> Any:
    """Run ``coro`` to its end in the current task, from its suspension on ``fut``.

    ``fut`` is what the coroutine's last ``send`` yielded (``None`` for a bare
    yield); ``exc``, if given, is thrown into the coroutine first.
    """
    while True:
        if exc is None:
            try:
                if fut is None:
                    await asyncio.sleep(0)  # the coroutine did a bare yield
                elif getattr(fut, "_asyncio_future_blocking", None) is None:
                    exc = RuntimeError(f"handler yielded {fut!r}, not a future")
                    continue
                else:
                    # What Task.__step does before waiting: the future refuses
                    # a second await while this flag says "already waited on".
                    fut._asyncio_future_blocking = False
                    await fut
            except asyncio.CancelledError as cancelled:
                # A cancelled future is seen by the coroutine itself on resume;
                # otherwise this task was cancelled and the coroutine must know.
                if fut is None or not fut.cancelled():
                    exc = cancelled
            except BaseException:
                pass  # the coroutine reads the future's exception itself
        try:
            if exc is not None:
                fut, exc = coro.throw(exc), None
            else:
                fut = coro.send(None)
        except StopIteration as stop:
            return stop.value
