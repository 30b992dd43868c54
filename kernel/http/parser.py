"""The incremental HTTP/1.1 request parser (RFC 9112): bytes in, events out.

``feed()`` appends bytes; ``next_event()`` returns the next event or
``NEED_DATA``. One request gives ``RequestHead``, zero or more ``Data`` and
``END_OF_MESSAGE``; after that the parser answers ``PAUSED`` until
``start_next()``, so the caller decides when a pipelined request may begin
(and can take ``trailing_data`` instead, after a protocol upgrade).

Strategy (this is the server's hot path): the end of a head is found with one
``bytes.find(b"\\r\\n\\r\\n")`` (resumed where the last search stopped when
a head arrives in pieces) and the head is handed whole to ``_head.HeadReader``.
Bodies are sliced out of the buffer, never copied byte by byte; nothing loops
over bytes in Python.

Invariants:
* ``_buf[_pos:]`` is the unparsed input; ``feed`` re-bases it to ``_pos == 0``.
* ``Data`` is never empty and never holds more than the body still owed.
* Any input either parses or raises ``ProtocolError``; after one, every call to
  ``next_event`` raises it again.
* Feeding the same bytes in any split gives the same events (``Data`` may be cut
  differently). Incomplete input is checked early (so a client sending bare LF
  gets a 400 at once, not a timeout), and when input has several defects the
  one nearest the start wins, whichever way the bytes arrived.
"""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeAlias

from ._grammar import (
    CHUNK_EXT,
    FIELD_SECTION,
    HEX,
    LONE_CR_LF,
    MAX_CHUNK_SIZE_DIGITS,
    chunk_size_defect,
    excerpt,
    explain_field_lines,
)
from ._head import HeadReader
from .events import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    Limits,
    ProtocolError,
    RequestHead,
    _Sentinel,
)

__all__ = ["Event", "RequestParser"]

Event: TypeAlias = (
    RequestHead | Data | EndOfMessage | Literal[_Sentinel.NEED_DATA, _Sentinel.PAUSED]
)
"""What ``RequestParser.next_event`` returns."""


class _State(enum.Enum):
    HEAD = "waiting for a complete request head"
    BODY = "reading a Content-Length body"
    CHUNK_SIZE = "waiting for a chunk-size line"
    CHUNK_DATA = "reading chunk data"
    CHUNK_END = "waiting for the CRLF after chunk data"
    TRAILERS = "waiting for the trailer section"
    DONE = "message complete, END_OF_MESSAGE not returned yet"
    PAUSED = "END_OF_MESSAGE returned, waiting for start_next()"
    FAILED = "a ProtocolError was raised"


# Module-level aliases: a global lookup is cheaper than an enum attribute lookup.
_HEAD: Final = _State.HEAD
_BODY: Final = _State.BODY
_CHUNK_SIZE: Final = _State.CHUNK_SIZE
_CHUNK_DATA: Final = _State.CHUNK_DATA
_CHUNK_END: Final = _State.CHUNK_END
_TRAILERS: Final = _State.TRAILERS
_DONE: Final = _State.DONE
_PAUSED: Final = _State.PAUSED
_FAILED: Final = _State.FAILED

# RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request
# line (some clients send an extra CRLF after a body); more than this is garbage.
MAX_EMPTY_LINES: Final = 4


class RequestParser:
    """An incremental parser that gives the events of the requests fed to it.

    ``limits`` bounds every part of a request; exceeding one raises
    ``ProtocolError`` with the status to answer (414, 431 or 400).
    """

    __slots__ = (
        "_buf",
        "_empty_lines",
        "_error",
        "_heads",
        "_line_checked",
        "_max_chunk",
        "_max_ext",
        "_max_trailer",
        "_max_trailer_count",
        "_pos",
        "_remaining",
        "_seen",
        "_state",
        "limits",
    )

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self._state = _HEAD
        self._remaining = 0  # body or chunk bytes still owed
        self._seen = 0  # bytes after _pos already known not to end the head
        self._empty_lines = 0
        self._line_checked = False  # request line of an incomplete head validated
        self._error: ProtocolError | None = None
        self._heads = HeadReader(limits)
        self._max_chunk = limits.max_chunk_size
        self._max_ext = limits.max_chunk_ext_size
        self._max_trailer = limits.max_trailer_size
        self._max_trailer_count = limits.max_trailer_count

    # -- public API

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the input; call ``next_event()`` to parse it.

        Mutable buffers are copied, so the caller may reuse them at once.
        """
        if not data or self._state is _FAILED:
            return
        buf = self._buf
        pos = self._pos
        if pos >= len(buf):
            # The common case: everything before was parsed. Keep the caller's
            # bytes as they are (copy anything mutable, it could change under us).
            self._buf = data if type(data) is bytes else bytes(data)
        elif type(buf) is bytearray:
            # Input arriving in small pieces (a slow head) is gathered in a
            # bytearray, so each piece costs its own length, not the buffer's.
            del buf[:pos]
            buf += data
        else:
            gathered = bytearray(memoryview(buf)[pos:])
            gathered += data
            self._buf = gathered
        self._pos = 0

    def next_event(self) -> Event:
        """Return the next event, ``NEED_DATA`` or ``PAUSED``; raise ``ProtocolError``."""
        state = self._state
        try:
            if state is _HEAD:
                if self._pos >= len(self._buf):
                    # Nothing fed since the last request: the usual answer after
                    # start_next(), given before _read_head's search (wrk's head
                    # through bench/parser.py: 23.0k instructions per request
                    # with this, 26.6k without, pure build, 2026-12-04).
                    return NEED_DATA
                return self._read_head()
            if state is _DONE:
                self._state = _PAUSED
                return END_OF_MESSAGE
            if state is _BODY:
                return self._read_body()
            if state is _PAUSED:
                return PAUSED
            if state is _FAILED:
                raise self._error or ProtocolError(400, "the parser failed before")
            return self._read_chunked()
        except ProtocolError as exc:
            self._state = _FAILED
            self._error = exc
            raise

    def start_next(self) -> None:
        """Go on to the next request after ``END_OF_MESSAGE`` was returned."""
        if self._state is not _PAUSED:
            raise RuntimeError(
                f"start_next() called while {self._state.value}; "
                "call it only after next_event() returned END_OF_MESSAGE"
            )
        self._state = _HEAD
        self._seen = 0
        self._empty_lines = 0
        self._line_checked = False

    @property
    def trailing_data(self) -> bytes:
        """The bytes fed but not parsed yet (after a 101 upgrade: the new protocol's)."""
        return bytes(self._buf[self._pos :])

    @property
    def at_message_start(self) -> bool:
        """True while waiting for a request head (not inside a body or its end)."""
        return self._state is _HEAD

    @property
    def buffered(self) -> int:
        """How many bytes are fed but not parsed yet."""
        return len(self._buf) - self._pos

    # -- the head

    def _read_head(self) -> RequestHead | Literal[_Sentinel.NEED_DATA]:
        buf = self._buf
        pos = self._pos
        end = buf.find(b"\r\n\r\n", pos + self._seen)
        if end == -1:
            return self._incomplete_head()
        if type(buf) is not bytes:
            buf = self._buf = bytes(buf)  # once per gathered head; events hold bytes
        head = buf[pos:end]
        if not head or head.startswith(b"\r\n"):
            self._skip_empty_lines()
            return self._read_head()
        try:
            event = self._heads.read(head)
        except ProtocolError as exc:
            # With several defects, fail as a byte-at-a-time feed would have.
            defect = self._heads.first_defect(buf, pos, end + 4, pos, False)
            raise defect or exc from None
        self._pos = end + 4
        self._seen = 0
        self._line_checked = False
        if event.chunked:
            self._state = _CHUNK_SIZE
        elif event.content_length:
            self._state = _BODY
            self._remaining = event.content_length
        else:
            self._state = _DONE
        return event

    def _incomplete_head(self) -> RequestHead | Literal[_Sentinel.NEED_DATA]:
        """Reject an incomplete head as soon as its fate is known."""
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if not avail or (avail == 1 and buf[pos] == 13):
            return NEED_DATA
        if buf.startswith(b"\r\n", pos):
            self._skip_empty_lines()
            return self._read_head()
        heads = self._heads
        defect = heads.first_defect(buf, pos, len(buf), pos + self._seen, self._line_checked)
        if defect is not None:
            raise defect
        if not self._line_checked:
            self._line_checked = buf.find(b"\r\n", pos) != -1
        self._seen = avail - 3 if avail > 3 else 0
        return NEED_DATA

    def _skip_empty_lines(self) -> None:
        buf = self._buf
        pos = self._pos
        while buf.startswith(b"\r\n", pos):
            self._empty_lines += 1
            if self._empty_lines > MAX_EMPTY_LINES:
                raise ProtocolError(400, "too many empty lines before the request line")
            pos += 2
        self._pos = pos
        self._seen = 0

    # -- the body

    def _read_body(self) -> Data | Literal[_Sentinel.NEED_DATA]:
        buf = self._buf
        pos = self._pos
        avail = len(buf) - pos
        if not avail:
            return NEED_DATA
        if type(buf) is not bytes:
            buf = self._buf = bytes(buf)
        remaining = self._remaining
        if avail <= remaining:
            data = buf[pos:] if pos else buf
            self._pos = len(buf)
            remaining -= avail
        else:
            data = buf[pos : pos + remaining]
            self._pos = pos + remaining
            remaining = 0
        self._remaining = remaining
        if not remaining:
            self._state = _DONE
        return Data(data)

    def _read_chunked(self) -> Data | EndOfMessage | Literal[_Sentinel.NEED_DATA]:
        while True:
            state = self._state
            if state is _CHUNK_DATA:
                event = self._read_body()
                if self._state is _DONE:
                    self._state = _CHUNK_END
                return event
            if state is _CHUNK_SIZE:
                if not self._chunk_size_line():
                    return NEED_DATA
            elif state is _CHUNK_END:
                if not self._chunk_end():
                    return NEED_DATA
            elif self._trailer_section():
                self._state = _PAUSED
                return END_OF_MESSAGE
            else:
                return NEED_DATA

    def _chunk_size_line(self) -> bool:
        buf = self._buf
        pos = self._pos
        eol = buf.find(b"\r\n", pos)
        if eol == -1:
            # Fail early on what has arrived (a bare LF, garbage, a line past
            # its limits), as chunk_size_defect ranks it. Any line longer than
            # this slice has a defect inside it, so the slice bounds the work.
            head = bytes(buf[pos : pos + MAX_CHUNK_SIZE_DIGITS + self._max_ext + 2])
            defect = chunk_size_defect(head, False, self._max_ext)
            if defect is not None:
                raise defect
            return False
        line = bytes(buf[pos:eol])  # no copy when buf is bytes
        m = HEX.match(line)
        digits = 0 if m is None else m.end()
        ext = len(line) - digits
        if (
            not 0 < digits <= MAX_CHUNK_SIZE_DIGITS
            or ext > self._max_ext
            or (ext and CHUNK_EXT.fullmatch(line, digits) is None)
        ):
            # Name the defect as a byte-wise feed would have (never None here).
            defect = chunk_size_defect(bytes(buf[pos : eol + 2]), True, self._max_ext)
            raise defect or ProtocolError(400, f"invalid chunk-size line {excerpt(line)}")
        size = int(line[:digits], 16)
        if size > self._max_chunk:
            raise ProtocolError(400, f"chunk of {size} bytes is over the {self._max_chunk} limit")
        self._pos = eol + 2
        if size:
            self._remaining = size
            self._state = _CHUNK_DATA
        else:
            self._state = _TRAILERS
        return True

    def _chunk_end(self) -> bool:
        buf = self._buf
        pos = self._pos
        if buf.startswith(b"\r\n", pos):
            self._pos = pos + 2
            self._state = _CHUNK_SIZE
            return True
        avail = len(buf) - pos
        if not avail or (avail == 1 and buf[pos] == 13):
            return False
        # Quote only the bytes that show the defect: the same however they arrived.
        found = excerpt(bytes(buf[pos : pos + (2 if buf[pos] == 13 else 1)]))
        raise ProtocolError(400, f"chunk data not followed by CRLF: {found}")

    def _trailer_section(self) -> bool:
        """Consume the trailer section (RFC 9112 §7.1.2); trailers are checked, then dropped."""
        buf = self._buf
        pos = self._pos
        if buf.startswith(b"\r\n", pos):
            self._pos = pos + 2
            return True
        avail = len(buf) - pos
        if not avail or (avail == 1 and buf[pos] == 13):
            return False
        end = buf.find(b"\r\n\r\n", pos)
        if end == -1:
            defect = self._trailer_defect(pos, len(buf))
            if defect is not None:
                raise defect
            return False
        try:
            if buf.count(b"\r\n", pos, end) >= self._max_trailer_count:
                raise ProtocolError(431, f"more than {self._max_trailer_count} trailer fields")
            if FIELD_SECTION.fullmatch(buf, pos, end) is None:
                raise explain_field_lines(bytes(buf[pos:end]).split(b"\r\n"), "trailer")
        except ProtocolError as exc:
            raise self._trailer_defect(pos, end + 4) or exc from None
        if end + 4 - pos > self._max_trailer:
            raise ProtocolError(431, f"trailer section larger than {self._max_trailer} bytes")
        self._pos = end + 4
        return True

    def _trailer_defect(self, start: int, stop: int) -> ProtocolError | None:
        """Return the defect of the trailers so far a byte-wise feed would meet first."""
        size_at = self._max_trailer + 1 if stop - start > self._max_trailer else stop + 1
        m = LONE_CR_LF.search(self._buf, start, stop)
        bare_at = m.start() - start + len(m.group()) if m is not None else stop + 1
        if size_at == bare_at == stop + 1:
            return None
        if size_at <= bare_at:
            return ProtocolError(431, f"trailer section larger than {self._max_trailer} bytes")
        return ProtocolError(400, "bare CR or LF in trailer section; lines must end in CRLF")
