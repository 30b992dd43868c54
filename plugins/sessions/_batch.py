"""Automatic pipelining: the Redis commands of one event-loop pass go out as one pipeline.

With many requests in flight, each sending a ``GET`` or a ``SET`` through
``redis.asyncio.Redis`` on its own costs a pool checkout, a ``send()`` and a
``recv()`` per command, which is most of a request's time
(``bench/sessions.py``). ``CommandBatcher`` queues the commands issued while
the event loop handles one batch of ready sockets and sends them together on
one non-transactional pipeline of the same client: one checkout, one write,
one read for all of them. Each command still gets its own result (a Redis
error reply such as ``WRONGTYPE`` belongs to its command only), and each
command is still atomic; nothing makes two of them one transaction, which no
caller here relies on.

A batch is bounded by ``timeout`` seconds as a whole; past it, or on a
connection error, every command of the batch fails with that error.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import StorageUnavailableError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["CommandBatcher", "bounded"]

_T = TypeVar("_T")


async def bounded(awaitable: Awaitable[_T], timeout: float) -> _T:
    """``await awaitable``, cancelled after ``timeout`` seconds with ``TimeoutError``."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await awaitable
    try:  # pragma: no cover - Python 3.10
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError as exc:  # pragma: no cover - not TimeoutError before 3.11
        raise TimeoutError from exc


_Queued = tuple[tuple[Any, ...], "asyncio.Future[Any]"]


class CommandBatcher:
    """Sends the commands given to ``call`` in one loop pass as one pipeline of ``client``."""

    __slots__ = ("_client", "_loop", "_queue", "_tasks", "_timeout")

    def __init__(self, client: redis.asyncio.Redis, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._queue: list[_Queued] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The running batches: the loop keeps only weak references to tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command (``"GET", key``); the future gets its parsed reply.

        A Redis error reply is the future's *result* (a ``ResponseError``),
        not its exception: it concerns this command only. A batch that could
        not be sent or answered in time sets the error as the exception of
        each of its futures.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        queue = self._queue
        if queue is not None and self._loop is loop:
            queue.append((args, future))
            return future
        # The first command of a batch starts the task that will send it. The
        # task runs on the next loop pass, after the other ready callbacks
        # (requests) of this pass have queued theirs. The command is queued
        # first, so that an eager task factory still sends it.
        queue = [(args, future)]
        self._queue, self._loop = queue, loop
        task = loop.create_task(self._send(queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _execute(self, queue: list[_Queued]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for args, _future in queue:
                pipe.execute_command(*args)
            return await pipe.execute(raise_on_error=False)

    async def _send(self, queue: list[_Queued]) -> None:
        if self._queue is queue:
            self._queue = None  # later commands start the next batch
        try:
            results = await bounded(self._execute(queue), self._timeout)
        except Exception as exc:
            for _args, future in queue:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:
            # Cancelled (the loop is closing): the callers must not wait forever.
            for _args, future in queue:
                if not future.done():
                    future.set_exception(StorageUnavailableError("the Redis batch was cancelled"))
            raise
        for (_args, future), result in zip(queue, results, strict=True):
            if not future.done():  # its request may have been cancelled meanwhile
                future.set_result(result)
