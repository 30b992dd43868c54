"""What a WebSocket handler reads: message types, close codes, messages, errors.

``WSMsgType`` uses the RFC 6455 opcodes for the frame kinds and values above
0xFF for the states no frame carries (CLOSING, CLOSED, ERROR), so one
comparison tells them apart. ``WSMessage`` is a named tuple: it is created
once per message on the hot path and handlers may unpack it.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = [
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketTimeoutError",
]


class WSMsgType(enum.IntEnum):
    """The kind of a ``WSMessage``: a frame opcode, or a state of the connection."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA
    CLOSING = 0x100
    """Our close frame is sent (``close()`` ran, maybe in another task); reading ends."""
    CLOSED = 0x101
    """The connection is closed; nothing more will arrive."""
    ERROR = 0x102
    """The connection failed; ``data`` is the exception (also ``ws.exception()``)."""


class WSCloseCode(enum.IntEnum):
    """Close status codes (RFC 6455 §7.4.1 and the IANA registry)."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RECEIVED = 1005
    """Never sent: the peer's close frame carried no code."""
    ABNORMAL_CLOSURE = 1006
    """Never sent: the connection ended without a close handshake."""
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(NamedTuple):
    """One message read from a WebSocket: ``type``, ``data`` and ``extra``.

    ``data`` is a ``str`` for TEXT, ``bytes`` for BINARY, PING and PONG, the
    close code (an ``int``) for CLOSE, the exception for ERROR and ``None``
    for CLOSING and CLOSED. ``extra`` is the close reason for CLOSE, else ``None``.
    """

    type: WSMsgType
    data: Any
    extra: str | None

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Return ``data`` decoded with ``loads`` (``json.loads`` by default)."""
        return loads(self.data)


class WebSocketError(Exception):
    """The WebSocket connection failed; ``code`` is the close code that was sent."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {str(self)!r})"


class WebSocketTimeoutError(WebSocketError, asyncio.TimeoutError):
    """The peer did not answer in time: no pong to a heartbeat ping, or no close reply."""


CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)
CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
