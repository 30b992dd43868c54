"""Request heads: a complete head becomes a ``RequestHead``; an incomplete one is vetted.

``HeadReader.read`` reads a complete head, the server's hot path, in one pass
of fixed order: the request line is checked by one compiled pattern
(``request_line``), then the head's size, then (``_read_fields``) the field
section's count and line sizes, its syntax by one pattern over its latin-1
text (decoded once), which is then split into a ``CIMultiDict``, and last the
fields that decide framing and persistence, looked up by name. A defect
raises the ``ProtocolError`` of the first check it fails. A field section
byte for byte the last one read, under the same version, is not read again.

``HeadReader.first_defect`` serves the other goal: the same bytes must fail the
same way however they are split. It names, among the defects that can be seen
before a head is complete (an overlong line or head, a bare CR or LF, a bad
request line), the one a byte-at-a-time feed would meet first. The parser asks
it about every incomplete head, and about a complete head that ``read``
rejected, so both agree when a request has several defects.
"""

from __future__ import annotations

from typing import Final, TypeAlias

from multidict import CIMultiDict, CIMultiDictProxy, istr

from ._framing import (
    CLOSE,
    KEEP_ALIVE,
    UPGRADE,
    check_host,
    connection_options,
    content_length,
    require_chunked,
)
from ._grammar import (
    FIELD_SECTION_TEXT,
    LONE_CR_LF,
    REQUEST_LINE,
    TOKEN_START,
    check_target,
    excerpt,
    explain_field_lines,
    explain_request_line,
    explain_version,
)
from .events import Limits, ProtocolError, RequestHead

__all__ = ["HeadReader"]

# Field names as istr: a case-insensitive lookup then needs no lower-casing.
_CONTENT_LENGTH: Final = istr("content-length")
_TRANSFER_ENCODING: Final = istr("transfer-encoding")
_EXPECT: Final = istr("expect")
_UPGRADE: Final = istr("upgrade")
_HOST: Final = istr("host")
_CONNECTION: Final = istr("connection")
# RequestHead(...) runs the NamedTuple's own __new__, a Python function:
# tuple.__new__ builds the same value at half the cost (129 against 254 ns,
# pure build, 2026-12-04; see RequestHead).
_new_head: Final = tuple.__new__

# Shared, so a request allocates no version tuple and no common method string.
_V10: Final = (1, 0)
_V11: Final = (1, 1)
_VERSIONS: Final = {b"1.1": _V11, b"1.0": _V10}
# Larger field sections are not remembered: an idle connection would keep
# their decoded headers alive (up to max_headers_size) for a rare gain.
_MAX_REMEMBERED: Final = 8192
_NO_HEADERS: Final = CIMultiDictProxy(CIMultiDict[str]())
_METHODS: Final = {
    m.encode(): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
}


_Fields: TypeAlias = tuple[CIMultiDictProxy[str], bool, bool, int | None, bool, str | None]
"""What a field section says: headers, keep_alive, chunked, content_length, upgrade, expect."""


class HeadReader:
    """Reads request heads under one set of ``Limits``; keeps the last valid Host."""

    __slots__ = (
        "_fields",
        "_fields_read",
        "_fields_version",
        "_host",
        "_line",
        "_line_read",
        "_max_count",
        "_max_field",
        "_max_head",
        "_max_line",
    )

    def __init__(self, limits: Limits) -> None:
        self._max_line = limits.max_request_line
        self._max_field = limits.max_field_size
        self._max_head = limits.max_headers_size
        self._max_count = limits.max_header_count
        self._host: str | None = None
        # The last field section read (if no larger than _MAX_REMEMBERED), the
        # version it was read under, and what it said.
        self._fields: bytes | None = None
        self._fields_version = _V11
        self._fields_read: _Fields = (_NO_HEADERS, False, False, None, False, None)
        # The last valid request line and what it said.
        self._line: bytes | None = None
        self._line_read: tuple[str, str, tuple[int, int]] = ("GET", "/", _V11)

    def read(self, head: bytes) -> RequestHead:
        """Read a complete head (without its final blank line) or raise its ``ProtocolError``.

        Checks run in a fixed order (request line, head size, field count,
        field size, field syntax, then the framing fields), so each defective
        head has one error, which ``first_defect`` agrees with.
        """
        line, crlf, fields = head.partition(b"\r\n")
        method, target, version = self.request_line(line)
        if len(head) + 4 > self._max_head:
            raise ProtocolError(431, f"request head larger than {self._max_head} bytes")
        if fields == self._fields and version == self._fields_version:
            # A keep-alive client repeating its field section (load generators,
            # API clients): what it says depends only on its bytes and the
            # version, so the last reading (headers read-only) is reused.
            # Through bench/parser.py, in instructions per request (2026-12-04):
            # wrk's head 12.1k instead of 22.1k compiled, 21.8k instead of
            # 36.5k pure; a small form POST 16.7k/35.5k and 29.2k/55.0k.
            headers, keep_alive, chunked, length, upgrade, expect = self._fields_read
        else:
            read = self._read_fields(fields if crlf else None, version)
            headers, keep_alive, chunked, length, upgrade, expect = read
            if crlf and len(fields) <= _MAX_REMEMBERED:
                self._fields, self._fields_version, self._fields_read = fields, version, read
        return _new_head(
            RequestHead,
            (
                method,
                target,
                version,
                headers,
                fields,
                keep_alive,
                chunked,
                length,
                upgrade,
                expect,
            ),
        )

    def _read_fields(self, fields: bytes | None, version: tuple[int, int]) -> _Fields:
        """Check and decode a field section (``None``: the head has none); raise on a defect."""
        headers: CIMultiDict[str] = CIMultiDict()
        if fields is not None:
            text = fields.decode("latin-1")
            lines = text.split("\r\n")
            if len(lines) > self._max_count:
                raise ProtocolError(431, f"more than {self._max_count} header fields")
            # No line can be too long if all of them together are short enough.
            if len(text) > self._max_field and max(map(len, lines)) > self._max_field:
                raise ProtocolError(431, f"a header line is longer than {self._max_field} bytes")
            if FIELD_SECTION_TEXT.fullmatch(text) is None:
                raise explain_field_lines(fields.split(b"\r\n"))
            add = headers.add
            for field in lines:
                name, _, value = field.partition(":")
                add(name, value.strip(" \t"))
        hosts = headers.getall(_HOST, None)
        # A connection sends the same Host every time: remember the last valid one.
        if hosts is None or len(hosts) != 1 or hosts[0] != self._host:
            check_host(hosts, version)
            if hosts is not None:
                self._host = hosts[0]
        chunked = False
        length = None
        lengths = headers.getall(_CONTENT_LENGTH, None)
        codings = headers.getall(_TRANSFER_ENCODING, None)
        if codings is not None:
            if version == _V10:
                raise ProtocolError(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            if lengths is not None:
                raise ProtocolError(400, "Content-Length and Transfer-Encoding both present")
            require_chunked(codings)
            chunked = True
        elif lengths is not None:
            length = content_length(lengths)
        options = headers.getall(_CONNECTION, None)
        flags = 0 if options is None else connection_options(options)
        if version == _V11:
            keep_alive = not flags & CLOSE
        else:
            keep_alive = flags & (CLOSE | KEEP_ALIVE) == KEEP_ALIVE
        upgrade = bool(flags & UPGRADE) and _UPGRADE in headers
        expect = headers.get(_EXPECT)
        return CIMultiDictProxy(headers), keep_alive, chunked, length, upgrade, expect

    def request_line(self, line: bytes) -> tuple[str, str, tuple[int, int]]:
        """Return method, target and version of a complete request line, or raise."""
        if line == self._line:
            # A keep-alive client asking for the same thing again (polling,
            # health checks, load generators): what the line says depends only
            # on its bytes, so the last reading is reused. GET / through
            # bench/inproc.py --instructions (issue 17): 63.2k -> 58.0k
            # compiled, 90.0k -> 83.6k pure.
            return self._line_read
        if len(line) > self._max_line:
            raise ProtocolError(414, f"request line longer than {self._max_line} bytes")
        m = REQUEST_LINE.fullmatch(line)
        if m is None:
            raise explain_request_line(line)
        method_b, target_b, version_b = m.groups()
        version = _VERSIONS.get(version_b)
        if version is None:
            if version_b[0] != 49:  # b"1": other majors are another protocol
                raise explain_version(b"HTTP/" + version_b)
            version = _V11  # RFC 9110 §6.2: serve a higher 1.x minor as 1.1
        method = _METHODS.get(method_b) or method_b.decode("ascii")
        target = target_b.decode("ascii")
        if target_b[0] != 47 or method == "CONNECT":  # 47 is '/': origin-form
            check_target(method, target)
        read = method, target, version
        self._line, self._line_read = line, read
        return read

    def first_defect(
        self, buf: bytes | bytearray, start: int, stop: int, clean_to: int, line_ok: bool
    ) -> ProtocolError | None:
        """Return the defect of the head in ``buf[start:stop]`` a byte-wise feed meets first.

        ``buf[start:clean_to]`` is known to hold no bare CR or LF; ``line_ok``
        says the request line was already found valid. Each candidate is ranked
        by how many bytes must have arrived to see it; ties go to the earlier check.
        """
        found: list[tuple[int, ProtocolError]] = []
        if buf[start] != 13 and TOKEN_START.match(buf, start) is None:
            # Only the first byte: what follows it depends on how much arrived.
            quote = excerpt(bytes(buf[start : start + 1]))
            found.append((1, ProtocolError(400, f"invalid start of request {quote}")))
        m = LONE_CR_LF.search(buf, clean_to, stop)
        if m is not None:
            at = m.start() - start
            if buf[m.start()] == 13:
                found.append((at + 2, ProtocolError(400, "bare CR in request head")))
            else:
                found.append((at + 1, ProtocolError(400, "bare LF in request head")))
        eol = buf.find(b"\r\n", start, stop)
        line_end = stop if eol == -1 else eol
        # + 1: while the line is incomplete, its last byte may be the CR of CRLF.
        if line_end - start > self._max_line + (eol == -1):
            message = f"request line longer than {self._max_line} bytes"
            found.append((self._max_line + 2, ProtocolError(414, message)))
        elif eol != -1 and not line_ok:
            try:
                self.request_line(bytes(buf[start:eol]))
            except ProtocolError as exc:
                found.append((eol - start + 2, exc))
        if stop - start > self._max_head:
            message = f"request head larger than {self._max_head} bytes"
            found.append((self._max_head + 1, ProtocolError(431, message)))
        if not found:
            return None
        return min(found, key=lambda pair: pair[0])[1]  # min() keeps the first of equals
