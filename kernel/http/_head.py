"""Request heads: a complete head becomes a ``RequestHead``; an incomplete one is vetted.

``HeadReader.read_common`` is the server's hot path. The head is split once; the
request line and the whole field section are each checked by one compiled
pattern; names and values are decoded as latin-1 into a ``CIMultiDict``; the
few fields that decide framing and persistence are then looked up by name.
A head whose field section is byte for byte the one of the last head it
accepted (a keep-alive client repeating its headers) reuses that head's
read-only headers, and only its request line is checked.
A head it declines (a body, an upgrade, any defect) goes to ``read_any``,
which decides exactly; the parser calls the two in that order.

``HeadReader.first_defect`` serves the other goal: the same bytes must fail the
same way however they are split. It names, among the defects that can be seen
before a head is complete (an overlong line or head, a bare CR or LF, a bad
request line), the one a byte-at-a-time feed would meet first. The parser asks
it about every incomplete head, and about a complete head that ``read_any``
rejected, so both paths agree when a request has several defects.
"""

from __future__ import annotations

import re
from typing import Final

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
    _FIELD_LINE,
    _TOKEN,
    FIELD_SECTION,
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

# Field names as istr: a case-insensitive lookup then needs no lower-casing (hot path).
_CONTENT_LENGTH: Final = istr("content-length")
_TRANSFER_ENCODING: Final = istr("transfer-encoding")
_EXPECT: Final = istr("expect")
_UPGRADE: Final = istr("upgrade")
_HOST: Final = istr("host")
_CONNECTION: Final = istr("connection")
_new_head: Final = tuple.__new__

__all__ = ["HeadReader"]

# Shared, so a request allocates no version tuple and no common method string.
_V10: Final = (1, 0)
_V11: Final = (1, 1)
_VERSIONS: Final = {b"1.1": _V11, b"1.0": _V10}
# The hot path's request line: an origin-form target and HTTP/1.0 or 1.1 (not
# CONNECT, whose target is authority-form). Groups: method, target, minor version.
_COMMON_LINE_PATTERN: Final = rb"(?!CONNECT )(" + _TOKEN + rb") (/[\x21-\x7e]*) HTTP/1\.([01])"
# The whole head in one pattern: that line, then one or more field lines.
_COMMON_HEAD: Final = re.compile(
    (_COMMON_LINE_PATTERN + rb"(?:\r\n" + _FIELD_LINE + rb")+").decode("latin-1")
)
# The line alone, for a head whose field section repeats the last one (bytes,
# matched in place).
_COMMON_LINE: Final = re.compile(_COMMON_LINE_PATTERN)
# Larger field sections are not remembered: an idle connection would keep
# their decoded headers alive (up to max_headers_size) for a rare gain.
_MAX_REMEMBERED: Final = 8192
_METHOD_NAMES: Final = {
    m: m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")
}
_METHODS: Final = {
    m.encode(): m
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
}


class HeadReader:
    """Reads request heads under one set of ``Limits``; keeps the last valid Host."""

    __slots__ = (
        "_fields",
        "_fields_headers",
        "_fields_keep_alive",
        "_fields_version",
        "_host",
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
        # The field section of the last head read_common accepted, and what it
        # gave: a keep-alive client usually sends the same one again.
        # Until a head is accepted, no version is ``_fields_version``.
        self._fields = b""
        self._fields_headers: CIMultiDictProxy[str] | None = None
        self._fields_version: tuple[int, int] | None = None
        self._fields_keep_alive = False

    def read_common(self, head: bytes) -> RequestHead | None:
        """The hot path: origin-form target, HTTP/1.0 or 1.1, no framing headers.

        Decodes once and splits once. Anything else (a body, an upgrade, an
        expectation, any defect) returns ``None`` and goes to ``read_any``,
        which decides exactly, so both paths accept and reject the same bytes.
        """
        if len(head) + 4 > self._max_head:
            return None
        fields = self._fields
        if head.endswith(fields):
            # The same field section as the last accepted head: the same bytes
            # under the same limits and version pass the same checks and decode
            # to the same (read-only) headers, so only the request line is
            # left to check. Saves most of this method for a client that
            # repeats its headers, as API clients and load generators do.
            line_end = len(head) - len(fields) - 2
            if line_end <= self._max_line and head.startswith(b"\r\n", line_end):
                # The line's pattern has no CR or LF: this CRLF is the first one.
                line = _COMMON_LINE.fullmatch(head, 0, line_end)
                if line is not None:
                    method_b, target_b, minor_b = line.groups()
                    version = _V11 if minor_b == b"1" else _V10
                    if version == self._fields_version:
                        method = _METHODS.get(method_b) or method_b.decode("latin-1")
                        return _new_head(
                            RequestHead,
                            (
                                method,
                                target_b.decode("latin-1"),
                                version,
                                self._fields_headers,
                                fields,
                                self._fields_keep_alive,
                                False,
                                None,
                                False,
                                None,
                            ),
                        )
        text = head.decode("latin-1")
        m = _COMMON_HEAD.fullmatch(text)
        if m is None:
            return None
        fields_at = m.end(3) + 2  # the request line and its CRLF
        if fields_at - 2 > self._max_line:
            return None
        lines = text[fields_at:].split("\r\n")
        if len(lines) > self._max_count:
            return None
        # No line can be too long if all of them together are short enough.
        if len(text) - fields_at > self._max_field and max(map(len, lines)) > self._max_field:
            return None
        headers: CIMultiDict[str] = CIMultiDict()
        add = headers.add
        for field in lines:
            name, _, value = field.partition(":")
            add(name, value.strip(" \t"))
        # Hash lookups, not a scan of the text: constant in the head's size.
        if (
            _CONTENT_LENGTH in headers
            or _TRANSFER_ENCODING in headers
            or _EXPECT in headers
            or _UPGRADE in headers
        ):
            return None
        method, target, minor = m.groups()
        version = _V11 if minor == "1" else _V10
        hosts = headers.getall(_HOST, None)
        if hosts is None or len(hosts) != 1 or hosts[0] != self._host:
            check_host(hosts, version)
            if hosts is not None:
                self._host = hosts[0]
        options = headers.getall(_CONNECTION, None)
        if options is not None:
            flags = connection_options(options)
            if flags & UPGRADE:
                return None
            if version == _V11:
                keep_alive = not flags & CLOSE
            else:
                keep_alive = flags & (CLOSE | KEEP_ALIVE) == KEEP_ALIVE
        else:
            keep_alive = version == _V11
        proxy = CIMultiDictProxy(headers)
        fields = head[fields_at:]
        if len(fields) <= _MAX_REMEMBERED:
            self._fields, self._fields_headers = fields, proxy
            self._fields_version, self._fields_keep_alive = version, keep_alive
        # tuple.__new__ directly: a NamedTuple's own __new__ is a Python
        # function, which costs as much again (bench/, issue 2).
        return _new_head(
            RequestHead,
            (
                _METHOD_NAMES.get(method, method),
                target,
                version,
                proxy,
                fields,
                keep_alive,
                False,
                None,
                False,
                None,
            ),
        )

    def read_any(self, head: bytes) -> RequestHead:
        """Read any head exactly, raising the right ``ProtocolError`` for a defect."""
        lines = head.split(b"\r\n")
        line = lines[0]
        method, target, version = self.request_line(line)
        if len(head) + 4 > self._max_head:
            raise ProtocolError(431, f"request head larger than {self._max_head} bytes")
        del lines[0]
        raw: list[tuple[bytes, bytes]] = []
        if lines:
            if len(lines) > self._max_count:
                raise ProtocolError(431, f"more than {self._max_count} header fields")
            # No single line can be too long if all of them together are short enough.
            if len(head) - len(line) > self._max_field and max(map(len, lines)) > self._max_field:
                raise ProtocolError(431, f"a header line is longer than {self._max_field} bytes")
            if FIELD_SECTION.fullmatch(head, len(line) + 2) is None:
                raise explain_field_lines(lines)
            pairs = []
            for field in lines:
                name, _, value = field.partition(b":")
                value = value.strip(b" \t")
                raw.append((name, value))
                pairs.append((name.decode("latin-1"), value.decode("latin-1")))
            headers = CIMultiDict(pairs)
        else:
            headers = CIMultiDict()

        hosts = headers.getall("host", None)
        # A connection sends the same Host every time: remember the last valid one.
        if hosts is None or len(hosts) != 1 or hosts[0] != self._host:
            check_host(hosts, version)
            if hosts is not None:
                self._host = hosts[0]
        chunked = False
        length = None
        lengths = headers.getall("content-length", None)
        codings = headers.getall("transfer-encoding", None)
        if codings is not None:
            if version == _V10:
                raise ProtocolError(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            if lengths is not None:
                raise ProtocolError(400, "Content-Length and Transfer-Encoding both present")
            require_chunked(codings)
            chunked = True
        elif lengths is not None:
            length = content_length(lengths)
        options = headers.getall("connection", None)
        flags = 0 if options is None else connection_options(options)
        if version == _V11:
            keep_alive = not flags & CLOSE
        else:
            keep_alive = flags & (CLOSE | KEEP_ALIVE) == KEEP_ALIVE
        return RequestHead(
            method,
            target,
            version,
            CIMultiDictProxy(headers),
            head[len(line) + 2 :] if raw else b"",
            keep_alive,
            chunked,
            length,
            bool(flags & UPGRADE) and "upgrade" in headers,
            headers.get("expect"),
        )

    def request_line(self, line: bytes) -> tuple[str, str, tuple[int, int]]:
        """Return method, target and version of a complete request line, or raise."""
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
        return method, target, version

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
