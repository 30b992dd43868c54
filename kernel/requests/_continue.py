"""A transport wrapper that notices a handler sending ``100 Continue`` by hand.

The spec's custom expect handler writes ``HTTP/1.1 100 Continue`` straight to
``request.transport``. The connection sends that line itself when the body
is first read (RFC 9110 §10.1.1), so it must learn that the handler already
did, or the client would get two. ``Request.transport`` hands out this
wrapper only while a ``100 Continue`` is still owed, so the hot path never
sees it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

__all__ = ["ContinueWatch"]

_CONTINUE_LINES = (b"HTTP/1.1 100 ", b"HTTP/1.0 100 ")


class ContinueWatch(asyncio.Transport):
    """Delegates everything to ``transport``; a write of a 100 status line marks it sent."""

    __slots__ = ("_connection", "_transport")

    def __init__(self, transport: asyncio.Transport, connection: Any) -> None:
        super().__init__()
        self._transport = transport
        self._connection = connection

    def _note(self, data: bytes | bytearray | memoryview) -> None:
        if bytes(data[:13]) in _CONTINUE_LINES:
            # Once marked, the connection will not send its own 100 Continue.
            self._connection.mark_continue_sent()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._note(data)
        self._transport.write(data)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        chunks = list(list_of_data)
        if chunks:
            self._note(chunks[0])
        self._transport.writelines(chunks)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self._transport.close()

    def abort(self) -> None:
        self._transport.abort()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def write_eof(self) -> None:
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def __repr__(self) -> str:
        return f"<ContinueWatch {self._transport!r}>"
