"""The websocket plugin: RFC 6455 WebSockets with permessage-deflate (RFC 7692).

On by default. A handler makes a ``WebSocketResponse``, awaits
``prepare(request)`` and then reads messages (``async for msg in ws``) and
sends them (``send_str``, ``send_bytes``, ``send_json``). See
``docs/websockets.md`` for the guide: handshake failures, close codes,
heartbeats, flow control and graceful shutdown.
"""

from ._message import (
    WebSocketError,
    WebSocketTimeoutError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from ._response import WebSocketReady, WebSocketResponse

__all__ = [
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReady",
    "WebSocketResponse",
    "WebSocketTimeoutError",
]
