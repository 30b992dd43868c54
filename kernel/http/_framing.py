"""Header fields that decide how a request is framed and whether the connection persists.

RFC 9112 §6 (Content-Length, Transfer-Encoding), §9.3 (Connection) and §3.2
(Host). Each function takes the decoded values of every field line with that
name (``CIMultiDict.getall``), already stripped of OWS, and either returns what
the parser needs or raises ``ProtocolError``. Anything that could be read two
ways (duplicated lengths that disagree, a length next to a transfer coding) is
rejected rather than guessed, because a proxy in front of us may have guessed
differently (request smuggling).
"""

from __future__ import annotations

from typing import Final

from ._grammar import EXCERPT, HOST, TOKEN_STR
from .events import ProtocolError

# 18 decimal digits always fit in a signed 64-bit integer (what other hops use).
MAX_LENGTH_DIGITS: Final = 18

# flags returned by connection_options()
CLOSE: Final = 1
KEEP_ALIVE: Final = 2
UPGRADE: Final = 4

# The values nearly every client sends, so the common case is one dict lookup.
_COMMON_CONNECTION: Final[dict[str, int]] = {
    "keep-alive": KEEP_ALIVE,
    "Keep-Alive": KEEP_ALIVE,
    "close": CLOSE,
    "Close": CLOSE,
    "Upgrade": UPGRADE,
    "upgrade": UPGRADE,
    "keep-alive, Upgrade": KEEP_ALIVE | UPGRADE,
    "Keep-Alive, Upgrade": KEEP_ALIVE | UPGRADE,
}
_OPTION_FLAGS: Final = {"close": CLOSE, "keep-alive": KEEP_ALIVE, "upgrade": UPGRADE}


def _quote(value: str) -> str:
    return repr(value if len(value) <= EXCERPT else value[:EXCERPT] + "...")


def content_length(values: list[str]) -> int:
    """Return the body length the Content-Length field lines declare.

    Repeats of the same value (as separate lines or as ``5, 5``) are accepted,
    as RFC 9110 §8.6 allows; anything else that is not plain decimal digits is
    a 400.
    """
    if len(values) == 1:
        value = values[0]
        # isdecimal() on latin-1 text is exactly [0-9]+ (no sign, space, '²').
        if value.isdecimal() and len(value) <= MAX_LENGTH_DIGITS:
            return int(value)
    found: int | None = None
    for line in values:
        for item in line.split(","):
            item = item.strip(" \t")
            if not item.isdecimal():
                raise ProtocolError(400, f"invalid Content-Length {_quote(line)}")
            if len(item.lstrip("0")) > MAX_LENGTH_DIGITS:
                raise ProtocolError(400, f"Content-Length too large: {_quote(item)}")
            number = int(item)
            if found is not None and number != found:
                raise ProtocolError(400, f"conflicting Content-Length values {_quote(line)}")
            found = number
    if found is None:  # pragma: no cover - getall never returns an empty list
        raise ProtocolError(400, "empty Content-Length")
    return found


def require_chunked(values: list[str]) -> None:
    """Check Transfer-Encoding: the only coding we accept is a single final ``chunked``.

    RFC 9112 §6.3: if chunked is not the final coding the length cannot be
    known (400); §6.1: a coding we do not implement (gzip, ...) is a 501.
    """
    if len(values) == 1 and values[0].lower() == "chunked":
        return
    codings: list[str] = []
    for line in values:
        for item in line.split(","):
            name, semicolon, _ = item.partition(";")
            name = name.strip(" \t").lower()
            if not name and not semicolon:
                continue  # RFC 9110 §5.6.1: empty list elements are ignored
            if not TOKEN_STR.fullmatch(name):
                raise ProtocolError(400, f"invalid Transfer-Encoding {_quote(line)}")
            if name == "chunked" and semicolon:
                raise ProtocolError(400, f"chunked takes no parameters: {_quote(line)}")
            codings.append(name)
    if not codings or codings[-1] != "chunked":
        raise ProtocolError(
            400, f"Transfer-Encoding must end with chunked, got {_quote(', '.join(values))}"
        )
    if codings.count("chunked") > 1:
        raise ProtocolError(400, "chunked applied more than once in Transfer-Encoding")
    for coding in codings:
        if coding != "chunked":
            raise ProtocolError(501, f"transfer coding {_quote(coding)} is not supported")


def connection_options(values: list[str]) -> int:
    """Return CLOSE | KEEP_ALIVE | UPGRADE flags for the Connection field lines."""
    if len(values) == 1:
        flags = _COMMON_CONNECTION.get(values[0])
        if flags is not None:
            return flags
    flags = 0
    for line in values:
        for item in line.split(","):
            flags |= _OPTION_FLAGS.get(item.strip(" \t").lower(), 0)
    return flags


def check_host(values: list[str] | None, version: tuple[int, int]) -> None:
    """Check RFC 9112 §3.2: HTTP/1.1 needs exactly one Host, and any Host must be valid."""
    if values is None:
        if version == (1, 0):
            return
        raise ProtocolError(400, "missing Host header (required in HTTP/1.1)")
    if len(values) > 1:
        raise ProtocolError(400, "more than one Host header")
    if not HOST.fullmatch(values[0]):
        raise ProtocolError(400, f"invalid Host header {_quote(values[0])}")
