"""The request body as an asyncio stream: ``BodyStream`` (``request.content``).

The connection loop is the only writer (``feed_data``, ``feed_eof``,
``set_exception``); the handler's task is the only reader. The stream owns the
buffered body bytes and the reading back-pressure between the two.

Invariants:
* Bytes live in a deque of the chunks as they arrived plus an offset into the
  first one, with ``_size`` counting what is left. Reads slice, never
  concatenate the whole buffer per call, so reading N bytes costs O(N).
* Back-pressure: the stream asks the connection to stop reading the socket
  (``on_pause``) once the unread body costs more than ``limit`` bytes of
  memory (its bytes plus ``_PIECE_COST`` per piece) and nobody is waiting
  for more, and lets it read again (``on_resume``) once a read brings
  the buffer back to ``limit`` or below. A reader that must wait for more than
  the buffer holds (``readexactly(n)`` with ``n > limit``) resumes reading
  itself, otherwise reader and connection would wait on each other forever.
* An exception (client gone, bad framing, body over ``max_size``) wins over
  buffered data: every read after ``set_exception`` raises it.
* One reader waits at a time; a second one is a bug in the caller and fails.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["EMPTY_STREAM", "BodyStream"]

_DEFAULT_LIMIT = 2**16
# What one buffered piece costs beyond its bytes (a bytes object's header,
# rounded up by the allocator, and its deque slot). Counting it makes a body
# sent in tiny pieces pause as early as its memory says: 2-byte pieces used to
# hold 32,768 objects (~3 MiB) before the 64 KiB limit was reached (issue 20).
_PIECE_COST = 64


class BodyStream:
    """A stream of request body bytes, fed by the connection and read by the handler."""

    def __init__(
        self,
        *,
        limit: int = _DEFAULT_LIMIT,
        on_pause: Callable[[], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        on_first_read: Callable[[], None] | None = None,
        max_size: int | None = None,
        on_too_large: Callable[[int], BaseException] | None = None,
    ) -> None:
        """Create an empty stream.

        ``limit`` is the buffer size that pauses the connection (and the
        longest line ``readline`` accepts). ``on_first_read`` runs once, when
        a read method is first called (the kernel sends ``100 Continue`` then).
        With ``max_size``, feeding more than that many bytes in total makes
        every read raise ``on_too_large(total)`` (a ``ValueError`` by default).
        """
        if limit <= 0:
            raise ValueError(f"limit must be a positive number of bytes, got {limit}")
        if max_size is not None and max_size < 0:
            raise ValueError(f"max_size must be >= 0 or None, got {max_size}")
        self._limit = limit
        self._on_pause = on_pause
        self._on_resume = on_resume
        self._on_first_read = on_first_read
        self._max_size = max_size
        self._on_too_large = on_too_large
        self._buffer: deque[bytes] = deque()
        self._offset = 0  # bytes of _buffer[0] already read
        self._size = 0  # unread bytes in _buffer
        self._total = 0
        self._eof = False
        self._exception: BaseException | None = None
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = "eof" if self._eof else "open"
        if self._exception is not None:
            state = f"error={self._exception!r}"
        return f"<BodyStream {self._size} buffered, {self._total} total, {state}>"

    # -- the connection's side
    def feed_data(self, data: bytes) -> None:
        """Append body bytes (called by the connection as they arrive)."""
        if self._eof:
            raise RuntimeError(
                f"feed_data() got {len(data)} bytes after feed_eof(); the body is complete"
            )
        if not data:
            return
        self._total += len(data)
        if self._exception is not None:
            return  # the body is already rejected; drop what still trickles in
        if self._max_size is not None and self._total > self._max_size:
            self.set_exception(self._too_large_error(self._total))
            return
        self._buffer.append(data)
        self._size += len(data)
        # A waiting reader is about to take these bytes: pausing now would
        # only cost a resume a moment later.
        if (
            not self._paused
            and self._size + _PIECE_COST * len(self._buffer) > self._limit
            and self._waiter is None
        ):
            self._paused = True
            if self._on_pause is not None:
                self._on_pause()
        self._wake()

    def feed_eof(self) -> None:
        """Mark the body complete (called by the connection at the end of the message)."""
        self._eof = True
        self._wake()

    def set_exception(self, exc: BaseException) -> None:
        """Make every further read raise ``exc`` (the body is broken or refused).

        Buffered bytes are dropped and reading the socket is allowed again,
        since nobody will read them.
        """
        self._exception = exc
        self._buffer.clear()
        self._offset = 0
        self._size = 0
        self._release_pause()
        self._wake()

    def _too_large_error(self, total: int) -> BaseException:
        if self._on_too_large is not None:
            return self._on_too_large(total)
        return ValueError(
            f"request body is larger than max_size={self._max_size} bytes "
            f"({total} received so far); raise the limit or send a smaller body"
        )

    # -- state
    @property
    def total_bytes(self) -> int:
        """Body bytes fed so far (read or not)."""
        return self._total

    @property
    def limit(self) -> int:
        """The buffer size that pauses reading, and the longest accepted line."""
        return self._limit

    def is_eof(self) -> bool:
        """True once the whole body was fed (some of it may still be unread)."""
        return self._eof

    def at_eof(self) -> bool:
        """True when the body is complete and every byte of it was read."""
        return self._eof and not self._size

    def exception(self) -> BaseException | None:
        """The error set by ``set_exception`` (or the size limit), or ``None``."""
        return self._exception

    # -- readers
    async def read(self, n: int = -1) -> bytes:
        """Return up to ``n`` bytes (``b""`` at the end); ``n=-1`` reads to the end."""
        self._note_read()
        if n == 0:
            return b""
        if n < 0:
            parts = []
            while piece := await self.readany():
                parts.append(piece)
            return b"".join(parts)
        await self._wait_for_data("read", 1)
        return self._take(min(n, self._size))

    async def readany(self) -> bytes:
        """Return whatever is buffered, waiting for some if empty; ``b""`` at the end."""
        self._note_read()
        await self._wait_for_data("readany", 1)
        return self._take(self._size)

    async def readexactly(self, n: int) -> bytes:
        """Return exactly ``n`` bytes.

        Raises ``asyncio.IncompleteReadError`` (with the bytes that were left)
        when the body ends first.
        """
        self._note_read()
        if n < 0:
            raise ValueError(f"readexactly() needs n >= 0, got {n}")
        await self._wait_for_data("readexactly", n)
        if self._size < n:
            raise asyncio.IncompleteReadError(self._take(self._size), n)
        return self._take(n)

    async def readline(self) -> bytes:
        """Return the next line with its ``b"\\n"``; the tail without it at the end.

        A line longer than ``limit`` raises ``ValueError`` (the bytes stay buffered).
        """
        try:
            return await self.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Return the bytes up to and including ``separator``.

        Raises ``asyncio.IncompleteReadError`` when the body ends first, and
        ``ValueError`` when no separator comes within ``limit`` bytes (the
        bytes stay buffered).
        """
        self._note_read()
        if not separator:
            raise ValueError("readuntil() needs a non-empty separator")
        # Bytes scanned without a match move from the buffer into `acc`, so
        # each byte is searched once however the data is chunked.
        acc = bytearray()
        try:
            while True:
                line = self._scan(separator, acc)
                if line is not None:
                    return line
                if self._eof or self._exception is not None:
                    self._raise_if_failed()
                    partial = bytes(acc)
                    acc.clear()
                    raise asyncio.IncompleteReadError(partial, None)
                await self._wait_for_data("readuntil", 1)
        except BaseException:
            # Cancelled, or the line is too long: keep the bytes for the next reader.
            if acc and self._exception is None:
                self._unread(bytes(acc))
            raise

    def _scan(self, sep: bytes, acc: bytearray) -> bytes | None:
        """Move scanned bytes into ``acc``; return the line once ``sep`` is found."""
        keep = len(sep) - 1  # a separator may straddle chunks: re-probe this many bytes
        buffer = self._buffer
        while buffer:
            chunk, off = buffer[0], self._offset
            end = -1
            if acc and keep:
                probe = bytes(acc[-keep:]) + chunk[off : off + keep]
                i = probe.find(sep)
                if i != -1:
                    end = off + i + len(sep) - min(keep, len(acc))
            if end == -1:
                i = chunk.find(sep, off)
                end = -1 if i == -1 else i + len(sep)
            if end != -1:
                if len(acc) + end - off > self._limit:
                    raise self._line_too_long(len(acc) + end - off)
                if not acc:
                    return self._take(end - off)
                acc += self._take(end - off)
                return bytes(acc)
            if len(acc) + len(chunk) - off > self._limit:
                raise self._line_too_long(len(acc) + len(chunk) - off)
            acc += self._take(len(chunk) - off)
        return None

    def _line_too_long(self, size: int) -> ValueError:
        return ValueError(
            f"line of at least {size} bytes is longer than the stream limit of "
            f"{self._limit} bytes; read the body with read() or iter_chunked() instead"
        )

    def iter_chunked(self, n: int) -> _ReadIterator:
        """Iterate ``async for chunk in ...`` over pieces of at most ``n`` bytes."""
        if n <= 0:
            raise ValueError(f"iter_chunked() needs a chunk size > 0, got {n}")

        def read_n() -> Awaitable[bytes]:
            return self.read(n)

        return _ReadIterator(read_n)

    def iter_any(self) -> _ReadIterator:
        """Iterate ``async for chunk in ...`` over pieces as they arrive."""
        return _ReadIterator(self.readany)

    def __aiter__(self) -> _ReadIterator:
        """Iterate ``async for line in stream`` over lines (see ``readline``)."""
        return _ReadIterator(self.readline)

    # -- internals
    def _note_read(self) -> None:
        callback = self._on_first_read
        if callback is not None:
            self._on_first_read = None
            callback()

    def _raise_if_failed(self) -> None:
        if self._exception is not None:
            raise self._exception

    async def _wait_for_data(self, caller: str, n: int) -> None:
        """Wait until ``n`` bytes are buffered or the body ended; raise its error."""
        while self._size < n and not self._eof and self._exception is None:
            if self._waiter is not None:
                raise RuntimeError(
                    f"{caller}() called while another coroutine is already waiting for "
                    "the body; read it from one task at a time"
                )
            # The buffer cannot satisfy us, so the socket must be read.
            self._release_pause()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        self._raise_if_failed()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _release_pause(self) -> None:
        if self._paused:
            self._paused = False
            if self._on_resume is not None:
                self._on_resume()

    def _take(self, n: int) -> bytes:
        """Remove and return the next ``n`` buffered bytes (``n <= _size``)."""
        if n == 0:
            return b""
        buffer = self._buffer
        chunk, off = buffer[0], self._offset
        available = len(chunk) - off
        if n < available:
            self._offset = off + n
            data = chunk[off : off + n]
        elif n == available:
            buffer.popleft()
            self._offset = 0
            data = chunk[off:] if off else chunk
        else:
            parts = [chunk[off:] if off else chunk]
            buffer.popleft()
            need = n - available
            while need:
                chunk = buffer[0]
                if need < len(chunk):
                    parts.append(chunk[:need])
                    self._offset = need
                    break
                parts.append(buffer.popleft())
                need -= len(chunk)
            else:
                self._offset = 0
            data = b"".join(parts)
        self._size -= n
        if self._paused and self._size + _PIECE_COST * len(buffer) <= self._limit:
            self._release_pause()
        return data

    def _unread(self, data: bytes) -> None:
        """Put bytes back in front of the buffer (a reader gave up on them)."""
        if self._offset:
            self._buffer[0] = self._buffer[0][self._offset :]
            self._offset = 0
        self._buffer.appendleft(data)
        self._size += len(data)


class _ReadIterator:
    """``async for`` over the results of one read method until it returns ``b""``."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[bytes]]) -> None:
        self._read = read

    def __aiter__(self) -> _ReadIterator:
        return self

    async def __anext__(self) -> bytes:
        data = await self._read()
        if not data:
            raise StopAsyncIteration
        return data


class _EmptyStream(BodyStream):
    """The body of every request without one: always at its end, never fed."""

    def __init__(self) -> None:
        super().__init__()
        self._eof = True

    def feed_data(self, data: bytes) -> None:
        raise RuntimeError(_SHARED_MESSAGE)

    def feed_eof(self) -> None:
        raise RuntimeError(_SHARED_MESSAGE)

    def set_exception(self, exc: BaseException) -> None:
        raise RuntimeError(_SHARED_MESSAGE)


_SHARED_MESSAGE = (
    "EMPTY_STREAM is shared by every request without a body and cannot be fed; "
    "create a BodyStream for a request that has one"
)

#: A shared, always-finished stream for requests without a body: reads return
#: ``b""`` at once and it never pauses, so one instance serves every request.
EMPTY_STREAM: BodyStream = _EmptyStream()
