"""RFC 9112 syntax for the request parser: compiled patterns and defect diagnosis.

The parser first only asks "does the whole thing match?" (one compiled
pattern per request line, one for the whole header section). When the answer is
no, the ``explain_*`` functions here walk the rejected bytes once more to name
the defect, so the error message can say what is wrong without slowing down
well-formed requests. Every ``explain_*`` returns a ``ProtocolError`` (the
caller raises it) and quotes at most ``EXCERPT`` bytes of the input.
``check_target`` holds the request-target form rules (RFC 9112 §3.2), which
only targets not starting with '/' (and CONNECT) ever reach.
"""

from __future__ import annotations

import re
from typing import Final

from .events import ProtocolError

EXCERPT: Final = 40

# RFC 9110 §5.6.2: tchar; '-' is escaped because it sits inside a class.
_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN = rb"[" + _TCHAR + rb"]+"
# RFC 9110 §5.5: field-value is VCHAR / obs-text with SP and HTAB inside; OWS
# around it is trimmed by the parser. CR, LF, NUL and other controls never match.
_FIELD_VALUE = rb"[\t\x20-\x7e\x80-\xff]*"
_FIELD_LINE = _TOKEN + rb":" + _FIELD_VALUE

REQUEST_LINE: Final = re.compile(_TOKEN.join((rb"(", rb") ([\x21-\x7e]+) HTTP/([0-9]\.[0-9])")))
"""method SP request-target SP HTTP-version; groups: method, target, "d.d"."""

FIELD_SECTION: Final = re.compile(_FIELD_LINE + rb"(?:\r\n" + _FIELD_LINE + rb")*")
"""One or more field lines joined by CRLF (no final CRLF); use with fullmatch."""

FIELD_SECTION_TEXT: Final = re.compile(FIELD_SECTION.pattern.decode("latin-1"))
"""``FIELD_SECTION`` for the same bytes decoded as latin-1 (one code point per byte)."""

TOKEN: Final = re.compile(_TOKEN)
TOKEN_STR: Final = re.compile(_TOKEN.decode("ascii"))
TOKEN_START: Final = re.compile(rb"[" + _TCHAR + rb"]")

_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
CHUNK_EXT: Final = re.compile(
    rb"(?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?)+"
)
"""RFC 9112 §7.1.1 chunk-ext, BWS included; use with fullmatch."""

LONE_CR_LF: Final = re.compile(rb"\r[^\n]|(?<!\r)\n")
"""A CR not followed by LF, or an LF without CR: RFC 9112 §2.2 says lines end in CRLF.

A CR at the very end does not match (its LF may still arrive). Used on incomplete
input so a client using bare LF gets a 400 instead of waiting for a limit."""

HEX: Final = re.compile(rb"[0-9A-Fa-f]+")
# More hex digits than this in a chunk size is a 400: 16 already reach 2**64.
MAX_CHUNK_SIZE_DIGITS: Final = 16

# RFC 3986 host [":" port], loosely: reg-name (with sub-delims and %-escapes)
# or a bracketed IP literal. No whitespace, '/', '@', '?', '#' or controls. The
# port, when there is one, is at most 65535: a bigger one would only fail later,
# in a handler building request.url (issue 19).
_PORT = r"(?:[0-9]{0,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
HOST: Final = re.compile(
    r"(?:\[[0-9A-Za-z:.%_~\-]+\]|[0-9A-Za-z\-._~!$&'()*+,;=%]*)(?::" + _PORT + ")?"
)

# absolute-form (RFC 9112 §3.2.2) as scheme "://" authority, then path or query.
ABSOLUTE_FORM: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]+)(?:[/?][\x21-\x7e]*)?")
# authority-form (RFC 9112 §3.2.3): host ":" port, CONNECT only.
AUTHORITY_FORM: Final = re.compile(
    r"(?:\[[0-9A-Za-z:.%_~\-]+\]|[0-9A-Za-z\-._~!$&'()*+,;=%]+):[0-9]+"
)


def excerpt(data: bytes) -> str:
    """Return a printable quote of at most ``EXCERPT`` bytes of ``data``."""
    if len(data) > EXCERPT:
        return repr(data[:EXCERPT])[:-1] + "...'"
    return repr(data)


def explain_request_line(line: bytes) -> ProtocolError:
    """Return the error naming what is wrong with a request line that did not match."""
    if b"\r" in line:
        return ProtocolError(400, f"bare CR in request line {excerpt(line)}")
    if b"\n" in line:
        return ProtocolError(400, f"bare LF in request line {excerpt(line)}")
    parts = line.split(b" ")
    if len(parts) > 3 or b"" in parts:
        return ProtocolError(400, f"request line needs single spaces: {excerpt(line)}")
    if len(parts) < 3:
        if len(parts) == 2 and TOKEN.fullmatch(parts[0]) and parts[1].startswith(b"/"):
            return ProtocolError(400, f"request line has no HTTP version: {excerpt(line)}")
        return ProtocolError(400, f"malformed request line {excerpt(line)}")
    method, target, version = parts
    if not TOKEN.fullmatch(method):
        return ProtocolError(400, f"invalid character in method {excerpt(method)}")
    if not re.fullmatch(rb"[\x21-\x7e]+", target):
        return ProtocolError(400, f"invalid character in request target {excerpt(target)}")
    return explain_version(version)


def explain_version(version: bytes) -> ProtocolError:
    """Return 505 for a well-formed version other than 1.x, else 400."""
    m = re.fullmatch(rb"HTTP/([0-9])\.[0-9]", version)
    if m is not None:
        return ProtocolError(505, f"HTTP version {excerpt(version)} is not supported; use HTTP/1.1")
    return ProtocolError(400, f"malformed HTTP version {excerpt(version)}")


def explain_field_lines(lines: list[bytes], what: str = "header") -> ProtocolError:
    """Return the error naming the first malformed line among field lines."""
    for line in lines:
        if b"\r" in line:
            return ProtocolError(400, f"bare CR in {what} line {excerpt(line)}")
        if b"\n" in line:
            return ProtocolError(400, f"bare LF in {what} line {excerpt(line)}")
        if line[:1] in (b" ", b"\t"):
            return ProtocolError(400, f"obsolete line folding in {what} section: {excerpt(line)}")
        name, colon, value = line.partition(b":")
        if not colon:
            return ProtocolError(400, f"{what} line without a colon: {excerpt(line)}")
        if not name:
            return ProtocolError(400, f"empty {what} name in {excerpt(line)}")
        if name[-1:] in (b" ", b"\t"):
            return ProtocolError(400, f"whitespace before colon in {what} {excerpt(name)}")
        if not TOKEN.fullmatch(name):
            return ProtocolError(400, f"invalid character in {what} name {excerpt(name)}")
        if b"\x00" in value:
            return ProtocolError(400, f"NUL in {what} {excerpt(name)} value")
        if not re.fullmatch(_FIELD_VALUE, value):
            return ProtocolError(400, f"control character in {what} {excerpt(name)} value")
    return ProtocolError(400, f"malformed {what} section")


def chunk_size_defect(data: bytes, complete: bool, max_ext: int) -> ProtocolError | None:
    """Return the defect of a chunk-size line a byte-at-a-time feed meets first, if any.

    ``data`` is the line with its CRLF when ``complete``, else what has arrived
    of it. Each defect is ranked by how many bytes of the line must have arrived
    to see it (ties go to the earlier check), and its reason quotes only those
    bytes, so the same line fails with the same status and words however it was
    split (issue 20). Without a defect, the line can still be completed
    (incomplete) or is a valid chunk-size line (complete).
    """
    stop = len(data) - 2 if complete else len(data)  # where the line's own bytes end
    found: list[tuple[int, ProtocolError]] = []
    m = LONE_CR_LF.search(data)
    if m is not None:
        at = m.start() + len(m.group())
        reason = f"chunk-size line does not end in CRLF: {excerpt(data[:at])}"
        found.append((at, ProtocolError(400, reason)))
    hex_digits = HEX.match(data, 0, stop)
    digits = 0 if hex_digits is None else hex_digits.end()
    if not digits:
        if stop and data[0] != 13:  # a CR may start the CRLF of an empty line
            found.append((1, ProtocolError(400, f"invalid chunk size {excerpt(data[:1])}")))
        elif complete:
            found.append(
                (2, ProtocolError(400, "empty chunk-size line: the chunk size is missing"))
            )
    elif digits > MAX_CHUNK_SIZE_DIGITS:
        message = f"chunk size has more than {MAX_CHUNK_SIZE_DIGITS} digits"
        found.append((MAX_CHUNK_SIZE_DIGITS + 1, ProtocolError(400, message)))
    else:
        # A CR at the end of incomplete input may still be the start of the CRLF.
        rest = stop - digits - (not complete and data.endswith(b"\r"))
        if rest > max_ext:
            message = f"chunk extension (what follows the chunk size) longer than {max_ext} bytes"
            found.append((digits + max_ext + 1, ProtocolError(400, message)))
        elif complete and digits < stop and CHUNK_EXT.fullmatch(data, digits, stop) is None:
            line = data[:stop]
            if not line[digits:].lstrip(b" \t").startswith(b";"):
                reason = f"invalid chunk size {excerpt(line)}"
            else:
                reason = f"invalid chunk extension {excerpt(line[digits:])}"
            found.append((stop + 2, ProtocolError(400, reason)))
    if not found:
        return None
    return min(found, key=lambda pair: pair[0])[1]  # min() keeps the first of equals


def check_target(method: str, target: str) -> None:
    """Raise unless the request-target form suits the method (RFC 9112 §3.2).

    Called only for CONNECT and for targets not starting with '/'.
    """
    if method == "CONNECT":
        if not AUTHORITY_FORM.fullmatch(target):
            raise ProtocolError(400, f"CONNECT needs a host:port target, got {target[:EXCERPT]!r}")
        return
    if target[0] == "/":
        return
    if target == "*":
        if method != "OPTIONS":
            raise ProtocolError(
                400, f"request target '*' is only allowed with OPTIONS, not {method[:EXCERPT]}"
            )
        return
    m = ABSOLUTE_FORM.fullmatch(target)
    if m is None or not HOST.fullmatch(m.group(1)):
        raise ProtocolError(400, f"invalid request target {target[:EXCERPT]!r}")
