"""The scheduler: runs at most ``limit`` jobs at once, queues the next ones, closes them all.

Invariants: every job the scheduler knows is in ``_jobs`` until it is closed;
the pending ones are also in ``_pending``, in spawn order, and start as slots
free up (never after ``close()``). The scheduler keeps a strong reference to
every running task, so asyncio never destroys a pending one ("Task was
destroyed but it is pending"), and every outcome is consumed by ``Job``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from ._job import Job

__all__ = ["ExceptionHandler", "JobsFullError", "Scheduler", "SchedulerClosedError"]

_T = TypeVar("_T")

ExceptionHandler = Callable[["Scheduler", dict[str, Any]], None]
"""``handler(scheduler, context)``; context has ``message``, ``job`` and ``exception``."""

_log = logging.getLogger("jackfield.jobs")


class JobsFullError(RuntimeError):
    """``spawn()`` found ``limit`` jobs running and ``pending_limit`` more queued."""


class SchedulerClosedError(RuntimeError):
    """``spawn()`` was called after the scheduler closed (the application is cleaning up)."""


def log_exception(scheduler: Scheduler, context: dict[str, Any]) -> None:
    """The default exception handler: log on ``jackfield.jobs`` at error level."""
    exc = context.get("exception")
    _log.error("%s: %r", context["message"], context["job"], exc_info=exc)


class Scheduler:
    """Runs jobs: at most ``limit`` at once (``None``: no limit), up to ``pending_limit`` queued.

    ``close_timeout`` is how long ``close()`` gives cancelled jobs to end;
    ``exception_handler(scheduler, context)`` receives what jobs raise when
    nobody awaits them (default: logged on the ``jackfield.jobs`` logger).
    """

    def __init__(
        self,
        *,
        limit: int | None = 100,
        pending_limit: int = 10000,
        close_timeout: float = 0.1,
        exception_handler: ExceptionHandler | None = None,
    ) -> None:
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValueError(f"limit must be a positive int or None (no limit), got {limit!r}")
        if not isinstance(pending_limit, int) or pending_limit < 0:
            raise ValueError(f"pending_limit must be an int >= 0, got {pending_limit!r}")
        if close_timeout < 0:
            raise ValueError(f"close_timeout must be >= 0 seconds, got {close_timeout!r}")
        if exception_handler is not None and not callable(exception_handler):
            raise TypeError(f"exception_handler must be callable, got {exception_handler!r}")
        self._limit = limit
        self._pending_limit = pending_limit
        self._close_timeout = close_timeout
        self._exception_handler = (
            exception_handler if exception_handler is not None else log_exception
        )
        self._jobs: set[Job[Any]] = set()
        self._pending: deque[Job[Any]] = deque()
        self._active = 0
        self._closed = False
        self._idle_waiters: list[asyncio.Future[None]] = []

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self._active} active, {len(self._pending)} pending"
        return f"<Scheduler {state}>"

    # -- read-only views
    @property
    def limit(self) -> int | None:
        """How many jobs may run at once (``None``: no limit)."""
        return self._limit

    @property
    def pending_limit(self) -> int:
        """How many jobs may wait for a slot before ``spawn()`` raises ``JobsFullError``."""
        return self._pending_limit

    @property
    def close_timeout(self) -> float:
        """Seconds a cancelled job gets to end when the scheduler or the job closes."""
        return self._close_timeout

    @property
    def active_count(self) -> int:
        """The number of running jobs."""
        return self._active

    @property
    def pending_count(self) -> int:
        """The number of jobs waiting for a slot."""
        return len(self._pending)

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called: ``spawn()`` refuses new jobs."""
        return self._closed

    def __len__(self) -> int:
        return len(self._jobs)

    def __iter__(self) -> Iterator[Job[Any]]:
        return iter(list(self._jobs))

    def __contains__(self, job: object) -> bool:
        return job in self._jobs

    # -- running jobs
    async def spawn(self, coro: Coroutine[Any, Any, _T]) -> Job[_T]:
        """Run ``coro`` as a job now, or queue it if ``limit`` jobs are running.

        Raises ``SchedulerClosedError`` once the scheduler closed and
        ``JobsFullError`` when ``pending_limit`` jobs already wait; in both
        cases ``coro`` is closed without running.
        """
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"spawn() needs a coroutine object such as work(), got {coro!r}")
        if self._closed:
            coro.close()
            raise SchedulerClosedError(
                "cannot spawn a job: the scheduler is closed because the application is "
                "cleaning up. Spawn jobs from handlers and on_startup, not from on_cleanup."
            )
        full = self._limit is not None and self._active >= self._limit
        if full and len(self._pending) >= self._pending_limit:
            coro.close()
            raise JobsFullError(
                f"cannot spawn a job: {self._active} jobs are running (limit={self._limit}) "
                f"and {len(self._pending)} are waiting (pending_limit={self._pending_limit}). "
                "Raise the limits in jobs.setup(app, ...) or spawn fewer jobs."
            )
        job = Job(self, coro)
        self._jobs.add(job)
        if full:
            self._pending.append(job)
        else:
            self._active += 1
            job._start()
        return job

    async def wait_idle(self) -> None:
        """Wait until no job is running or pending (graceful shutdown awaits this)."""
        while self._jobs:
            waiter = asyncio.get_running_loop().create_future()
            self._idle_waiters.append(waiter)
            await waiter

    async def close(self) -> None:
        """Refuse new jobs, drop the pending ones, cancel the running ones.

        The cancelled jobs get ``close_timeout`` seconds together to end; each
        one still running after that is reported to the exception handler.
        Dropped jobs are counted in a warning on the ``jackfield.jobs`` logger.
        """
        self._closed = True
        if self._pending:
            _log.warning(
                "closing the scheduler drops %d jobs that never started", len(self._pending)
            )
        while self._pending:
            self._pending[0]._drop()
        running = [job for job in self._jobs if job.active]
        for job in running:
            if job._task is not None:
                job._task.cancel()
        if not running:
            return
        _, late = await asyncio.wait([job._done for job in running], timeout=self._close_timeout)
        for job in running:
            if job._done in late:
                self._report(
                    job,
                    f"job did not stop within {self._close_timeout} seconds of being "
                    "cancelled at clean-up",
                    None,
                )

    def _reopen(self) -> None:
        """Accept jobs again: the application is starting once more."""
        self._closed = False

    # -- used by Job
    def _forget(self, job: Job[Any]) -> None:
        self._jobs.discard(job)
        if job._task is not None:
            self._active -= 1
        else:
            self._pending.remove(job)
        while (
            not self._closed
            and self._pending
            and (self._limit is None or self._active < self._limit)
        ):
            nxt = self._pending.popleft()
            self._active += 1
            nxt._start()
        if not self._jobs:
            waiters, self._idle_waiters = self._idle_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def _report(self, job: Job[Any], message: str, exc: BaseException | None) -> None:
        context = {"message": message, "job": job, "exception": exc}
        try:
            self._exception_handler(self, context)
        except Exception:
            _log.exception("the jobs exception handler failed on %r", job)
