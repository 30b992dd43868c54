"""A response's head as bytes: ``encode_head``, the one place a response head is built.

``StreamResponse._start`` decides the framing and the persistence, then calls
``encode_head`` with what it decided; this module knows nothing of response
objects, so a compiled build compiles it (``kernel/_extensions.py``) while
``StreamResponse`` stays a plain class users subclass.

The head is: the status line (always ``HTTP/1.1``: RFC 9110 §2.5, answer with
the highest version we conform to; the framing follows the request's version),
the response's fields, its cookies as ``Set-Cookie`` lines, then the fields the
server adds: ``Connection`` when the version's default does not hold, ``Date``
and ``Server`` unless the response set them.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any, Final

from multidict import CIMultiDict, istr

from ..http import http_date, serialize_head, status_line

__all__ = ["encode_head", "implied_fields"]

_CONTENT_TYPE: Final = istr("Content-Type")
_CONTENT_LENGTH: Final = istr("Content-Length")
_CONNECTION: Final = istr("Connection")
_SET_COOKIE: Final = istr("Set-Cookie")
_DATE: Final = istr("Date")
_SERVER: Final = istr("Server")

# (status, reason, Content-Type) -> the checked status line and Content-Type
# field up to the Content-Length value, for heads with only those two fields;
# None when the Content-Type is unusual (the general path checks it).
_head_starts: dict[tuple[int, str, str], bytes | None] = {}
_MAX_HEAD_STARTS: Final = 256

# (prefix, length, Date value, Server value, the head they make): the last
# head the special case built, which a run of equal answers reuses.
_last_head: tuple[bytes, int, str, str | None, bytes] = (b"", -1, "", None, b"")


def implied_fields(ctype: str | None, length: int | None) -> list[tuple[str, str]]:
    """The fields of a response made without ``headers=``: its Content-Type and length."""
    fields: list[tuple[str, str]] = []
    if ctype is not None:
        fields.append((_CONTENT_TYPE, ctype))
    if length is not None:
        fields.append((_CONTENT_LENGTH, str(length)))
    return fields


def encode_head(
    version: tuple[int, int],
    status: int,
    reason: str,
    keep_alive: bool,
    server: str | None,
    length: int | None,
    headers: CIMultiDict[str] | None,
    ctype: str | None,
    cookies: SimpleCookie | None,
) -> bytes:
    """The response head as bytes.

    ``length`` is the Content-Length the head declares (``None``: none);
    ``headers`` the response's header dict, or ``None`` for a response made
    without one, whose fields are only ``ctype`` and ``length``
    (``implied_fields``). ``server`` is the ``Server`` value (``None``: no
    such field). Raises ``ValueError`` naming a header that cannot go on the
    wire (``serialize_head``).

    Special case, measured: a head whose only fields are Content-Type and
    Content-Length (most small answers) is a cached, checked prefix, the
    length and the Date/Server lines; the last such head is reused while none
    of them changes. That costs 0.15 µs instead of 1.1 µs (bench/inproc.py,
    issue 17).
    """
    if length is not None and keep_alive and version >= (1, 1) and cookies is None:
        only: str | None
        if headers is None:
            only = ctype
        elif len(headers) == 2 and _CONTENT_LENGTH in headers:
            only = headers.get(_CONTENT_TYPE)
        else:
            only = None
        if only is not None:
            key = (status, reason, only)
            start = _head_starts.get(key, b"")  # b"" is never a start: not made yet
            if start == b"":
                start = _head_start(key)
            if start is not None:
                return _with_length(start, length, server)
    if headers is None:
        fields: Any = implied_fields(ctype, length)
        has_date = has_server = False
    else:
        fields = headers.items()
        has_date = _DATE in headers
        has_server = _SERVER in headers
    if cookies:
        fields = [*fields, *((_SET_COOKIE, m.OutputString()) for m in cookies.values())]
    if headers is not None and _CONNECTION in headers:
        tail = ""
    elif version >= (1, 1):
        tail = "" if keep_alive else "Connection: close\r\n"
    else:
        tail = "Connection: keep-alive\r\n" if keep_alive else ""
    if not has_date:
        tail += f"Date: {http_date()}\r\n"
    if server is not None and not has_server:
        tail += f"Server: {server}\r\n"
    return serialize_head((1, 1), status, reason, fields, tail)


def _with_length(start: bytes, length: int, server: str | None) -> bytes:
    """``start``, the length, then the Date and Server lines: the last such head if equal."""
    global _last_head
    date = http_date()  # the same str object all through one second
    last = _last_head
    if last[0] is start and last[1] == length and last[2] is date and last[3] == server:
        return last[4]
    end = f"Date: {date}\r\n" if server is None else f"Date: {date}\r\nServer: {server}\r\n"
    head = b"%b%d\r\n%b\r\n" % (start, length, end.encode("latin-1"))
    _last_head = (start, length, date, server, head)
    return head


def _head_start(key: tuple[int, str, str]) -> bytes | None:
    """Make (and remember, up to a bound) the head start for ``key``; None: an unusual type."""
    status, reason, ctype = key
    encoded = None
    if ctype.isascii() and ctype.isprintable():
        start = f"{status_line((1, 1), status, reason)}Content-Type: {ctype}\r\nContent-Length: "
        encoded = start.encode("latin-1")
    if len(_head_starts) < _MAX_HEAD_STARTS:
        _head_starts[key] = encoded
    return encoded
