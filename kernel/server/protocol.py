"""The connection: one ``asyncio.Protocol`` and one task per HTTP/1.1 connection.

The connection owns the bytes: it feeds the sans-IO parser, queues complete
request heads (each with its body stream), writes what responses send, and
keeps the back-pressure and the timers. What happens to one request, from its
head to the keep-alive decision, is ``exchange.exchange``, the one serving path.

Two drivers run that path, never both for one connection at once:
* the connection's task (``_run``) takes queued requests in order, so
  pipelined requests are answered in the order they came;
* ``_serve_now`` steps the exchange of a request that arrived while the
  connection was idle inside ``data_received``, with the connection's task
  entered as the current task (``_eager.py``). A handler that never suspends
  is answered with no future and no task switch; one that suspends is handed
  to the task, which finishes it with ``_eager.drive``. That saves a third of
  a small request's cost (bench/, issue 2).

Invariants:
* Bad input (``ProtocolError``) never reaches the application: requests
  queued before it are answered first, then the error status is sent with
  ``Connection: close`` and the connection closes.
* Back-pressure both ways: reading pauses while a body stream is full or too
  many pipelined requests wait, or while the peer does not read its answers;
  writers wait in ``drain()`` while the transport's buffer is over its
  high-water mark.
* When the peer goes away the handler's task is cancelled at its next await
  (``handler_cancellation=True``, the default), as the spec describes.
* Output is bounded: a piece bigger than ``_SEND_SLICE`` is kept by
  reference (not copied into the transport's buffer) and fed to the
  transport a slice at a time as the peer reads, so a client that never
  reads costs the transport's buffer, not the size of its response.
* Deadlines (``docs/http.md``): a head within ``head_timeout`` of its first
  byte; a body at ``body_min_rate`` bytes per second after a grace of
  ``body_timeout``, counted only while the server waits for it; output
  that does not drain for ``send_timeout`` ends the connection; keep-alive
  idle time. Timers are lazy: one handle per connection that re-arms
  itself, so a request costs a float assignment, not a timer.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from ..bodies.streams import EMPTY_STREAM, BodyStream
from ..http import (
    END_OF_MESSAGE,
    NEED_DATA,
    Data,
    ProtocolError,
    RequestHead,
    RequestParser,
    http_date,
    reason_phrase,
    serialize_head,
)
from ..responses.exceptions import (
    HTTPBadRequest,
    HTTPException,
    HTTPNotImplemented,
    HTTPRequestEntityTooLarge,
    HTTPRequestHeaderFieldsTooLarge,
    HTTPRequestTimeout,
)
from ._eager import FAST_PATH, drive, enter_task, first_step, leave_task
from .exchange import exchange

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from ..app.app import Application
    from .server import Server

__all__ = ["HttpProtocol", "RawReceiver", "TurnFlusher", "turn_flusher"]

log = logging.getLogger("jackfield.server")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_PAUSE_BODY = 1
_PAUSE_PIPELINE = 2
_PAUSE_STOP = 4
_PAUSE_WRITE = 8  # the transport's write buffer is over its high-water mark
# The body stream is full and the parser still holds body bytes of the last
# socket read: they stay there, compact, instead of becoming one object per
# chunk in the stream (a 256 KiB read of 2-byte chunks is ~37,000 of them).
_PAUSE_PARSE = 16
# While either holds, no further request is parsed or served on the connection:
# a client that does not read its answers must not make the server buffer more.
_STALL = _PAUSE_PIPELINE | _PAUSE_WRITE
_BODY_BUFFER = 2**16
# Output held for the end of the loop turn, per connection, before it goes out at once.
_MAX_HELD = 32
# A piece at least this big goes to the transport at once, so its back-pressure
# (pause_writing) is seen before the next pipelined request is served (issue 19).
_HOLD_BYTES = 2**16
# Bigger output is fed to the transport in slices of this size as it drains
# (_push): 40 clients that never read a 50 MiB response hold 40 slices plus
# the transport's buffers, not 2 GiB (issue 20).
_SEND_SLICE = 2**18
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

    One ``call_soon`` per loop turn for every connection that held output back,
    not one per connection. Writing the turn's responses back to back, after
    all of its input was read, is cheaper than one ``send()`` between each
    read: the peers are woken once per burst rather than once per response
    (bench/, issue 2: about a fifth of a small response's cost on loopback).
    The WebSocket plugin's frames go through ``write`` too.
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
        self.server = server
        self.app: Application = server.app
        self._parser = RequestParser(server.limits)
        self.loop = asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        self.server_header = server.server_header
        self.tcp_nodelay = False
        self.tcp_cork = False
        self.secure = False
        self.remote: str | None = None
        self.sockname: Any = None
        self._queue: deque[tuple[RequestHead, BodyStream]] = deque()
        self._body: BodyStream | None = None  # the stream the parser is filling
        self._waiter: asyncio.Future[None] | None = None
        self._parked = False  # the task waits for work: _serve_now may run an exchange
        # An exchange _serve_now started that suspended: (coroutine, what it yielded).
        self._suspended: tuple[Coroutine[Any, Any, bool], Any] | None = None
        self._ctx = contextvars.copy_context()
        self._error: ProtocolError | None = None
        self._broken = False  # the body of the request being handled failed to parse
        self._paused = 0
        self._stalled = False  # parsing stopped at a message boundary (see _STALL)
        # The peer reads more slowly than we write: drain() waits (read-only outside).
        self.writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._upgraded: RawReceiver | None = None
        self._hold_parser = False
        self._closing = False
        self._lost = False
        # The exchange in progress: whether there is one, whether its client
        # waits for 100 Continue, whether that went out, whether a head did.
        self._busy = False
        self._wants_continue = False
        self._continue_sent = False
        self.response_started = False
        self._idle_since: float | None = None
        self._head_since: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        # The body deadline: when its clock (re)started (None: stopped) and
        # the body bytes received since then.
        self._body_since: float | None = None
        self._body_got = 0
        # When the output stopped draining (None: it drains).
        self._send_since: float | None = None
        self._held: list[bytes] = []  # output for the end of this loop turn
        # Output too big for the transport's buffer, fed to it as it drains.
        self._pending: deque[memoryview] = deque()
        self._close_when_sent = False
        self._flusher: TurnFlusher | None = None

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: duck-type.
        self.transport = cast(asyncio.Transport, transport)
        self.loop = asyncio.get_running_loop()
        self._flusher = turn_flusher(self.loop)
        peer = transport.get_extra_info("peername")
        self.remote = peer[0] if isinstance(peer, tuple) else (peer or None)
        self.sockname = transport.get_extra_info("sockname")
        self.secure = transport.get_extra_info("sslcontext") is not None
        if not self.server.admit(self):  # refused (a gate, the cap): closed, nothing read
            return
        self.set_tcp_nodelay(True)
        self._idle_since = self.loop.time()
        self._arm_timer()
        if FAST_PATH:  # its own context, which _serve_now also runs the exchanges in (3.11+)
            self.task = self.loop.create_task(self._run(), context=self._ctx)  # type: ignore[call-arg]
        else:
            self.task = self.loop.create_task(self._run())
        self.server._tasks.add(self.task)
        self.task.add_done_callback(self.server._tasks.discard)

    def data_received(self, data: bytes) -> None:
        if self._upgraded is not None:
            self._upgraded.data_received(data)
            return
        if self._error is not None or (self._closing and not self._busy and not self._queue):
            return
        self._idle_since = None
        self._parser.feed(data)
        if not self._hold_parser:
            self._pump()

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
        # Keep the half-open connection to send them, except on TLS: after the
        # peer's close_notify asyncio's TLS transport shuts down whatever this
        # returns, and logs a warning for True (issue 18).
        return None if self.secure else True

    def connection_lost(self, exc: BaseException | None) -> None:
        self._lost = True
        self._held.clear()
        self._pending.clear()
        self._closing = True
        self.server.release(self)
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
        task = self.task
        if task is not None and not task.done():
            if self._busy and not self.server.handler_cancellation:
                pass  # the handler runs to completion; its writes are dropped
            else:
                task.cancel()
        self.transport = None

    def pause_writing(self) -> None:
        self.writing_paused = True
        if self._send_since is None:
            self._send_since = self.loop.time()
            self._arm_timer()
        self._pause(_PAUSE_WRITE)

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._send_since = None
        if self._pending:
            self._push()
            if self.writing_paused:  # the next slice filled the buffer again
                return
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
        while not self._hold_parser:
            paused = self._paused
            if paused:  # both stops below need a pause: a running connection tests one int
                if paused & _PAUSE_BODY and self._body is not None:
                    self._paused = paused | _PAUSE_PARSE  # _parse_held_body() goes on from here
                    return
                if paused & _STALL and self._body is None and parser.at_message_start:
                    self._stalled = True  # _unstall() goes on from here
                    return
            try:
                event = parser.next_event()
            except ProtocolError as exc:
                self._on_protocol_error(exc)
                return
            if isinstance(event, RequestHead):
                if not self._on_head(event):
                    return
            elif isinstance(event, Data):
                if self._body is not None:
                    self._body_got += len(event.data)
                    self._body.feed_data(event.data)
            elif event is END_OF_MESSAGE:
                if self._body is not None:
                    self._body.feed_eof()
                    self._body = None
                    self._body_since = None
                queue = self._queue
                if queue and queue[-1][0].upgrade:
                    # What follows may not be HTTP: wait for the handler's verdict.
                    self._hold_parser = True
                    return
                parser.start_next()
                if not parser.buffered:
                    return  # the usual end: the next request has not begun to arrive
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

    def _on_head(self, head: RequestHead) -> bool:
        """Serve or queue a complete head; False when parsing must stop for now."""
        self._head_since = None
        if not head.has_body:
            # Not an upgrade: its handler (a WebSocket's) lives on in the task,
            # where asyncio's own Task resumes it for every message; handed
            # over by _serve_now, _eager.drive would, in Python (10% of a
            # ping-pong message, bench/ws_echo.py --inflight 1, issue 17).
            if (
                self._parked
                and not self._busy
                and not self._queue
                and not self._paused
                and not head.upgrade
            ):
                return self._serve_now(head)
            stream = EMPTY_STREAM
        else:
            stream = self._new_body()
            # A client that waits for 100 Continue is not late: its body's
            # clock starts when that goes out (_on_first_body_read).
            if head.expect is None:
                self._start_body_clock()
        self._queue_exchange(head, stream)
        return True

    def _new_body(self) -> BodyStream:
        stream = BodyStream(
            limit=_BODY_BUFFER,
            on_pause=self._pause_for_body,
            on_resume=self._resume_for_body,
            on_first_read=self._on_first_body_read,
        )
        self._body = stream
        return stream

    def _start_body_clock(self) -> None:
        """(Re)start the body deadline: the server now waits for the client's bytes."""
        if self._body is not None and not self._paused:
            self._body_since = self.loop.time()
            self._body_got = 0
            self._arm_timer()

    def _queue_exchange(self, head: RequestHead, stream: BodyStream) -> None:
        queue = self._queue
        queue.append((head, stream))
        if len(queue) > self.server.max_pipelined:
            self._pause(_PAUSE_PIPELINE)
        self._wake()

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
                # The request being handled is the broken one: its answer ends the connection.
                self._broken = True
        self._error = exc
        self._pause(_PAUSE_STOP)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the two drivers of exchange()
    def _serve_now(self, head: RequestHead) -> bool:
        """Run the exchange of ``head`` (no body) from here; False when parsing must stop.

        Steps the exchange's coroutine with the connection's task entered as
        the current task, so ``asyncio.current_task()``, ``asyncio.timeout()``
        and cancellation behave as in the task. If it suspends, the task takes
        it over (``_run``). When ``data_received`` runs inside some other task
        (a test, a wrapping transport), the request is queued instead.
        """
        task = self.task
        if task is None or not FAST_PATH:
            self._queue_exchange(head, EMPTY_STREAM)
            return True
        loop = self.loop
        try:
            enter_task(loop, task)
        except RuntimeError:
            self._queue_exchange(head, EMPTY_STREAM)
            return True
        coro = exchange(self, head, EMPTY_STREAM)
        try:
            done, value = first_step(self._ctx, coro)
        except BaseException:  # cancelled by the handler itself: drop the connection
            done, value = True, False
        finally:
            leave_task(loop, task)
        if not done:
            self._suspended = (coro, value)
            self._wake()
            return True
        return self._end_exchange(value)

    async def _run(self) -> None:
        try:
            while True:
                work = await self._next_exchange()
                if work is None or not self._end_exchange(await work):
                    return
        except asyncio.CancelledError:
            pass
        finally:
            self._busy = False
            self._close_transport()

    async def _next_exchange(self) -> Coroutine[Any, Any, bool] | None:
        """Wait for the next exchange to run; ``None`` when the connection is done."""
        queue = self._queue
        while not queue and self._suspended is None:
            if self._error is not None:
                self._send_protocol_error(self._error)
                return None
            if self._closing or self.transport is None:
                return None
            waiter = self._waiter = self.loop.create_future()
            self._parked = True
            try:
                await waiter
            except asyncio.CancelledError as exc:
                if self._suspended is None:
                    raise
                # The exchange's first step ran in _serve_now: its handler must
                # see this cancellation exactly as if it had been awaiting.
                coro, yielded = self._suspended
                self._suspended = None
                await drive(coro, yielded, exc)
                raise
            finally:
                self._parked = False
                self._waiter = None
        if self._suspended is not None:
            coro, yielded = self._suspended
            self._suspended = None
            return drive(coro, yielded, None)
        if self.writing_paused:
            # The client is not reading its answers: serve no more until it does.
            self.flush()
            try:
                await self.drain()
            except ConnectionError:
                return None
        head, stream = queue.popleft()
        if self._paused & _PAUSE_PIPELINE and len(queue) <= self.server.max_pipelined:
            self._resume(_PAUSE_PIPELINE)
            self._unstall()
        return exchange(self, head, stream)

    def begin_exchange(self, head: RequestHead) -> None:
        """Called by ``exchange`` as it starts: the connection's per-request state."""
        self._busy = True
        self._continue_sent = False
        self.response_started = False
        self._wants_continue = (
            head.expect is not None
            and head.version >= (1, 1)
            and head.expect.lower() == "100-continue"
        )

    def _end_exchange(self, keep: bool) -> bool:
        """After an exchange: close (False), or wait for the next request (True)."""
        self._busy = False
        if self.tcp_cork:
            # A handler's cork must not delay the next response on this connection.
            self.set_tcp_nodelay(True)
        if not keep or self._upgraded is not None:
            self._close_transport()
            return False
        if self._hold_parser:  # an upgrade the handler declined: HTTP goes on
            self._hold_parser = False
            self._parser.start_next()
            self._pump()
        if not self._queue and not self._parser.buffered:
            self._idle_since = self.loop.time()
            if self._timer is None:
                self._arm_timer()
        return True

    # -- reading back-pressure
    def _pause(self, reason: int) -> None:
        if not self._paused and self.transport is not None:
            self.transport.pause_reading()
        self._paused |= reason
        # Not reading: a late body is the server's doing, not the client's.
        self._body_since = None

    def _resume(self, reason: int) -> None:
        if not self._paused & reason:
            return
        self._paused &= ~reason
        if not self._paused and self.transport is not None:
            self.transport.resume_reading()
            if self._body is not None and self._body_since is None:
                self._start_body_clock()

    def _pause_for_body(self) -> None:
        self._pause(_PAUSE_BODY)

    def _resume_for_body(self) -> None:
        self._resume(_PAUSE_BODY)
        if self._paused & _PAUSE_PARSE:
            # Not from inside the handler's read: parse on the next turn.
            self.loop.call_soon(self._parse_held_body)

    def _parse_held_body(self) -> None:
        """Feed the stream the body bytes the parser held (see ``_PAUSE_PARSE``)."""
        paused = self._paused
        if self._lost or self._error is not None or paused & _PAUSE_BODY:
            return  # gone, failed, or the stream filled up again (its resume calls again)
        if not paused & _PAUSE_PARSE:
            return  # done already
        self._pump()
        if not self._paused & _PAUSE_BODY:  # the parser's bytes are in: read the socket
            self._resume(_PAUSE_PARSE)

    # -- 100 Continue
    def _on_first_body_read(self) -> None:
        # RFC 9110 §10.1.1: send 100 Continue only once the body is wanted.
        if self.expects_continue:
            self._continue_sent = True
            self.write(_CONTINUE)
            self._start_body_clock()

    @property
    def expects_continue(self) -> bool:
        """True while the current request's client waits for ``100 Continue``."""
        return self._wants_continue and not self._continue_sent and not self.response_started

    def mark_continue_sent(self) -> None:
        """Record that ``100 Continue`` went out (a handler may send it itself)."""
        self._continue_sent = True

    # -- the Connection interface (jackfield.responses.Connection)
    def start_response(self, head: bytes) -> None:
        """Send a response head: the exchange's one response has started."""
        self.response_started = True
        self.write(head)

    def write(self, data: bytes, *, last: bool = False) -> None:
        """Send ``data`` at the end of this loop turn, with the rest written in it.

        Held output goes to the transport in one write (see ``TurnFlusher``),
        at once when a lot is held, so that the transport's back-pressure is
        seen. ``flush()`` sends it now; ``Request.transport`` and ``sendfile``
        do that before they touch the transport. Dropped once the connection
        is gone.

        ``last``: the caller knows nothing more is written in this turn, so
        ``data`` goes now, with what is held, and no end-of-turn flush is
        scheduled for it. The WebSocket plugin says so for the answer to the
        last message it received: in strict ping-pong the flush a turn later
        costs a loop pass per message (1 KiB echo, bench/ws_inproc.py --batch 1:
        105.2k -> 87.6k instructions per message compiled, 124.2k -> 105.9k pure).
        """
        held = self._held
        if not held and not last:
            flusher = self._flusher
            if flusher is None:  # not connected yet (a test driving the protocol by hand)
                held.append(data)
                self.flush()
                return
            flusher.add(self)
        held.append(data)
        if last or len(held) >= _MAX_HELD or len(data) >= _HOLD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand what ``write()`` holds to the transport now, in one write.

        Output bigger than ``_SEND_SLICE`` (or behind such output) is kept by
        reference and fed to the transport a slice at a time as it drains.
        """
        held = self._held
        if not held:
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            held.clear()
            return
        # Only the last piece can be big: write() flushes right after one.
        if not self._pending and len(held[-1]) <= _SEND_SLICE:
            data = held[0] if len(held) == 1 else b"".join(held)
            held.clear()
            transport.write(data)
            return
        # Joining would copy the body once per connection: keep references.
        self._pending.extend(memoryview(piece) for piece in held)
        held.clear()
        self._push()

    def _push(self) -> None:
        """Feed pending output to the transport until its buffer is full."""
        transport = self.transport
        pending = self._pending
        while pending and not self.writing_paused:
            if transport is None or transport.is_closing():
                pending.clear()
                return
            view = pending[0]
            if len(view) > _SEND_SLICE:
                pending[0] = view[_SEND_SLICE:]
                view = view[:_SEND_SLICE]
            else:
                pending.popleft()
            transport.write(view)  # calls pause_writing() when its buffer fills
        if not pending and self._close_when_sent:
            self._close_transport()

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark.

        Pending output (see ``flush``) keeps the buffer there, so this also
        waits until all of it went to the transport.
        """
        if self._lost:
            raise ConnectionResetError("client disconnected")
        if not self.writing_paused:
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
        while self._pending:  # the file's bytes go after every byte written before them
            await self.drain()
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
    def idle_since(self) -> float | None:
        """Loop time since which the connection waits for a request; None while it has work."""
        if self._busy or self._queue:
            return None
        return self._idle_since

    @property
    def closing(self) -> bool:
        """True when this connection closes after the current response."""
        # Not every ProtocolError: one in a later pipelined request leaves the
        # requests before it whole, and they keep the connection until it is
        # refused after them (``_next_exchange``).
        return self._closing or self._broken or self.server.closing

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
        self.flush()  # the 101 goes before anything the new protocol writes
        self._upgraded = receiver
        self._hold_parser = True
        self._closing = True
        self._resume(_PAUSE_BODY | _PAUSE_PIPELINE | _PAUSE_PARSE)
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
        self._pending.clear()
        if self.task is not None and not self.task.done():
            self.task.cancel()
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
        if transport is not None and (self._pending or transport.get_write_buffer_size()):
            log.debug("%s did not read its last response in time: aborting", self.remote)
            self.abort()
        else:
            self._close_transport()

    def _close_transport(self) -> None:
        """Close once everything written went out (``send_timeout`` bounds the wait)."""
        self._closing = True
        self.flush()
        transport = self.transport
        if self._pending:
            self._close_when_sent = True  # _push closes when the last slice is handed over
        elif transport is not None and not transport.is_closing():
            transport.close()
            # close() waits for the buffer to drain, which a peer that never
            # reads never lets happen: the send deadline aborts it then.
            if transport.get_write_buffer_size() and self._send_since is None:
                self._send_since = self.loop.time()
                self._arm_timer()
        self._wake()

    # -- timers
    def _arm_timer(self) -> None:
        # Never later than the nearest deadline that can have started since
        # the last check: _on_timer re-arms itself for what is left.
        if self._timer is None and not self._lost:
            server = self.server
            delay = min(
                server.keepalive_timeout,
                server.head_timeout,
                server.body_timeout,
                server.send_timeout,
            )
            self._timer = self.loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._lost:
            return
        now = self.loop.time()
        server = self.server
        deadlines = []
        if self._send_since is not None:
            left = self._send_since + server.send_timeout - now
            if left <= 0:
                log.debug(
                    "%s read none of its output for %s s (send_timeout): aborting",
                    self.remote,
                    server.send_timeout,
                )
                self.abort()
                return
            deadlines.append(left)
        if self._body_since is not None and self._body is not None:
            allowed = server.body_timeout
            if server.body_min_rate:
                allowed += self._body_got / server.body_min_rate
            left = self._body_since + allowed - now
            if left <= 0:
                self._on_protocol_error(
                    ProtocolError(
                        408,
                        f"request body too slow: {self._body_got} bytes in "
                        f"{now - self._body_since:.0f} s",
                    )
                )
                return
            deadlines.append(left)
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

    def _send_protocol_error(self, exc: ProtocolError) -> None:
        """Answer bad input: its status, ``Connection: close``; no handler ran."""
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
                ("Date", http_date()),
            ),
        )
        self.write(head + body)


def _http_error_for(exc: ProtocolError) -> Exception:
    """The HTTP exception a handler reading a bad body gets (the parser's status)."""
    by_status: dict[int, type[HTTPException]] = {
        408: HTTPRequestTimeout,
        413: HTTPRequestEntityTooLarge,
        431: HTTPRequestHeaderFieldsTooLarge,
        501: HTTPNotImplemented,
    }
    cls = by_status.get(exc.status, HTTPBadRequest)
    return cls(text=f"{exc.status}: {exc.reason}")
