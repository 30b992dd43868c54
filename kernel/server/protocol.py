"""The connection loop: one ``asyncio.Protocol`` and one task per connection.

``data_received`` feeds the sans-IO parser and queues complete request heads
(with a body stream each); the connection's task takes them in order, runs the
application and writes the response, so pipelined requests are answered in the
order they came. The task waits on a future only when the queue is empty; a
handler that never suspends costs no task switch of its own.

Invariants:
* Bad input (``ProtocolError``) never reaches the application: requests
  queued before it are answered first, then the error status is sent with
  ``Connection: close`` and the connection closes.
* Back-pressure both ways: reading pauses while a body stream is full or too
  many pipelined requests wait; writers wait in ``drain()`` while the
  transport's buffer is over its high-water mark.
* When the peer goes away the handler's task is cancelled at its next await
  (``handler_cancellation=True``, the default), as the spec describes.
* Timers are lazy: one handle per connection that re-arms itself, so a
  request costs a float assignment, not a timer.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import traceback
import types
import weakref
from collections import deque
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, TypeGuard, cast

from ..bodies.streams import EMPTY_STREAM, BodyStream
from ..http import (
    END_OF_MESSAGE,
    NEED_DATA,
    Data,
    ProtocolError,
    RequestHead,
    RequestParser,
    reason_phrase,
    serialize_head,
)
from ..http import http_date as _http_date
from ..requests.request import Request
from ..responses.exceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPNotImplemented,
    HTTPRequestEntityTooLarge,
    HTTPRequestHeaderFieldsTooLarge,
)
from ..responses.response import Response, StreamResponse
from ._eager import FAST_PATH as _FAST_PATH
from ._eager import drive, enter_task, leave_task

if TYPE_CHECKING:
    from .server import Server

__all__ = ["HttpProtocol", "RawReceiver", "TurnFlusher", "turn_flusher"]

log = logging.getLogger("jackfield.server")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_PAUSE_BODY = 1
_PAUSE_PIPELINE = 2
_PAUSE_STOP = 4
_PAUSE_WRITE = 8  # the transport's write buffer is over its high-water mark
# While either holds, no further request is parsed or served on the connection:
# a client that does not read its answers must not make the server buffer more.
_STALL = _PAUSE_PIPELINE | _PAUSE_WRITE
_BODY_BUFFER = 2**16
_COROUTINE = types.CoroutineType
# Responses held for the end of the loop turn, per connection, before they go out at once.
_MAX_HELD = 32
# A response at least this big goes to the transport at once, so its back-pressure
# (pause_writing) is seen before the next pipelined request is served (issue 19).
_HOLD_BYTES = 2**16
_HAS_SENDFILE = hasattr(os, "sendfile")  # not on Windows


class RawReceiver(Protocol):
    """Receives the raw byte stream after ``101 Switching Protocols``."""

    def data_received(self, data: bytes) -> None: ...

    def eof_received(self) -> None: ...

    def connection_lost(self, exc: BaseException | None) -> None: ...


class _Flushable(Protocol):
    def flush(self) -> None: ...


class TurnFlusher:
    """Calls ``flush()``, once at the end of this turn of the event loop, on what was added.

    One ``call_soon`` per loop turn for every connection that deferred output,
    not one per connection. Writing the turn's responses back to back, after
    all of its input was read, is cheaper than one ``send()`` between each
    read: the peers are woken once per burst rather than once per response
    (bench/, issue 2: about a fifth of a small response's cost on loopback).
    The WebSocket plugin coalesces its frames through the same flusher.
    """

    __slots__ = ("_loop", "_pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[_Flushable] = []

    def add(self, target: _Flushable) -> None:
        """Call ``target.flush()`` at the end of this loop turn."""
        pending = self._pending
        if not pending:
            self._loop.call_soon(self._run)
        pending.append(target)

    def _run(self) -> None:
        pending, self._pending = self._pending, []
        for target in pending:
            target.flush()  # a no-op for one that flushed since (a close, say)


_FLUSHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TurnFlusher] = (
    weakref.WeakKeyDictionary()
)


def turn_flusher(loop: asyncio.AbstractEventLoop) -> TurnFlusher:
    """Return the event loop's ``TurnFlusher`` (one per loop)."""
    flusher = _FLUSHERS.get(loop)
    if flusher is None:
        flusher = _FLUSHERS[loop] = TurnFlusher(loop)
    return flusher


class HttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection; implements ``jackfield.responses.Connection``."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._app = server.app
        self._parser = RequestParser(server.limits)
        self.loop = asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self._queue: deque[tuple[RequestHead, BodyStream]] = deque()
        self._body: BodyStream | None = None  # the stream the parser is filling
        self._waiter: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._error: ProtocolError | None = None
        self._paused = 0
        self._stalled = False  # parsing stopped at a message boundary (see _STALL)
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._upgraded: RawReceiver | None = None
        self._hold_parser = False
        self._closing = False
        self._lost = False
        self._busy = False
        self._continue_sent = False
        self._active_response: StreamResponse | None = None
        self._idle_since: float | None = None
        self._head_since: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._parked = False  # the task waits for a request: data_received may serve
        # (coroutine, what it yielded, request, start time, whether it is sending)
        self._handoff: tuple[Any, Any, Request, float, bool] | None = None
        self._ctx = contextvars.copy_context()
        self._held: list[bytes] = []  # output for the end of this loop turn (write_soon)
        self._flusher: TurnFlusher | None = None
        self.tcp_nodelay = False
        self.tcp_cork = False
        self.secure = False
        self.remote: str | None = None
        self.sockname: Any = None
        self.server_header = server.server_header

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: duck-type.
        self.transport = cast(asyncio.Transport, transport)
        self.loop = asyncio.get_running_loop()
        self._flusher = turn_flusher(self.loop)
        self._server.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.remote = peer[0] if isinstance(peer, tuple) else (peer or None)
        self.sockname = transport.get_extra_info("sockname")
        self.secure = transport.get_extra_info("sslcontext") is not None
        self.set_tcp_nodelay(True)
        self._idle_since = self.loop.time()
        self._arm_timer()
        if _FAST_PATH:
            self._task = self.loop.create_task(  # type: ignore[call-arg]  # 3.11+
                self._run(), context=self._ctx
            )
        else:
            self._task = self.loop.create_task(self._run())
        self._server._tasks.add(self._task)
        self._task.add_done_callback(self._server._tasks.discard)

    def data_received(self, data: bytes) -> None:
        if self._upgraded is not None:
            self._upgraded.data_received(data)
            return
        if self._error is not None or (self._closing and not self._busy and not self._queue):
            return
        self._idle_since = None
        parser = self._parser
        if self._hold_parser:
            parser.feed(data)
            return
        head = parser.feed_common(data)
        if head is None:
            self._pump()
        elif (
            self._parked and not self._busy and not self._queue and not self._paused and _FAST_PATH
        ):
            # _on_head's fast branch, inlined: a common head has no body and no upgrade.
            self._head_since = None
            if self._serve_now(head, True) is None:  # fed from inside another task: queue it
                self._queue.append((head, EMPTY_STREAM))
                self._wake()
        else:
            self._on_head(head, True)

    def eof_received(self) -> bool | None:
        if self._upgraded is not None:
            self._upgraded.eof_received()
            return True
        if self._body is not None:
            self._body.set_exception(ConnectionResetError("client closed the connection mid-body"))
            self._body = None
        self._closing = True
        if self._busy:
            # Like a dropped connection: the spec cancels the running handler.
            return False
        # Idle, or pipelined requests queued: answer those, then close.
        self._wake()
        return True

    def connection_lost(self, exc: BaseException | None) -> None:
        self._lost = True
        self._held.clear()
        self._closing = True
        self._server.connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._upgraded is not None:
            self._upgraded.connection_lost(exc)
        if self._body is not None:
            self._body.set_exception(ConnectionResetError("client disconnected"))
            self._body = None
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_exception(ConnectionResetError("client disconnected"))
        task = self._task
        if task is not None and not task.done():
            if self._busy and not self._server.handler_cancellation:
                pass  # the handler runs to completion; its writes are dropped
            else:
                task.cancel()
        self.transport = None

    def pause_writing(self) -> None:
        self._write_paused = True
        self._pause(_PAUSE_WRITE)

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)
        self._resume(_PAUSE_WRITE)
        if self._stalled:
            # Not from inside the transport's write callback: parse on the next turn.
            self.loop.call_soon(self._unstall)

    def _unstall(self) -> None:
        """Parse what arrived while the connection was stalled (see ``_STALL``)."""
        if self._stalled and not self._paused & _STALL and self._upgraded is None:
            self._stalled = False
            self._pump()

    # -- parsing
    def _pump(self) -> None:
        parser = self._parser
        queue = self._queue
        while not self._hold_parser:
            if self._paused & _STALL and self._body is None and parser.at_message_start:
                self._stalled = True  # _unstall() goes on from here
                return
            try:
                event = parser.next_event()
            except ProtocolError as exc:
                self._on_protocol_error(exc)
                return
            kind = type(event)
            if kind is RequestHead:
                if not self._on_head(event, False):  # type: ignore[arg-type]
                    return
            elif kind is Data:
                if self._body is not None:
                    self._body.feed_data(event.data)  # type: ignore[union-attr]
            elif event is END_OF_MESSAGE:
                if self._body is not None:
                    self._body.feed_eof()
                    self._body = None
                if queue and queue[-1][0].upgrade:
                    # What follows may not be HTTP: wait for the handler's verdict.
                    self._hold_parser = True
                    return
                parser.start_next()
            else:  # NEED_DATA (PAUSED cannot happen: start_next follows every end)
                if (
                    event is NEED_DATA
                    and self._body is None
                    and parser.buffered
                    and self._head_since is None
                ):
                    self._head_since = self.loop.time()
                    self._arm_timer()
                return

    def _on_head(self, head: RequestHead, common: bool) -> bool:
        """Serve or queue a complete head; False when parsing must stop for now.

        ``common``: the head came from ``RequestParser.feed_common``, which has
        already moved the parser on to the next request and left nothing
        buffered. Otherwise the parser is still at this head's body.
        """
        self._head_since = None
        queue = self._queue
        if (
            self._parked
            and not self._busy
            and not queue
            and not self._paused
            and not head.content_length  # head.has_body, without the call
            and not head.chunked
            and not head.upgrade
            and _FAST_PATH
        ):
            parser = self._parser
            if not common:
                parser.skip_empty_body()
            served = self._serve_now(head, common)
            if served is None:  # fed from inside another task: queue it
                queue.append((head, EMPTY_STREAM))
                self._wake()
                return True
            # Nothing left to parse: skip the NEED_DATA round.
            return served and not common and parser.buffered > 0
        if head.has_body:
            stream = BodyStream(
                limit=_BODY_BUFFER,
                on_pause=self._pause_for_body,
                on_resume=self._resume_for_body,
                on_first_read=self._on_first_body_read,
            )
            self._body = stream
        else:
            stream = EMPTY_STREAM
        queue.append((head, stream))
        if len(queue) > self._server.max_pipelined:
            self._pause(_PAUSE_PIPELINE)
        self._wake()
        return True

    def _on_protocol_error(self, exc: ProtocolError) -> None:
        log.debug("bad request from %s: %s %s", self.remote, exc.status, exc.reason)
        body = self._body
        if body is not None:
            self._body = None
            if self._queue and self._queue[-1][1] is body:
                # Its handler has not started: it never will; the error answers it.
                self._queue.pop()
            else:
                body.set_exception(_http_error_for(exc))
        self._error = exc
        self._pause(_PAUSE_STOP)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- reading back-pressure
    def _pause(self, reason: int) -> None:
        if not self._paused and self.transport is not None:
            self.transport.pause_reading()
        self._paused |= reason

    def _resume(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and self.transport is not None:
            self.transport.resume_reading()

    def _pause_for_body(self) -> None:
        self._pause(_PAUSE_BODY)

    def _resume_for_body(self) -> None:
        self._resume(_PAUSE_BODY)

    def _on_first_body_read(self) -> None:
        # RFC 9110 §10.1.1: send 100 Continue only once the body is wanted.
        if self._queue_head_expects_continue and not self._continue_sent:
            self._continue_sent = True
            if self._active_response is None:
                self.write(_CONTINUE)

    _queue_head_expects_continue = False

    @property
    def expects_continue(self) -> bool:
        """True while the current request's client waits for ``100 Continue``."""
        return (
            self._queue_head_expects_continue
            and not self._continue_sent
            and self._active_response is None
        )

    def mark_continue_sent(self) -> None:
        """Record that ``100 Continue`` went out (a handler may send it itself)."""
        self._continue_sent = True

    # -- writing
    def write(self, data: bytes) -> None:
        """Queue bytes on the transport (dropped once the connection is gone)."""
        if self._held:
            self.flush()  # what write_soon() holds goes first
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def write_soon(self, data: bytes) -> None:
        """Send bytes at the end of this loop turn, with any others written in it.

        For whole responses (see ``TurnFlusher``); ``write()``, closing and
        ``Request.transport`` send what is held first, so the order on the wire
        is the order of the calls. Code that reaches the transport another way
        (``protocol.transport``, ``loop.sendfile``) must call ``flush()`` first.
        """
        held = self._held
        if not held:
            flusher = self._flusher
            if flusher is None:  # not connected yet (a test driving the protocol by hand)
                self.write(data)
                return
            # flusher.add(self), inlined: once per response.
            pending = flusher._pending
            if not pending:
                flusher._loop.call_soon(flusher._run)
            pending.append(self)
        held.append(data)
        if len(held) >= _MAX_HELD or len(data) >= _HOLD_BYTES:
            self.flush()  # let the transport's back-pressure see them now

    def flush(self) -> None:
        """Hand what ``write_soon()`` holds to the transport now, in one write."""
        held = self._held
        if held:
            data = held[0] if len(held) == 1 else b"".join(held)
            held.clear()
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.write(data)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        if self._lost:
            raise ConnectionResetError("client disconnected")
        if not self._write_paused:
            return
        waiter = self._drain_waiter
        if waiter is None:
            waiter = self._drain_waiter = self.loop.create_future()
        await asyncio.shield(waiter)

    async def sendfile(self, file: BinaryIO, offset: int, count: int) -> int:
        """Send part of ``file`` with the OS's sendfile; see ``jackfield.responses.connection``.

        Held output goes first. Raises ``asyncio.SendfileNotAvailableError``
        (nothing sent) when the loop or transport has no native sendfile:
        TLS, uvloop, a custom transport.
        """
        if self.secure:
            raise asyncio.SendfileNotAvailableError("no sendfile through TLS")
        self.flush()
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("client disconnected")
        sent, ended = self._sendfile_now(transport, file, offset, count)
        if sent == count or ended:
            return sent
        offset += sent
        try:
            done: int = await self.loop.sendfile(
                transport, file, offset, count - sent, fallback=False
            )
            return sent + done
        except (NotImplementedError, RuntimeError) as exc:
            # Both come before any byte is sent: NotImplementedError from a loop
            # without sendfile (uvloop), RuntimeError for a transport without it.
            raise asyncio.SendfileNotAvailableError(str(exc)) from None

    def _sendfile_now(
        self, transport: asyncio.Transport, file: BinaryIO, offset: int, count: int
    ) -> tuple[int, bool]:
        """Send what the socket takes now with ``os.sendfile``: (bytes sent, file ended).

        ``loop.sendfile`` pauses reading, waits for an empty buffer and, after
        each piece, for the socket to be writable again, even when the first
        call sent everything: for a file that fits in the socket buffer that
        round trip is most of its cost (bench/static.py, issue 21). Only for the
        selector loop's socket transport, which writes straight to the socket
        while its buffer is empty, and only while it is empty, so bytes stay in order.
        """
        # asyncio's own socket transport only: another transport (TLS, a wrapper
        # that transforms bytes) must see every byte, so it gets loop.sendfile's say.
        if not _HAS_SENDFILE or type(transport).__module__ != "asyncio.selector_events":
            return 0, False
        sock = transport.get_extra_info("socket")
        if sock is None or transport.get_write_buffer_size():
            return 0, False
        total = 0
        while total < count:
            try:
                n = os.sendfile(sock.fileno(), file.fileno(), offset + total, count - total)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                if total:
                    raise
                return 0, False  # a file sendfile does not take, say: loop.sendfile decides
            if n == 0:
                return total, True
            total += n
        return total, False

    @property
    def closing(self) -> bool:
        """True when this connection closes after the current response."""
        return self._closing or self._error is not None or self._server.closing

    def set_tcp_nodelay(self, value: bool) -> None:
        """Turn Nagle's algorithm off (True) or on for this connection."""
        sock = self._socket()
        if sock is None:
            return
        if value and self.tcp_cork:
            self.set_tcp_cork(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(value))
        self.tcp_nodelay = value

    def set_tcp_cork(self, value: bool) -> None:
        """Hold back partial frames (TCP_CORK/TCP_NOPUSH) until cleared."""
        sock = self._socket()
        option = getattr(socket, "TCP_CORK", None) or getattr(socket, "TCP_NOPUSH", None)
        if sock is None or option is None:
            return  # no cork on this OS: Nagle's algorithm is the closest
        if value and self.tcp_nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            self.tcp_nodelay = False
        sock.setsockopt(socket.IPPROTO_TCP, option, int(value))
        self.tcp_cork = value

    def _socket(self) -> socket.socket | None:
        if self.transport is None:
            return None
        sock = self.transport.get_extra_info("socket")
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        return sock  # type: ignore[no-any-return]

    # -- hand-over after 101
    def take_over(self, receiver: RawReceiver) -> bytes:
        """Send every further byte to ``receiver``; return the bytes already buffered.

        Call after writing ``101 Switching Protocols``. The connection closes
        when the handler that took it over returns.
        """
        if self._upgraded is not None:
            raise RuntimeError("this connection was already taken over")
        self._upgraded = receiver
        self._hold_parser = True
        self._closing = True
        self._resume(_PAUSE_BODY | _PAUSE_PIPELINE)
        return self._parser.trailing_data

    # -- closing
    def close_when_idle(self) -> None:
        """Close now if no request is in progress, else after the current response."""
        self._closing = True
        if not self._busy and not self._queue:
            self._close_transport()

    def abort(self) -> None:
        """Close at once, dropping unsent data and cancelling a running handler."""
        self._closing = True
        self._held.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        transport = self.transport
        if transport is not None:
            transport.abort()  # close() would wait for a client that may never read
        self._wake()

    def _close_for_timeout(self) -> None:
        """Close a connection whose time is up, even if its peer stopped reading.

        ``transport.close()`` waits until the write buffer drains, which a peer
        that never reads never lets happen: the connection and its buffer would
        stay forever (issue 19). With nothing left to send it closes cleanly (FIN).
        """
        self.flush()
        transport = self.transport
        if transport is not None and transport.get_write_buffer_size():
            log.debug("%s did not read its last response in time: aborting", self.remote)
            self.abort()
        else:
            self._close_transport()

    def _close_transport(self) -> None:
        self.flush()
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.close()
        self._wake()

    # -- timers
    def _arm_timer(self) -> None:
        if self._timer is None and not self._lost:
            server = self._server
            delay = min(server.keepalive_timeout, server.head_timeout)
            self._timer = self.loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = self.loop.time()
        server = self._server
        deadlines = []
        if self._idle_since is not None and not self._busy and not self._queue:
            left = self._idle_since + server.keepalive_timeout - now
            if left <= 0:
                log.debug("closing idle keep-alive connection from %s", self.remote)
                self._close_for_timeout()
                return
            deadlines.append(left)
        if self._head_since is not None:
            left = self._head_since + server.head_timeout - now
            if left <= 0:
                self._on_protocol_error(ProtocolError(408, "request head not received in time"))
                return
            deadlines.append(left)
        if deadlines:
            self._timer = self.loop.call_later(min(deadlines), self._on_timer)

    # -- the connection's task
    async def _run(self) -> None:
        queue = self._queue
        server = self._server
        loop = self.loop
        app = self._app
        try:
            while True:
                while not queue and self._handoff is None:
                    if self._error is not None:
                        self._send_protocol_error(self._error)
                        return
                    if self._closing or self.transport is None:
                        return
                    if not self._parser.buffered:
                        self._idle_since = loop.time()
                        self._arm_timer()
                    waiter = self._waiter = loop.create_future()
                    self._parked = True
                    try:
                        await waiter
                    except asyncio.CancelledError as exc:
                        if self._handoff is None:
                            raise
                        # The first step ran in data_received; the handler must
                        # see this cancellation exactly as if it had been awaiting.
                        coro, fut, request, started, _ = self._handoff
                        self._handoff = None
                        await drive(coro, fut, exc)
                        raise
                    finally:
                        self._parked = False
                        self._waiter = None
                if self._handoff is not None:
                    coro, fut, request, started, sending = self._handoff
                    self._handoff = None
                    if sending:  # the response was being sent: finish that
                        response = await drive(coro, fut, None)
                    else:  # the application suspended: finish it, then send
                        response = await self._respond(request, coro, fut)
                    if not self._finish(request, response, started):
                        return
                    continue
                if self._write_paused:
                    # The client is not reading its answers: serve no more until it does.
                    self.flush()
                    try:
                        await self.drain()
                    except ConnectionError:
                        return
                head, stream = queue.popleft()
                if self._paused & _PAUSE_PIPELINE and len(queue) <= server.max_pipelined:
                    self._resume(_PAUSE_PIPELINE)
                    self._unstall()
                self._begin(head)
                request = Request(head, stream, self, app, self._task)
                started = loop.time() if server.access_logger is not None else 0.0
                try:
                    response = await self._respond(request)
                finally:
                    request._cleanup()  # uploaded files go, even if cancelled
                if not self._finish(request, response, started):
                    return
                if not stream.at_eof() and not await self._discard(head, stream):
                    return
                if self._hold_parser:
                    self._hold_parser = False
                    self._parser.start_next()
                    self._pump()
        except asyncio.CancelledError:
            pass
        finally:
            self._busy = False
            self.flush()
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

    def _begin(self, head: RequestHead) -> None:
        self._busy = True
        self._continue_sent = False
        self._active_response = None
        self._queue_head_expects_continue = (
            head.expect is not None
            and head.version >= (1, 1)
            and head.expect.lower() == "100-continue"
        )

    def _finish(self, request: Request, response: StreamResponse | None, started: float) -> bool:
        """Book-keeping after a response; False when the connection must close."""
        self._busy = False
        if self.tcp_cork:
            # A handler's cork must not delay the next response on this connection.
            self.set_tcp_nodelay(True)
        logger = self._server.access_logger
        if logger is not None and response is not None:
            try:
                logger.log(request, response, self.loop.time() - started)
            except Exception:  # logging must never break serving
                log.debug("access logger failed", exc_info=True)
        if self._upgraded is not None or response is None:
            return False
        # self.closing and response.keep_alive, without the two property calls.
        return (
            bool(response._keep_alive)
            and not self._closing
            and self._error is None
            and not self._server.closing
        )

    def _serve_now(self, head: RequestHead, last: bool) -> bool | None:
        """Answer a bodyless request inside ``data_received``; False to stop parsing.

        ``last``: nothing is buffered after this head (``feed_common`` said so),
        so the connection is idle once it is answered.

        ``None`` when it cannot (``data_received`` was called from inside some
        other task, as a test or a wrapping transport may do): queue it instead.

        The application's first step runs with the connection's task set as the
        current task, so ``asyncio.current_task()``, ``asyncio.timeout()`` and
        cancellation behave as in the task. If it suspends, the task takes the
        coroutine over (``_eager.drive`` in ``_respond``) and answers later
        requests in order. The application's own coroutine is stepped here, with
        no ``_respond`` coroutine around it, and a response that needs no
        awaiting is sent at once: no future, no task switch and one coroutine
        per request (bench/, issue 2).
        """
        task = self._task
        if task is None:
            return None
        loop = self.loop
        try:
            enter_task(loop, task)
        except RuntimeError:
            return None
        self._busy = True  # what _begin() does, for a request without a body
        self._continue_sent = False
        self._active_response = None
        self._queue_head_expects_continue = False
        request = Request(head, EMPTY_STREAM, self, self._app, task)  # positional: cheaper
        logged = self._server.access_logger is not None
        started = loop.time() if logged else 0.0
        ctx = self._ctx
        response: Any = None
        returned = False  # the application returned ``response`` (it did not raise)
        try:
            try:
                coro = ctx.run(self._app._start, request)
                if coro.__class__ is not _COROUTINE:
                    coro = _awaited(coro)
                fut = ctx.run(coro.send, None)
            except StopIteration as stop:
                response = stop.value
                returned = True
            except Exception as exc:
                response = self._response_for_exception(request, exc)
            except BaseException:  # CancelledError from the handler: drop the connection
                return self._drop()
            else:
                return self._hand_over(coro, fut, request, started, False)
            # The class test first: isinstance on these ABC-derived classes
            # goes through ABCMeta, which costs more (bench/, issue 2).
            if returned and (
                response.__class__ is not Response and not isinstance(response, StreamResponse)
            ):
                response = self._not_a_response(request, response)
            if response is not None:
                if (
                    response.__class__ is Response
                    and response._proto is None
                    and not self._app._has_prepare_receivers
                ):
                    # _send_now's common case, inlined (no request body to discard);
                    # when _send_whole declines, _send_now would only decline again.
                    sent = _LATER
                    try:
                        if response._send_whole(request):
                            sent = response
                    except Exception:
                        sent = self._send_failed(request)
                else:
                    sent = self._send_now(request, response)
                if sent is _LATER:
                    sending = self._send_later(request, response)
                    try:
                        fut = ctx.run(sending.send, None)
                    except StopIteration as stop:
                        sent = stop.value
                    except BaseException:  # the client left, or cancelled, while sending
                        return self._drop()
                    else:
                        return self._hand_over(sending, fut, request, started, True)
                response = sent
        finally:
            leave_task(loop, task)
        if response is not None and not logged and not self.tcp_cork and self._upgraded is None:
            # _finish(), inlined for its common case.
            self._busy = False
            keep = (
                response._keep_alive
                and not self._closing
                and self._error is None
                and not self._server.closing
            )
        else:
            keep = self._finish(request, response, started)
        if keep:
            if last or not self._parser.buffered:
                self._idle_since = loop.time()
                if self._timer is None:
                    self._arm_timer()
            return True
        self._close_transport()
        return False

    def _hand_over(
        self, coro: Any, fut: Any, request: Request, started: float, sending: bool
    ) -> bool:
        """``coro`` suspended on ``fut`` in ``_serve_now``: the task finishes it (``_run``)."""
        self._handoff = (coro, fut, request, started, sending)
        self._wake()
        return True

    def _drop(self) -> bool:
        """``_serve_now`` cannot go on (cancelled, or the client left): close."""
        self._busy = False
        self._close_transport()
        return False

    async def _respond(
        self, request: Request, coro: Any = None, fut: Any = None
    ) -> StreamResponse | None:
        """Run the app and send its response; ``None`` if the connection must close.

        With ``coro``, the application's coroutine already started in
        ``_serve_now`` and suspended on ``fut``: it is finished first.
        """
        response: Any
        try:
            if coro is None:
                response = await self._app._start(request)
            else:
                response = await drive(coro, fut, None)
            # The class test first: isinstance on these ABC-derived classes
            # goes through ABCMeta, which costs more (bench/, issue 2).
            if response.__class__ is not Response and not isinstance(response, StreamResponse):
                raise _wrong_type(request, response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            response = self._response_for_exception(request, exc)
            if response is None:
                return None
        sent: StreamResponse | None = self._send_now(request, response)
        if sent is _LATER:
            return await self._send_later(request, response)
        return sent

    def _not_a_response(self, request: Request, value: Any) -> StreamResponse | None:
        """What answers a handler that returned ``value``, not a response (500)."""
        try:
            raise _wrong_type(request, value)
        except TypeError as exc:  # raised, so the log has the traceback
            return self._response_for_exception(request, exc)

    def _send_now(self, request: Request, response: StreamResponse) -> Any:
        """Send ``response`` if that needs no awaiting; else ``_LATER``.

        Returns what ``_respond`` returns: the response sent, a fallback 500
        that replaced it, or ``None`` when the connection must close.
        """
        if response._eof_sent:
            return response
        if response._proto is not None:
            return _LATER  # prepared by the handler: write_eof() is left
        payload = request._payload
        if (
            payload is not EMPTY_STREAM
            and not payload.at_eof()
            and not self._can_discard(request._head, payload)
        ):
            response.force_close()  # say so: the unread body ends this connection
        if _sent_whole(response) and not self._app._has_prepare_receivers:
            try:
                if response._send_whole(request):
                    return response
            except Exception:
                return self._send_failed(request)
        return _LATER

    async def _send_later(
        self, request: Request, response: StreamResponse
    ) -> StreamResponse | None:
        """Prepare ``response`` if needed and end it: the awaiting part of sending."""
        try:
            if response._proto is None:
                if _sent_whole(response):
                    # on_response_prepare receivers, then head and body in one write
                    # rather than two: one send() less per response (bench/sessions.py).
                    await request._send_prepare_signal(response)
                    if response._send_whole(request):
                        return response
                    response._start(request)
                else:
                    await response.prepare(request)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            return self._send_failed(request)
        return response

    def _send_failed(self, request: Request) -> StreamResponse | None:
        """Log the error being handled while sending; a 500 if nothing went out yet."""
        log.exception("error while sending the response to %s %s", request.method, request.raw_path)
        if self._active_response is None:
            # Nothing went out (say, a CR in a header value): a 500 still can.
            fallback = Response(status=500, text="500 Internal Server Error")
            fallback.force_close()
            fallback._send_whole(request)
            return fallback
        return None

    def _response_for_exception(self, request: Request, exc: Exception) -> StreamResponse | None:
        if self._active_response is not None:
            # Headers are out: a second response is impossible, close instead.
            transport = self.transport
            if isinstance(exc, ConnectionError) and (
                self._lost or transport is None or transport.is_closing()
            ):
                # Writing to a connection that is going away (the client left, or a
                # WebSocket closed it) is the usual end of a stream, not a bug.
                log.debug(
                    "connection ended while %s %s was streaming: %s",
                    request.method,
                    request.raw_path,
                    exc,
                )
            elif not isinstance(exc, HTTPException):
                log.exception("error in handler after the response started")
            return None
        if isinstance(exc, HTTPException):
            return exc
        if isinstance(exc, ConnectionError) and (self._lost or self._closing):
            # The client went away (mid-body, say): nobody to answer, no error.
            log.debug("client left during %s %s: %s", request.method, request.raw_path, exc)
            return None
        log.exception("error handling %s %s", request.method, request.raw_path)
        if self._app.debug:
            text = "500 Internal Server Error\n\n" + "".join(traceback.format_exception(exc))
        else:
            text = "500 Internal Server Error\n\nServer got itself in trouble"
        response = Response(status=500, text=text)
        response.force_close()
        return response

    def _can_discard(self, head: RequestHead, stream: BodyStream) -> bool:
        """Whether an unread body may be read and dropped to keep the connection."""
        if self._queue_head_expects_continue and not self._continue_sent:
            return False  # the client may still be waiting to send it
        declared = head.content_length
        return declared is None or declared - stream.total_bytes <= self._server.max_discard

    async def _discard(self, head: RequestHead, stream: BodyStream) -> bool:
        """Drop an unread body before the next request; False to close instead."""
        if not self._can_discard(head, stream):
            return False
        limit = self._server.max_discard
        dropped = 0
        try:
            while True:
                piece = await stream.readany()
                if not piece:
                    return True
                dropped += len(piece)
                if dropped > limit:
                    return False
        except Exception:
            return False

    def _send_protocol_error(self, exc: ProtocolError) -> None:
        status = exc.status
        body = f"{status} {reason_phrase(status)}: {exc.reason}\n".encode()
        head = serialize_head(
            (1, 1),
            status,
            None,
            (
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
                ("Date", _http_date()),
            ),
        )
        self.write(head + body)


_LATER: Any = object()  # what _send_now returns when sending needs awaiting


def _sent_whole(response: StreamResponse) -> TypeGuard[Response]:
    """Whether ``response`` may go out through ``Response._send_whole``, bypassing ``prepare``.

    A ``Response``, unless a subclass overrides ``prepare()``: that override
    must run, as it would for a streamed response.
    """
    cls = response.__class__
    return cls is Response or (isinstance(response, Response) and cls.prepare is _PREPARE)


_PREPARE = Response.prepare


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    """A coroutine for an application awaitable that is not one (it can be stepped)."""
    return await awaitable


def _wrong_type(request: Request, value: Any) -> TypeError:
    return TypeError(
        f"handler for {request.method} {request.raw_path} returned "
        f"{type(value).__name__}, expected a Response (or StreamResponse)"
    )


def _http_error_for(exc: ProtocolError) -> Exception:
    """The HTTP exception a handler reading a bad body gets (the parser's status)."""
    by_status: dict[int, type[HTTPException]] = {
        413: HTTPRequestEntityTooLarge,
        431: HTTPRequestHeaderFieldsTooLarge,
        501: HTTPNotImplemented,
    }
    cls = by_status.get(exc.status, HTTPBadRequest)
    return cls(text=f"{exc.status}: {exc.reason}")
