"""One job: a coroutine the scheduler runs in a task of its own, or keeps queued.

A job is *pending* while it waits for a free slot (its coroutine not started),
*active* while its task runs, and *closed* once it finished, failed, was
cancelled or was closed before it started. The outcome of a job is always
consumed here, in the task's done callback, so asyncio never logs "Task
exception was never retrieved": an exception goes to whoever awaits ``wait()``,
or to the scheduler's exception handler when nobody does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from ._scheduler import Scheduler

__all__ = ["Job"]

_T = TypeVar("_T")


class Job(Generic[_T]):
    """A coroutine run by a ``Scheduler``; made by ``spawn()``, not by hand."""

    def __init__(self, scheduler: Scheduler, coro: Coroutine[Any, Any, _T]) -> None:
        self._scheduler = scheduler
        self._coro: Coroutine[Any, Any, _T] | None = coro
        self._task: asyncio.Task[_T] | None = None
        self._done = asyncio.get_running_loop().create_future()  # resolved with the job's end
        self._waiting = 0  # callers inside wait(): they receive the exception

    def __repr__(self) -> str:
        state = "closed" if self.closed else "active" if self.active else "pending"
        name = getattr(self._coro, "__qualname__", None) or (
            self._task.get_coro() if self._task is not None else "?"
        )
        return f"<Job {state} {name}>"

    @property
    def active(self) -> bool:
        """True while the job's coroutine runs."""
        return self._task is not None and not self._done.done()

    @property
    def pending(self) -> bool:
        """True while the job waits for a free slot (``limit`` jobs are active)."""
        return self._task is None and not self._done.done()

    @property
    def closed(self) -> bool:
        """True once the job finished, failed, was cancelled or closed."""
        return self._done.done()

    async def wait(self, timeout: float | None = None) -> _T:
        """Wait for the job to end; return its result or raise its exception.

        The exception goes to this caller instead of the exception handler.
        Past ``timeout`` seconds the job is closed and ``asyncio.TimeoutError``
        raised. Cancelling the waiting task does not cancel the job: that is
        what jobs are for.
        """
        self._waiting += 1
        try:
            done, _ = await asyncio.wait((self._done,), timeout=timeout)
        finally:
            self._waiting -= 1
        if not done:
            await self.close()
            raise asyncio.TimeoutError(f"{self!r} did not finish within {timeout} seconds")
        return self._outcome()

    async def close(self, timeout: float | None = None) -> None:
        """Cancel the job (or drop it if it has not started) and wait for it to end.

        A cancelled job gets ``timeout`` seconds (default: the scheduler's
        ``close_timeout``) to run its ``finally`` blocks; one still running
        after that is reported to the exception handler and left to end.
        """
        if self._done.done():
            return
        if self._task is None:
            self._drop()
            return
        self._task.cancel()
        limit = self._scheduler.close_timeout if timeout is None else timeout
        done, _ = await asyncio.wait((self._done,), timeout=limit)
        if not done:
            self._scheduler._report(
                self, f"job did not stop within {limit} seconds of being cancelled", None
            )

    # -- used by the scheduler
    def _start(self) -> None:
        coro, self._coro = self._coro, None
        if coro is None:
            raise RuntimeError(f"{self!r} was started twice")
        self._task = asyncio.get_running_loop().create_task(coro)
        self._task.add_done_callback(self._finished)

    def _drop(self) -> None:
        """Close a job that never started: its coroutine is closed, never run."""
        coro, self._coro = self._coro, None
        if coro is not None:
            coro.close()  # no "coroutine was never awaited" warning
        self._done.set_result(None)
        self._scheduler._forget(self)

    def _finished(self, task: asyncio.Task[_T]) -> None:
        if task.cancelled():
            self._done.set_result(None)
        else:
            exc = task.exception()  # marks it retrieved for asyncio
            self._done.set_result(None)
            if exc is not None and not self._waiting:
                self._scheduler._report(self, "job failed", exc)
        self._scheduler._forget(self)

    def _outcome(self) -> _T:
        task = self._task
        if task is None:
            raise asyncio.CancelledError(f"{self!r} was closed before it started")
        return task.result()
