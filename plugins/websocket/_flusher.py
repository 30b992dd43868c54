"""Coalesced output: one flush per turn of the event loop for every WebSocket.

A connection that writes frames registers here once per loop turn; one
``call_soon`` callback then hands each registered connection's frames to its
transport in one write. Frames written in one turn thus cost one ``send()``
per connection, and the callback is paid once per turn, not per connection.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Protocol

__all__ = ["Flusher", "flusher_for"]


class _Flushable(Protocol):
    def flush(self) -> None: ...


class Flusher:
    """Flushes, once per turn of the event loop, every connection written to in that turn.

    One callback per loop turn for all connections instead of one per connection:
    with many sockets each answering one message, that callback was a fifth of the
    cost of a message (bench/ws_echo.py --inflight 1).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[_Flushable] = []

    def add(self, conn: _Flushable) -> None:
        """Flush ``conn`` at the end of this loop turn."""
        if not self._pending:
            self._loop.call_soon(self._run)
        self._pending.append(conn)

    def _run(self) -> None:
        pending, self._pending = self._pending, []
        for conn in pending:
            conn.flush()  # a no-op for one flushed since (close, or past 64 KiB)


_FLUSHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Flusher] = (
    weakref.WeakKeyDictionary()
)


def flusher_for(loop: asyncio.AbstractEventLoop) -> Flusher:
    """Return the event loop's flusher (one per loop)."""
    flusher = _FLUSHERS.get(loop)
    if flusher is None:
        flusher = _FLUSHERS[loop] = Flusher(loop)
    return flusher
