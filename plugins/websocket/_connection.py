"""One upgraded WebSocket connection: the byte stream in, frames out, the close state.

``Connection`` is the ``RawReceiver`` the kernel feeds after ``take_over``.
Bytes are parsed inside ``data_received`` (no task per connection): control
frames are answered there (pings, the peer's close), complete messages go to
``queue`` and wake the one reader. Writers in any task call ``write``, which
builds a whole frame synchronously, so frames from several tasks never
interleave and the compressor sees messages in wire order; they then await
``drain()`` while the peer reads more slowly than they write.

Frames go out through the HTTP connection's ``write`` (the kernel's
``Connection`` interface), which holds what one turn of the event loop
writes and sends it in one ``transport.write`` at the end of the turn: an
echo loop answering eight queued messages makes one send system call instead
of eight, most of the cost of a small message (bench/ws_echo.py). The first
frame sent after the reader took the last queued message is its answer: it
goes at once, with the frames held before it, so strict ping-pong costs no
loop pass for the flush (``send``). The same ``write`` bounds the output of
a big message and its ``send_timeout`` applies. Close frames are flushed at once.

Close states, in the order they can happen:
* ``close_sent``: our close frame is out; nothing else may be sent.
* ``local_close``: we sent close first (``close()``), the reader sees CLOSING.
* ``peer_closed``: the peer's close frame arrived; later bytes are ignored. With
  autoclose it is answered at once, or, when messages that came before it are
  still unread, once the reader takes the CLOSE (``consumed``).
* ``done``: the handshake finished, the connection failed or was lost.

Reading back-pressure: when the messages queued since the queue was last
empty hold more than ``HIGH_WATER`` bytes, the transport stops reading until
the reader has taken them all, so a slow handler makes the client wait
instead of the server buffering without bound. Counting that way costs
nothing per message read (the reader does no accounting). A heartbeat never
fails while reading is paused that way: the silence is ours, not the peer's.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Final

from ._assembler import MessageAssembler
from ._deflate import DeflateParams, Deflater, Inflater
from ._frames import (
    HEAD_MEDIUM,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    FrameParser,
    close_payload,
    frame_head,
)
from ._message import (
    CLOSED_MESSAGE,
    CLOSING_MESSAGE,
    WebSocketError,
    WebSocketTimeoutError,
    WSMessage,
    WSMsgType,
)

if TYPE_CHECKING:
    from jackfield.server import HttpProtocol

__all__ = ["HIGH_WATER", "Connection", "closed_error"]

HIGH_WATER: Final = 2**16
_MESSAGE_OVERHEAD: Final = 64  # counted per queued message, so empty ones add up too
# Headers of frames under 126 bytes, by first-byte-without-FIN and length: no packing.
_SHORT_HEADS: Final = {
    op: tuple(bytes((0x80 | op, n)) for n in range(126))
    for op in (0x1, 0x2, 0x8, 0x9, 0xA, 0x41, 0x42)
}
_TEXT: Final = WSMsgType.TEXT
_BINARY: Final = WSMsgType.BINARY
_PING: Final = WSMsgType.PING
_PONG: Final = WSMsgType.PONG
_ERROR: Final = WSMsgType.ERROR
_CLOSE: Final = WSMsgType.CLOSE
_ABNORMAL: Final = 1006
_NO_STATUS: Final = 1005


def closed_error() -> ConnectionResetError:
    """What sending on a WebSocket that is closing or closed raises."""
    return ConnectionResetError(
        "cannot send on a WebSocket that is closing or closed; check ws.closed first"
    )


class Connection:
    """The state of one WebSocket after the 101; see the module docstring."""

    def __init__(
        self,
        protocol: HttpProtocol,
        *,
        max_msg_size: int,
        deflate: DeflateParams | None,
        autoping: bool,
        autoclose: bool,
    ) -> None:
        transport = protocol.transport
        if transport is None:
            raise ConnectionResetError("the client disconnected before the WebSocket started")
        self.http = protocol
        """The HTTP connection taken over; senders ``drain()`` while its ``writing_paused``."""
        self._loop = protocol.loop
        self._autoping = autoping
        self._autoclose = autoclose
        # Compressed frames may be a little larger than what they inflate to.
        frame_limit = max_msg_size + (max_msg_size >> 6) + 64 if deflate and max_msg_size else 0
        self._parser = FrameParser(
            max_size=frame_limit or max_msg_size, require_mask=True, allow_rsv1=deflate is not None
        )
        self._assembler = MessageAssembler(
            max_size=max_msg_size, inflater=Inflater() if deflate is not None else None
        )
        self._deflater = Deflater(deflate) if deflate is not None else None
        self.queue: deque[WSMessage] = deque()
        self.close_sent = False
        self.local_close = False
        self.peer_closed = False
        self.done = False
        self.close_code: int | None = None
        self.exception: BaseException | None = None
        # A protocol violation held back until the messages before it are read.
        self._failure: WebSocketError | None = None
        self._waiter: asyncio.Future[None] | None = None
        # The reader took the last queued message: the next frame sent is its answer
        # and goes out at once (see ``send``).
        self._answering = False
        self._done_waiter: asyncio.Future[None] | None = None
        self._buffered = 0
        self._paused = False
        self._heard = False
        self._heartbeat: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        # The protocol's own coroutine, not a wrapper: one frame less per message.
        self.drain = protocol.drain
        """Wait while the transport's write buffer is over its high-water mark."""

    # -- RawReceiver: called by the kernel's protocol
    def data_received(self, data: bytes) -> None:
        """Parse ``data``; queue messages, answer control frames, fail on violations."""
        if self.peer_closed or self.done or self._failure is not None:
            return  # RFC 6455 §5.5.1: nothing after a close frame (or a violation) counts
        self._heard = True
        queue = self.queue
        before = len(queue)
        added = 0  # bytes queued by this call
        parser = self._parser
        assembler = self._assembler
        try:
            for b0, payload in parser.feed(data):
                msg = assembler.frame(b0, payload)
                if msg is None:
                    continue
                kind = msg.type
                if kind is _TEXT or kind is _BINARY:
                    queue.append(msg)
                    added += len(msg.data)
                elif kind is _PING:
                    if not self._autoping:
                        queue.append(msg)
                    elif not self.close_sent:
                        self.write(OP_PONG, msg.data, False)
                elif kind is _PONG:
                    if not self._autoping:
                        queue.append(msg)
                else:
                    self._on_close(msg)
                    return
            if parser.error is not None:
                raise parser.error
            arriving = parser.partial()
            if arriving is not None:
                # Fail fast: bad UTF-8 in a text frame still arriving (Autobahn 6.4.3).
                assembler.partial(*arriving)
        except WebSocketError as exc:
            self._fail(exc)
            return
        count = len(queue) - before
        if count:
            # Bytes queued since the queue was last empty (see the module docstring).
            buffered = added + count * _MESSAGE_OVERHEAD
            if before:
                buffered += self._buffered
            self._buffered = buffered
            if buffered > HIGH_WATER and not self._paused:
                self._pause()
            self._wake()

    def eof_received(self) -> None:
        """The peer will send nothing more: without a close handshake that is abnormal."""
        if not self.done:
            if not self.peer_closed:
                self.close_code = _ABNORMAL
            self._finish()

    def connection_lost(self, exc: BaseException | None) -> None:
        """The transport is gone: end everything and wake whoever waits."""
        if not self.done:
            if not self.peer_closed:
                self.close_code = _ABNORMAL
                if exc is not None and self.exception is None:
                    self.exception = exc
            self._finish()

    # -- reading
    def next_message(self) -> WSMessage | None:
        """Return what ``receive()`` returns now, or None when it must wait for more."""
        if self.local_close:
            return CLOSED_MESSAGE if self.done else CLOSING_MESSAGE
        queue = self.queue
        if queue:
            msg = queue.popleft()
            kind = msg.type
            if kind is not _TEXT and kind is not _BINARY:
                self.consumed(msg)
            elif not queue:
                self._answering = True
            return msg
        if self.done:
            return CLOSED_MESSAGE
        return None

    def waiter(self) -> asyncio.Future[None]:
        """Return a future the reader awaits until a message is queued or the state changes.

        The reader asks for it with the queue empty: if reading was paused, it resumes.
        The reader awaits it itself (one coroutine frame less per wait) and calls
        ``stop_waiting()`` afterwards, however the wait ended.
        """
        if self._paused:
            self._paused = False
            self._buffered = 0
            transport = self.http.transport
            if transport is not None:
                transport.resume_reading()
        waiter = self._waiter = self._loop.create_future()
        return waiter

    def stop_waiting(self) -> None:
        """The reader is no longer waiting (woken, timed out or cancelled)."""
        self._waiter = None

    def consumed(self, msg: WSMessage) -> None:
        """The reader took a message other than TEXT or BINARY: a deferred close or failure."""
        if msg.type is _CLOSE and self._autoclose and not self.close_sent:
            self.send_close(None if msg.data == _NO_STATUS else msg.data)
        elif msg.type is _ERROR and self._failure is not None:
            exc, self._failure = self._failure, None
            self._fail_now(exc, queue_error=False)

    def _pause(self) -> None:
        transport = self.http.transport
        if transport is not None:
            self._paused = True
            transport.pause_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- writing
    def send(self, opcode: int, payload: bytes, compress: bool) -> bool:
        """Send one message's frame; True when the sender must ``drain()`` before more.

        Raises ``ConnectionResetError`` once our close frame is out or the connection ended.
        """
        if self.close_sent or self.done:
            raise closed_error()
        # The first frame after the reader took the last queued message answers it:
        # it goes out now, with the frames held before it. Later frames wait for the
        # end of the turn, so answers to messages that arrived together still leave
        # in one send (measured in HttpProtocol.write).
        last = self._answering
        self._answering = False
        self.write(opcode, payload, compress, last)
        return self.http.writing_paused

    def write(self, opcode: int, payload: bytes, compress: bool, last: bool = False) -> None:
        """Send one whole frame with the connection's ``write`` (callers check ``close_sent``).

        ``last``: send it now rather than at the end of the loop turn.
        """
        if compress and self._deflater is not None:
            payload = self._deflater.compress(payload)
            opcode |= 0x40
        n = len(payload)
        if n < 126:
            self.http.write(_SHORT_HEADS[opcode][n] + payload, last=last)
        elif n < 65536:
            # One piece, not two: copying a frame this small costs less than a second
            # write() and the join when the turn's output goes out.
            self.http.write(HEAD_MEDIUM.pack(0x80 | opcode, 126, n) + payload, last=last)
        else:
            # Kept apart: write() holds a big payload by reference (bounded output).
            self.http.write(frame_head(0x80 | opcode, n))
            self.http.write(payload, last=last)

    def flush(self) -> None:
        """Hand the frames written in this loop turn to the transport now."""
        self.http.flush()

    def send_close(self, code: int | None, reason: bytes = b"") -> bool:
        """Send our close frame unless one was sent; True if this call sent it."""
        if self.close_sent or self.done:
            return False
        self.close_sent = True
        self.write(OP_CLOSE, close_payload(code, reason), False)
        self.flush()  # the kernel may close the transport as soon as the handler returns
        if self.peer_closed:
            self._finish()  # we were answering the peer: the handshake is complete
        else:
            self.close_code = code  # until the peer answers with its own
            self.local_close = True
            self._wake()  # a reader in another task now gets CLOSING
        return True

    async def wait_done(self) -> None:
        """Wait until the close handshake finishes or the connection ends."""
        if self.done:
            return
        if self._done_waiter is None:
            self._done_waiter = self._loop.create_future()
        await asyncio.shield(self._done_waiter)

    def give_up(self, timeout: float) -> None:
        """The peer did not answer our close in time: end the connection abnormally."""
        if self.done:
            return
        self.close_code = _ABNORMAL
        self.exception = WebSocketTimeoutError(
            _ABNORMAL, f"no close frame from the peer within {timeout} s of ours"
        )
        self._finish()
        self._close_transport(abort=True)

    # -- closing
    def _on_close(self, msg: WSMessage) -> None:
        self.peer_closed = True
        code = msg.data
        self.close_code = code
        if self.close_sent:
            self._finish()  # the answer to our close
            return
        # With autoclose the answer goes now, unless messages that came before the
        # close wait unread: then it goes when the reader reaches the CLOSE (in
        # consumed()), so the handler may still answer them (RFC 6455 §5.5.1
        # allows finishing the current message first).
        answer_now = self._autoclose and not self.queue
        self.queue.append(msg)
        if answer_now:
            self.send_close(None if code == _NO_STATUS else code)
        self._wake()

    def _fail(self, exc: WebSocketError) -> None:
        """Fail the WebSocket connection (RFC 6455 §7.1.7): close frame, then close TCP.

        Messages that arrived whole before the violation and wait unread are
        delivered first, like those before a peer's close: the ERROR follows
        them and the connection fails when the reader takes it (``consumed``),
        so an echo loop can still answer them (issue 19). Later bytes are ignored.
        """
        self.exception = exc
        if self.queue and not self.close_sent:
            self._failure = exc
            self.queue.append(WSMessage(_ERROR, exc, None))
            self._wake()
            return
        self._fail_now(exc, queue_error=True)

    def _fail_now(self, exc: WebSocketError, *, queue_error: bool) -> None:
        self.exception = exc
        self.close_code = exc.code
        if not self.close_sent:
            self.close_sent = True
            reason = str(exc).encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
            self.write(OP_CLOSE, close_payload(exc.code, reason), False)
        if queue_error:
            self.queue.append(WSMessage(_ERROR, exc, None))
        self._finish()
        self._close_transport(abort=False)

    def _finish(self) -> None:
        self.done = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._wake()
        waiter = self._done_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _close_transport(self, *, abort: bool) -> None:
        self.flush()
        transport = self.http.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                transport.close()

    # -- heartbeat
    def start_heartbeat(self, interval: float) -> None:
        """Ping after ``interval`` s without traffic; fail if nothing arrives in ``interval/2``."""
        self._heartbeat = interval
        self._heard = False
        self._timer = self._loop.call_later(interval, self._on_heartbeat)

    def _on_heartbeat(self) -> None:
        interval = self._heartbeat
        if self.done or interval is None:
            return
        if self._heard or self.close_sent:
            # Traffic proves the peer alive; after our close, wait_done's timeout rules.
            self._heard = False
            self._timer = self._loop.call_later(interval, self._on_heartbeat)
            return
        self.write(OP_PING, b"", False)
        self._timer = self._loop.call_later(interval / 2, self._on_pong_deadline)

    def _on_pong_deadline(self) -> None:
        interval = self._heartbeat
        if self.done or interval is None:
            return
        if self._heard or self._paused:
            self._heard = False
            self._timer = self._loop.call_later(interval, self._on_heartbeat)
            return
        exc = WebSocketTimeoutError(
            _ABNORMAL, f"no answer to a heartbeat ping within {interval / 2} s"
        )
        self.exception = exc
        self.close_code = _ABNORMAL
        self.queue.append(WSMessage(_ERROR, exc, None))
        self._finish()
        self._close_transport(abort=True)
