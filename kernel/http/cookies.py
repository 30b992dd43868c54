"""The ``Cookie`` request header, read the way browsers write it (RFC 6265 §5.4).

A browser sends ``name=value`` pairs joined by ``"; "``. Each pair stands on
its own: one that is malformed (no ``=``, a name that is not a token, a control
character, a stray ``;``) is skipped, and never costs the pairs after it —
otherwise anyone able to set one odd cookie on a parent domain could log users
out of a site (issue 19). ``http.cookies.SimpleCookie`` is a parser for
``Set-Cookie`` lines and stops at the first pair it dislikes, so it is not used.

When a name comes twice the first one wins: browsers list cookies with longer
paths first (RFC 6265 §5.4, step 2), so the first is the one set for the most
specific path, not one planted from a parent path or domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["parse_cookies"]

# RFC 9110 §5.6.2 token characters.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Control characters other than HTAB never appear in a value a browser stores.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# The escapes Python's SimpleCookie writes into a quoted value (\" \\ and \ooo
# octal), so a value set by ``Response.set_cookie`` reads back the same.
_ESCAPE = re.compile(r"\\(?:([0-3][0-7]{2})|(.))", re.S)


def _unescape(match: re.Match[str]) -> str:
    octal, char = match.groups()
    return chr(int(octal, 8)) if octal else char


def parse_cookies(headers: Iterable[str], into: dict[str, str]) -> None:
    """Add the well-formed ``name=value`` pairs of ``Cookie`` header values to ``into``.

    Names already in ``into`` are kept (the first one wins). Malformed pairs
    are skipped. A value in double quotes loses them and its escapes.
    """
    for header in headers:
        for pair in header.split(";"):
            name, eq, value = pair.partition("=")
            if not eq:
                continue
            name = name.strip(" \t")
            if name in into or not _NAME.fullmatch(name):
                continue
            value = value.strip(" \t")
            if _CONTROL.search(value):
                continue
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = _ESCAPE.sub(_unescape, value[1:-1])
            into[name] = value
