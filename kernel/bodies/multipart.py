"""Streaming ``multipart/*`` bodies: ``await request.multipart()`` and its parts.

``MultipartReader`` hands out the parts of a body one at a time
(``await reader.next()`` or ``async for part in reader``); a
``BodyPartReader`` reads one part's bytes in chunks, or whole. A part whose
Content-Type is ``multipart/*`` comes back as a nested ``MultipartReader``.
Nothing is kept but the part being read, so an upload of any size costs a
few buffers of memory; ``client_max_size`` does not apply here, as the spec
says. Hostile bodies are bounded by ``MultipartLimits`` instead (413).

Strategy: one ``bytes`` buffer and a position per reader. Delimiters
(``CRLF--boundary``) are found with ``bytes.find``; a byte is searched once
however the body is chunked, because the reader remembers how far the
buffer is known to hold no delimiter. Python never loops over bytes.

Invariants:
* A part ends exactly where its delimiter starts; the CRLF before the
  delimiter belongs to the delimiter (RFC 2046 §5.1.1).
* ``next()`` first skips what is left of the current part.
* A body that ends before its closing delimiter is a ``MultipartError`` (400).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._decoding import OUT_CHUNK, Readable
from ._mime import (
    MultipartError,
    MultipartLimitError,
    content_disposition,
    get_boundary,
    parse_part_headers,
)
from ._part import BodyPartReader, PartDecoder, PartSource
from .appkey import AppKey

__all__ = [
    "MULTIPART_LIMITS",
    "BodyPartReader",
    "MultipartError",
    "MultipartLimitError",
    "MultipartLimits",
    "MultipartReader",
    "PartDecoder",
    "limits_for",
    "set_multipart_limits",
]

# Transport padding after a delimiter (RFC 2046 §5.1.1) longer than this is hostile.
_MAX_PADDING = 1024
_PADDING = re.compile(rb"[ \t]*")


def _non_negative(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise ValueError(f"MultipartLimits.{attribute.name} must be >= 0, got {value}")


@attrs.frozen(slots=True)
class MultipartLimits:
    """Bounds on a multipart body; 0 turns a bound off. A broken bound is a 413.

    Set them for an application (and its sub-applications) with
    ``set_multipart_limits(app, limits)``, or per call with
    ``request.multipart(limits=...)`` / ``request.post(limits=...)``.
    """

    max_parts: int = attrs.field(default=1000, validator=_non_negative)
    """Most parts in one body, nested parts included."""
    max_fields: int = attrs.field(default=1000, validator=_non_negative)
    """Most fields ``post()`` returns (urlencoded pairs or form-data parts)."""
    max_part_header_size: int = attrs.field(default=8190, validator=_non_negative)
    """Longest header block of one part, in bytes."""
    max_part_headers: int = attrs.field(default=32, validator=_non_negative)
    """Most header lines in one part."""
    max_depth: int = attrs.field(default=2, validator=_non_negative)
    """Deepest nesting of ``multipart/*`` parts (the body itself is depth 1)."""
    max_decoded_part_size: int = attrs.field(default=32 * 1024**2, validator=_non_negative)
    """Largest part ``read(decode=True)`` returns once its codings are removed."""
    spool_threshold: int = attrs.field(default=1024**2, validator=_non_negative)
    """``post()`` keeps an uploaded file in memory up to this size, then on disk."""


_DEFAULT_LIMITS = MultipartLimits()

#: Where ``set_multipart_limits`` keeps an application's limits.
MULTIPART_LIMITS: AppKey[MultipartLimits] = AppKey("jackfield.multipart_limits", MultipartLimits)


def set_multipart_limits(app: Any, limits: MultipartLimits) -> None:
    """Use ``limits`` for multipart bodies of ``app``'s routes (and its sub-apps').

    A sub-application's own setting wins over its parent's. Call before the
    application starts.
    """
    if not isinstance(limits, MultipartLimits):
        raise TypeError(f"set_multipart_limits() needs a MultipartLimits, got {limits!r}")
    app[MULTIPART_LIMITS] = limits


def limits_for(apps: Iterable[Mapping[Any, Any]]) -> MultipartLimits:
    """Return the limits of the innermost app that has some (apps outermost first)."""
    for app in reversed(tuple(apps)):
        limits = app.get(MULTIPART_LIMITS)
        if isinstance(limits, MultipartLimits):
            return limits
    return _DEFAULT_LIMITS


class _Budget:
    """Counts shared by a reader and the readers nested in it."""

    __slots__ = ("limits", "parts")

    def __init__(self, limits: MultipartLimits) -> None:
        self.limits = limits
        self.parts = 0


class MultipartReader:
    """The parts of a ``multipart/*`` body, read one after the other.

    ``headers`` are the request's (or, for a nested reader, its part's);
    ``source`` is anything with ``async readany()``. Raises ``MultipartError``
    at once if the Content-Type has no valid boundary.
    """

    def __init__(
        self,
        headers: Mapping[str, str],
        source: Readable,
        *,
        limits: MultipartLimits | None = None,
        _budget: _Budget | None = None,
        _depth: int = 1,
    ) -> None:
        self.headers = headers
        boundary = get_boundary(headers.get("Content-Type"))
        self._first = b"--" + boundary
        self._delim = b"\r\n--" + boundary
        self._source = source
        self._budget = _budget or _Budget(limits or MultipartLimits())
        self._depth = _depth
        self._buf = b""
        self._pos = 0
        self._eof = False  # the source is exhausted
        self._started = False
        self._done = False  # the closing delimiter was read
        self._part: BodyPartReader | MultipartReader | None = None
        self._part_open = False  # bytes of the current part remain
        self._clean = 0  # bytes from _pos known not to start a delimiter
        self._delim_at = -1  # offset from _pos of the next delimiter, -1 unknown

    # -- the parts
    @property
    def name(self) -> str | None:
        """For a nested reader: the ``name`` of its part's Content-Disposition."""
        return content_disposition(self.headers.get("Content-Disposition"))[1].get("name")

    @property
    def filename(self) -> str | None:
        """For a nested reader: the ``filename`` of its part's Content-Disposition."""
        return content_disposition(self.headers.get("Content-Disposition"))[1].get("filename")

    def at_eof(self) -> bool:
        """True once the closing delimiter was read."""
        return self._done

    def __aiter__(self) -> AsyncIterator[BodyPartReader | MultipartReader]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[BodyPartReader | MultipartReader]:
        while (part := await self.next()) is not None:
            yield part

    async def next(self) -> BodyPartReader | MultipartReader | None:
        """Return the next part (skipping the rest of the current one); ``None`` at the end."""
        if self._done:
            return None
        if self._part is not None:
            await self._part.release()
            self._part = None
        while self._part_open:  # a nested reader leaves its epilogue unread
            await self._read_body(OUT_CHUNK)
        if not self._started:
            await self._skip_preamble()
            self._started = True
        if await self._after_delimiter():
            self._done = True
            return None
        budget = self._budget
        budget.parts += 1
        if budget.limits.max_parts and budget.parts > budget.limits.max_parts:
            raise MultipartLimitError(
                f"the multipart body has more than max_parts={budget.limits.max_parts} parts; "
                "raise MultipartLimits.max_parts"
            )
        headers = CIMultiDictProxy(await self._read_headers())
        self._part_open = True
        self._clean, self._delim_at = 0, -1
        part = self._make_part(headers)
        self._part = part
        return part

    def _make_part(self, headers: CIMultiDictProxy[str]) -> BodyPartReader | MultipartReader:
        ctype = headers.get("Content-Type", "")
        if not ctype.lstrip().lower().startswith("multipart/"):
            return BodyPartReader(self, headers)
        limit = self._budget.limits.max_depth
        if limit and self._depth >= limit:
            raise MultipartLimitError(
                f"multipart parts are nested deeper than max_depth={limit}; "
                "raise MultipartLimits.max_depth"
            )
        outer = BodyPartReader(self, headers)
        return MultipartReader(
            headers, PartSource(outer), _budget=self._budget, _depth=self._depth + 1
        )

    async def release(self) -> None:
        """Read and drop every remaining part."""
        while (part := await self.next()) is not None:
            await part.release()

    # -- buffer
    async def _fill(self) -> bool:
        """Read more from the source; False at its end."""
        if self._eof:
            return False
        data = await self._source.readany()
        if not data:
            self._eof = True
            return False
        buf, pos = self._buf, self._pos
        self._buf = buf[pos:] + data if pos < len(buf) else data
        self._pos = 0
        return True

    async def _need(self, n: int) -> bool:
        """Make ``n`` bytes available from ``_pos``; False if the body ends first."""
        while len(self._buf) - self._pos < n:
            if not await self._fill():
                return False
        return True

    def _unterminated(self) -> MultipartError:
        return MultipartError(
            "the multipart body ends before its closing boundary "
            f"'--{self._first[2:].decode('ascii')}--' (truncated upload?)"
        )

    # -- structure
    async def _skip_preamble(self) -> None:
        # The first delimiter may open the body without the CRLF that the
        # others have (RFC 2046 §5.1.1); anything before it is preamble.
        if not await self._need(len(self._first)):
            raise self._unterminated()
        if self._buf.startswith(self._first, self._pos):
            self._pos += len(self._first)
            return
        delim = self._delim
        while True:
            i = self._buf.find(delim, self._pos)
            if i != -1:
                self._pos = i + len(delim)
                return
            self._pos = max(self._pos, len(self._buf) - len(delim) + 1)
            if not await self._fill():
                raise MultipartError(
                    "no multipart boundary "
                    f"'--{self._first[2:].decode('ascii')}' found in the body; check that the "
                    "boundary in Content-Type is the one the body uses"
                )

    async def _after_delimiter(self) -> bool:
        """Consume what follows a delimiter; True for the closing one (``--``)."""
        if not await self._need(2):
            raise self._unterminated()
        buf, pos = self._buf, self._pos
        head = buf[pos : pos + 2]
        if head == b"\r\n":
            self._pos = pos + 2
            return False
        if head == b"--":
            self._pos = pos + 2
            return True
        # Transport padding (spaces, tabs) may sit between a boundary and its CRLF.
        while True:
            end = _PADDING.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if end - self._pos > _MAX_PADDING:
                raise MultipartError(
                    f"more than {_MAX_PADDING} bytes of padding after a multipart boundary"
                )
            if len(self._buf) - end >= 2 or not await self._fill():
                break
        if self._buf[end : end + 2] != b"\r\n":
            got = self._buf[end : end + 20]
            if not got and self._eof:
                raise self._unterminated()
            raise MultipartError(
                f"a multipart boundary is followed by {got!r} instead of CRLF or '--'; "
                "a boundary must not appear inside a part"
            )
        self._pos = end + 2
        return False

    async def _read_headers(self) -> CIMultiDict[str]:
        limits = self._budget.limits
        limit = limits.max_part_header_size
        if not await self._need(2):
            raise self._unterminated()
        if self._buf.startswith(b"\r\n", self._pos):  # a part without headers
            self._pos += 2
            return CIMultiDict()
        scanned = 0  # bytes from _pos already searched for the blank line
        while True:
            end = self._buf.find(b"\r\n\r\n", self._pos + scanned)
            if end != -1:
                break
            have = len(self._buf) - self._pos
            if limit and have > limit + 3:
                raise self._headers_too_large()
            scanned = max(0, have - 3)
            if not await self._fill():
                raise self._unterminated()
        block = self._buf[self._pos : end]
        if limit and len(block) > limit:
            raise self._headers_too_large()
        self._pos = end + 4
        return parse_part_headers(block, limits.max_part_headers or 2**31)

    def _headers_too_large(self) -> MultipartLimitError:
        limit = self._budget.limits.max_part_header_size
        return MultipartLimitError(
            f"a multipart part's header block is longer than max_part_header_size={limit} "
            "bytes; raise MultipartLimits.max_part_header_size"
        )

    async def _read_body(self, size: int) -> bytes:
        """Return up to ``size`` bytes of the current part; ``b""`` once it ended."""
        if not self._part_open:
            return b""
        delim = self._delim
        while True:
            buf, pos = self._buf, self._pos
            if self._delim_at >= 0:
                avail = self._delim_at
            else:
                i = buf.find(delim, pos + self._clean)
                if i != -1:
                    self._delim_at = avail = i - pos
                else:
                    # A delimiter may begin in the last len(delim)-1 bytes.
                    avail = self._clean = max(0, len(buf) - len(delim) + 1 - pos)
            if avail > 0:
                n = size if size < avail else avail
                data = buf[pos : pos + n]
                self._pos = pos + n
                if self._delim_at >= 0:
                    self._delim_at -= n
                    if self._delim_at == 0:
                        self._end_part()
                else:
                    self._clean -= n
                return data
            if self._delim_at == 0:
                self._end_part()
                return b""
            if not await self._fill():
                raise self._unterminated()

    def _end_part(self) -> None:
        self._pos += len(self._delim)
        self._part_open = False
        self._clean, self._delim_at = 0, -1
