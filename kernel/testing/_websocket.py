"""The test client's WebSocket: ``ws = await client.ws_connect("/ws")``.

A thin layer over the ``websockets`` library's asyncio client (an independent
implementation of RFC 6455, so a test checks the server against someone
else's reading of the protocol), with the methods aiohttp's test client has:
``send_str``/``send_bytes``/``send_json``, ``receive``/``receive_str``/
``receive_bytes``/``receive_json``, ``close``. A receive waits 5 seconds by
default, so a server that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

__all__ = ["TestWebSocket", "WebSocketClosedError", "ws_connect"]

RECEIVE_TIMEOUT = 5.0
"""Seconds ``receive()`` waits by default."""


class WebSocketClosedError(Exception):
    """The connection closed while a message was awaited; ``code`` and ``reason`` say how."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"the WebSocket closed (code {code}, reason {reason!r})")
        self.code = code
        self.reason = reason


class TestWebSocket:
    """A client WebSocket connected to the test server."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, connection: ClientConnection) -> None:
        self._conn = connection

    @property
    def connection(self) -> ClientConnection:
        """The underlying ``websockets`` connection, for anything not wrapped here."""
        return self._conn

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server chose, if any."""
        return self._conn.subprotocol

    @property
    def response_headers(self) -> Mapping[str, str]:
        """The headers of the server's ``101 Switching Protocols`` answer."""
        response = self._conn.response
        return {} if response is None else response.headers

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closed (``None`` before)."""
        return self._conn.close_code

    @property
    def closed(self) -> bool:
        """True once the closing handshake finished or the connection dropped."""
        return self._conn.close_code is not None

    async def send_str(self, data: str) -> None:
        """Send a text message."""
        await self._conn.send(data)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self._conn.send(data)

    async def send_json(self, data: Any, *, dumps: Callable[[Any], str] = json.dumps) -> None:
        """Send ``dumps(data)`` as a text message."""
        await self._conn.send(dumps(data))

    async def receive(self, timeout: float | None = RECEIVE_TIMEOUT) -> str | bytes:
        """The next message: ``str`` for text, ``bytes`` for binary.

        Raises ``WebSocketClosedError`` when the connection closes first, and
        ``TimeoutError`` after ``timeout`` seconds (``None``: no limit).
        """
        from websockets.exceptions import ConnectionClosed

        try:
            return await asyncio.wait_for(self._conn.recv(), timeout)
        except ConnectionClosed as exc:
            received = exc.rcvd
            raise WebSocketClosedError(
                None if received is None else received.code,
                "" if received is None else received.reason,
            ) from None
        except asyncio.TimeoutError:
            raise TimeoutError(f"no WebSocket message within {timeout} seconds") from None

    async def receive_str(self, timeout: float | None = RECEIVE_TIMEOUT) -> str:
        """The next message, which must be text."""
        message = await self.receive(timeout)
        if not isinstance(message, str):
            raise AssertionError(f"expected a text message, got binary {message[:100]!r}")
        return message

    async def receive_bytes(self, timeout: float | None = RECEIVE_TIMEOUT) -> bytes:
        """The next message, which must be binary."""
        message = await self.receive(timeout)
        if not isinstance(message, bytes):
            raise AssertionError(f"expected a binary message, got text {message[:100]!r}")
        return message

    async def receive_json(
        self,
        timeout: float | None = RECEIVE_TIMEOUT,
        *,
        loads: Callable[[str], Any] = json.loads,
    ) -> Any:
        """The next message, a text message decoded with ``loads``."""
        return loads(await self.receive_str(timeout))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Run the closing handshake (idempotent)."""
        await self._conn.close(code, reason)

    async def wait_closed(self, timeout: float | None = RECEIVE_TIMEOUT) -> int | None:
        """Wait until the server closes the connection; return the close code."""
        await asyncio.wait_for(self._conn.wait_closed(), timeout)
        return self._conn.close_code

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                yield await self.receive(timeout=None)
            except WebSocketClosedError:
                return

    async def __aenter__(self) -> TestWebSocket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<TestWebSocket {self._conn.request.path if self._conn.request else '?'}>"


async def ws_connect(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    protocols: Sequence[str] = (),
    compress: bool = False,
    **kwargs: Any,
) -> TestWebSocket:
    """Open a WebSocket to ``url`` (``ws://...``) and return it once the handshake succeeded.

    ``compress=True`` offers permessage-deflate; other keywords go to
    ``websockets.asyncio.client.connect`` (``max_size``, ``open_timeout`` ...).
    """
    try:
        from websockets.asyncio.client import connect
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "ws_connect needs websockets: install the testing extra, "
            "pip install 'jackfield[testing]'"
        ) from exc
    options: dict[str, Any] = {
        "additional_headers": dict(headers or {}),
        "subprotocols": list(protocols) or None,
        "compression": "deflate" if compress else None,
        # Tests answer when they want to: no keep-alive pings of the client's own.
        "ping_interval": None,
        **kwargs,
    }
    if "proxy" in inspect.signature(connect).parameters:
        options.setdefault("proxy", None)  # loopback: never through an HTTP(S)_PROXY
    connection = await connect(url, **options)
    return TestWebSocket(connection)
