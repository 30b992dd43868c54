"""``WebSocketResponse``: the handler's side of a WebSocket.

``prepare()`` checks the opening handshake (an invalid one raises the HTTP
exception that says why, so middlewares see it), sends the 101 through the
kernel's ``StreamResponse.prepare`` (which runs ``on_response_prepare``),
then takes the connection over from the HTTP protocol. From there on a
``Connection`` (``_connection``) owns the bytes; this class is the API on top.

Reading is for one task at a time (the handler's, as the spec says); a second
concurrent ``receive()`` raises ``RuntimeError``. Sending and ``close()`` may
come from any task. When the handler returns, the kernel calls
``write_eof()``, which closes the WebSocket (code 1000) if the handler did not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from jackfield.responses import (
    HTTPBadRequest,
    HTTPException,
    HTTPMethodNotAllowed,
    HTTPServiceUnavailable,
    HTTPUpgradeRequired,
    StreamResponse,
)

from ._assembler import valid_close_code
from ._connection import Connection
from ._frames import OP_BINARY, OP_PING, OP_PONG, OP_TEXT
from ._handshake import Handshake, HandshakeError, negotiate
from ._message import WSMessage, WSMsgType

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.server import HttpProtocol

__all__ = ["WebSocketReady", "WebSocketResponse"]

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_ENDS_ITERATION = frozenset((WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED))


@attrs.frozen
class WebSocketReady:
    """What ``can_prepare()`` found: ``ok``, the chosen ``protocol``, and why not.

    It is true when ``ok`` is, so ``if ws.can_prepare(request):`` reads naturally.
    """

    ok: bool
    protocol: str | None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def _http_error(exc: HandshakeError, method: str) -> HTTPException:
    if exc.status == 405:
        return HTTPMethodNotAllowed(method, ["GET"], text=f"405: {exc.reason}")
    cls = HTTPUpgradeRequired if exc.status == 426 else HTTPBadRequest
    return cls(text=f"{exc.status}: {exc.reason}", headers=exc.headers)


class WebSocketResponse(StreamResponse):
    """A WebSocket in a handler: ``await ws.prepare(request)``, then read and send.

    ``timeout``: seconds ``close()`` waits for the peer's close frame.
    ``receive_timeout``: default timeout of ``receive()`` (``None``: wait forever).
    ``autoclose``: answer the peer's close frame by ourselves: at once, or once the
    messages that came before it are read (else the handler calls ``close()``).
    ``autoping``: answer pings with pongs and hide pings and pongs from ``receive()``.
    ``heartbeat``: after this many seconds without traffic send a ping; if
    nothing arrives within half of it, the connection fails with 1006.
    ``protocols``: subprotocols this handler speaks; the client's first
    acceptable choice is answered in ``Sec-WebSocket-Protocol``.
    ``compress``: accept permessage-deflate when the client offers it.
    ``max_msg_size``: largest message accepted, in bytes (0: no limit);
    larger ones close the connection with 1009.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool = True,
        max_msg_size: int = 4 * 1024 * 1024,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status=101, headers=headers)
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
        if receive_timeout is not None and receive_timeout <= 0:
            raise ValueError(f"receive_timeout must be > 0 seconds or None, got {receive_timeout}")
        if heartbeat is not None and heartbeat <= 0:
            raise ValueError(f"heartbeat must be > 0 seconds or None, got {heartbeat}")
        if max_msg_size < 0:
            raise ValueError(f"max_msg_size must be >= 0 bytes (0: no limit), got {max_msg_size}")
        if isinstance(protocols, str):
            raise TypeError(
                f"protocols must be a collection of names, got the string {protocols!r}"
            )
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._protocols = tuple(protocols)
        self._compress = compress
        self._max_msg_size = max_msg_size
        self._conn: Connection | None = None
        self._ws_proto: HttpProtocol | None = None
        self._ws_protocol: str | None = None
        self._handshake: Handshake | None = None
        self._reading = False

    # -- handshake
    def can_prepare(self, request: Request) -> WebSocketReady:
        """Return whether ``request`` is a handshake this response accepts (never raises)."""
        try:
            found = self._negotiate(request)
        except HandshakeError as exc:
            return WebSocketReady(False, None, exc.reason)
        return WebSocketReady(True, found.protocol)

    def _negotiate(self, request: Request) -> Handshake:
        return negotiate(
            request.method,
            request.version,
            request.headers,
            protocols=self._protocols,
            compress=self._compress,
        )

    async def prepare(self, request: Request) -> HttpProtocol | None:
        """Answer the handshake with 101 and take the connection over; return it.

        Raises the HTTP exception for an invalid handshake: 400 (bad headers or
        key), 405 (not GET), 426 (no ``Upgrade: websocket``, or a version other
        than 13), 503 (the server is shutting down).
        """
        if self._ws_proto is not None:
            return self._ws_proto
        try:
            handshake = self._negotiate(request)
        except HandshakeError as exc:
            raise _http_error(exc, request.method) from None
        protocol = request.protocol
        if protocol.closing:
            raise HTTPServiceUnavailable(text="503: the server is shutting down; try again later")
        self._handshake = handshake
        self._ws_protocol = handshake.protocol
        for name, value in handshake.headers():
            self.headers[name] = value
        if await super().prepare(request) is None:
            return None
        prepared = request.protocol  # the connection the 101 went out on, to take over
        conn = Connection(
            prepared,
            max_msg_size=self._max_msg_size,
            deflate=handshake.deflate,
            autoping=self._autoping,
            autoclose=self._autoclose,
        )
        self._conn = conn
        self._ws_proto = prepared
        early = prepared.take_over(conn)
        if self._heartbeat is not None:
            conn.start_heartbeat(self._heartbeat)
        if early:
            conn.data_received(early)
        return prepared

    # -- state
    @property
    def closed(self) -> bool:
        """True once our close frame is sent or the connection ended: sending is over."""
        conn = self._conn
        return conn is not None and (conn.close_sent or conn.done)

    @property
    def close_code(self) -> int | None:
        """The close code: the peer's (1005: it sent none), 1006 without a close handshake.

        After our ``close(code=...)`` it is that code until the peer answers with its own.
        """
        return self._conn.close_code if self._conn is not None else None

    @property
    def ws_protocol(self) -> str | None:
        """The negotiated subprotocol, or None."""
        return self._ws_protocol

    @property
    def compress(self) -> bool:
        """Before ``prepare()``: whether deflate will be accepted; after: whether it is on."""
        if self._handshake is None:
            return self._compress
        return self._handshake.deflate is not None

    def exception(self) -> BaseException | None:
        """Return why the connection failed (protocol error, timeout), or None."""
        return self._conn.exception if self._conn is not None else None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Return the transport's extra info ``name`` (``default`` once it is gone)."""
        proto = self._ws_proto
        transport = proto.transport if proto is not None else None
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    def _connection(self, action: str) -> Connection:
        conn = self._conn
        if conn is None:
            raise RuntimeError(f"call await ws.prepare(request) before {action}")
        return conn

    # -- sending
    async def send_str(self, data: str, compress: bool | None = None) -> None:
        """Send a TEXT message; ``compress=False`` skips deflate for this one."""
        if not isinstance(data, str):
            raise TypeError(f"send_str() takes a str, got {type(data).__name__}; use send_bytes")
        conn = self._conn
        if conn is None:  # one test per message; _connection() raises the error
            conn = self._connection("send_str()")
        if conn.send(OP_TEXT, data.encode("utf-8"), compress is not False):
            await conn.drain()

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: bool | None = None
    ) -> None:
        """Send a BINARY message; ``compress=False`` skips deflate for this one."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_bytes() takes bytes, got {type(data).__name__}; use send_str")
        conn = self._connection("send_bytes()")
        if conn.send(OP_BINARY, bytes(data), compress is not False):
            await conn.drain()

    async def send_json(
        self,
        data: Any,
        compress: bool | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send ``dumps(data)`` as a TEXT message."""
        await self.send_str(dumps(data), compress=compress)

    async def ping(self, message: bytes = b"") -> None:
        """Send a ping (at most 125 bytes of payload)."""
        await self._control(OP_PING, message, "ping()")

    async def pong(self, message: bytes = b"") -> None:
        """Send an unsolicited pong (at most 125 bytes of payload)."""
        await self._control(OP_PONG, message, "pong()")

    async def _control(self, opcode: int, message: bytes | str, action: str) -> None:
        payload = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        if len(payload) > 125:
            raise ValueError(f"{action} payload is {len(payload)} bytes; at most 125 are allowed")
        conn = self._connection(action)
        if conn.send(opcode, payload, False):
            await conn.drain()

    async def close(self, *, code: int = 1000, message: bytes | str = b"") -> bool:
        """Close the WebSocket and wait (up to ``timeout``) for the peer's close frame.

        Returns True if this call started the close, False if it was already
        closing or closed. A reader in another task gets CLOSING at once.
        """
        reason = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        if not valid_close_code(code):
            raise ValueError(
                f"close code {code} may not be sent; use 1000-1003, 1007-1014 or 3000-4999"
            )
        if len(reason) > 123:
            raise ValueError(f"close message is {len(reason)} bytes; at most 123 are allowed")
        conn = self._connection("close()")
        started = conn.send_close(code, reason)
        if not conn.done:
            try:
                await asyncio.wait_for(conn.wait_done(), self._timeout)
            except asyncio.TimeoutError:
                conn.give_up(self._timeout)
        return started

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not for WebSockets: raises RuntimeError (use send_str or send_bytes)."""
        raise RuntimeError("a WebSocketResponse has no HTTP body; use send_str() or send_bytes()")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the WebSocket if still open (the kernel calls this when the handler returns)."""
        conn = self._conn
        if conn is not None and not conn.done:
            await self.close()

    # -- reading
    async def receive(self, timeout: float | None = None) -> WSMessage:
        """Return the next message; wait at most ``timeout`` s (default ``receive_timeout``).

        After the peer's CLOSE (or an ERROR) comes CLOSED; once our close is
        sent, CLOSING (CLOSED when finished). Raises ``asyncio.TimeoutError``
        on timeout, ``RuntimeError`` if another task is already reading.
        """
        conn = self._conn
        if conn is None:  # one test per message; _connection() raises the error
            conn = self._connection("receive()")
        if self._reading:
            raise RuntimeError(
                "another task is already waiting in receive() on this WebSocket; only one "
                "task may read it (send from any task, but read from one)"
            )
        if timeout is None:
            timeout = self._receive_timeout
        while True:
            msg = conn.next_message()
            if msg is not None:
                return msg
            self._reading = True
            try:
                if timeout is None:
                    await conn.waiter()
                else:
                    await asyncio.wait_for(conn.waiter(), timeout)
            finally:
                self._reading = False
                conn.stop_waiting()

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """Return the next message's text; TypeError if it is not a TEXT message."""
        msg = await self.receive(timeout)
        if msg.type is not _TEXT:
            raise TypeError(f"expected a TEXT message, got {msg.type.name} ({msg.data!r:.60})")
        return str(msg.data)

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """Return the next message's bytes; TypeError if it is not a BINARY message."""
        msg = await self.receive(timeout)
        if msg.type is not _BINARY:
            raise TypeError(f"expected a BINARY message, got {msg.type.name} ({msg.data!r:.60})")
        return bytes(msg.data)

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """Return the next TEXT message decoded by ``loads``."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> WebSocketResponse:
        return self

    async def __anext__(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in _ENDS_ITERATION:
            raise StopAsyncIteration
        return msg

    def __repr__(self) -> str:
        state = "not prepared" if self._conn is None else "closed" if self.closed else "open"
        return f"<WebSocketResponse {state}>"
