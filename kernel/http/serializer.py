"""Response heads and chunked framing as bytes (RFC 9112 §4, §7.1).

``serialize_head`` builds the status line and the field lines as one string
and encodes it once. Response splitting is impossible by construction: every
field name must be a token and no value may hold CR, LF, NUL or another control
character but HTAB (RFC 9110 §5.5). To keep that cheap, names already seen valid
are remembered (a bounded set) and values are checked with one count of CR and
LF over the whole head (there must be exactly one of each per line we wrote)
and one search for the other controls. Only when that fails do we look for the
culprit.
Status lines are cached per (version, status, reason), also bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from .status import reason_phrase

__all__ = ["LAST_CHUNK", "body_allowed", "chunk", "serialize_head", "status_line"]

LAST_CHUNK: Final = b"0\r\n\r\n"
"""The last chunk and the empty trailer section that end a chunked body."""

_MAX_CACHED: Final = 512
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_REASON: Final = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
# RFC 9110 §5.5: field values hold no control character but HTAB (CR and LF are counted).
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NO_BODY_STATUSES: Final = frozenset((204, 304))

_status_lines: dict[tuple[tuple[int, int], int, str | None], str] = {}
_valid_names: set[str] = {
    "Accept-Ranges",
    "Allow",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "Date",
    "ETag",
    "Expires",
    "Keep-Alive",
    "Last-Modified",
    "Location",
    "Sec-WebSocket-Accept",
    "Server",
    "Set-Cookie",
    "Transfer-Encoding",
    "Upgrade",
    "Vary",
    "WWW-Authenticate",
}


def serialize_head(
    version: tuple[int, int],
    status: int,
    reason: str | None,
    headers: Iterable[tuple[str, str]],
    tail: str = "",
) -> bytes:
    """Return the status line, the field lines and the blank line, encoded as latin-1.

    ``reason=None`` uses the standard phrase. ``tail`` is a block of field lines
    the server itself made and already checked (``Date``, ``Server``), each
    ending in CRLF; it goes after ``headers``. Raises ``ValueError`` naming the
    header for a name that is not a token, a value with CR, LF, NUL or another
    control character but HTAB, or a value that latin-1 cannot encode.
    """
    parts: list[Any] = [status_line(version, status, reason)]
    names = _valid_names
    # Typed Any so a compiled build lets a wrong type through to the check
    # below, whose error names the header, instead of failing the unpacking.
    fields: Iterable[Any] = headers
    for name, value in fields:
        if name not in names:
            _check_name(name)
        parts += (name, ": ", value, "\r\n")
    parts.append("\r\n")
    lines = (len(parts) + 6) // 4  # status line + one per field + blank line
    try:
        text = "".join(parts)
    except TypeError:
        raise _explain_bad_value(parts) from None
    if text.count("\n") != lines or text.count("\r") != lines or _CONTROL.search(text):
        raise _explain_bad_value(parts)
    if tail:
        text = text[:-2] + tail + "\r\n"
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise _explain_bad_value(parts) from None


def status_line(version: tuple[int, int], status: int, reason: str | None) -> str:
    """Return ``HTTP/x.y <status> <reason>`` and its CRLF, checked and cached.

    ``reason=None`` uses the standard phrase. Raises ``ValueError`` for a
    status outside 100-999 or a reason with control characters.
    """
    key = (version, status, reason)
    line = _status_lines.get(key)
    if line is None:
        line = _make_status_line(version, status, reason)
        if len(_status_lines) < _MAX_CACHED:
            _status_lines[key] = line
    return line


def _make_status_line(version: tuple[int, int], status: int, reason: str | None) -> str:
    major, minor = version
    if type(status) is not int or not 100 <= status <= 999:
        raise ValueError(f"status must be an int from 100 to 999, got {status!r}")
    if reason is None:
        reason = reason_phrase(status)
    elif not _REASON.fullmatch(reason):
        raise ValueError(
            f"reason phrase {reason[:60]!r} holds a control character or non-latin-1 text; "
            "use printable text"
        )
    return f"HTTP/{major}.{minor} {status} {reason}\r\n"


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"header name must be a str, got {type(name).__name__}: {name!r}")
    if not _TOKEN.fullmatch(name):
        raise ValueError(
            f"invalid header name {name[:60]!r}: names are tokens (letters, digits and "
            "!#$%&'*+-.^_`|~, no spaces or colons)"
        )
    if len(_valid_names) < _MAX_CACHED:
        _valid_names.add(name)


def _explain_bad_value(parts: list[Any]) -> Exception:
    """Return the error for the first header whose value cannot go on the wire."""
    for i in range(1, len(parts) - 1, 4):
        name, value = parts[i], parts[i + 2]
        if not isinstance(value, str):
            return TypeError(f"value of header {name!r} must be a str, got {type(value).__name__}")
        for char, label in (("\r", "CR"), ("\n", "LF"), ("\x00", "NUL")):
            if char in value:
                return ValueError(
                    f"value of header {name!r} contains {label} (response splitting): "
                    f"{value[:60]!r}; remove line breaks and NUL from header values"
                )
        control = _CONTROL.search(value)
        if control is not None:
            return ValueError(
                f"value of header {name!r} contains the control character "
                f"{control.group()!r}: {value[:60]!r}; RFC 9110 §5.5 allows only HTAB"
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return ValueError(
                f"value of header {name!r} is not latin-1 text: {value[:60]!r}; "
                "percent-encode it or use RFC 8187 encoding"
            )
    return ValueError("malformed response head")  # pragma: no cover - found above


def chunk(data: bytes) -> bytes:
    """Return ``data`` framed as one chunk; empty data gives ``b""`` (it would end the body)."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def body_allowed(status: int, method: str) -> bool:
    """Return whether a response with ``status`` to ``method`` may carry a body.

    False for HEAD requests and for 1xx, 204 and 304 responses (RFC 9110 §6.4.1).
    """
    return not (method == "HEAD" or status < 200 or status in _NO_BODY_STATUSES)
