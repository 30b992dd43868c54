"""The request path routes are matched against, and the paths that are refused.

Runs once per request, at the root router, before any lookup. A path with no
``%``, no ``/.`` and no backslash is used as it is (the common case costs
three ``in`` tests);
otherwise it is brought to the normal form registered paths use (see
``_pattern``) and checked:

* an invalid escape (``%zz``, ``%4``), an escape of NUL (``%00``) or escapes
  that do not decode as UTF-8 (``%ff``) -> 400 Bad Request;
* a ``.`` or ``..`` segment, written plainly or escaped (``%2e%2e``) -> 404:
  clients resolve dot segments before sending (RFC 3986 §5.2.4), so such a
  path names no route, and no handler ever sees one. Segments are cut at
  slashes and backslashes of the *decoded* path, so ``..%2Fsecret`` and
  ``%2e%2e%5Cx`` count too: a handler decoding a ``{tail:.*}`` variable would
  otherwise get ``../secret`` (issue 19), and Windows file APIs take a
  backslash for a slash.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from ._pattern import normal_escape

__all__ = ["BAD_REQUEST", "NOT_FOUND", "routable_path"]

BAD_REQUEST = 400
NOT_FOUND = 404

_ANY_ESCAPE = re.compile(r"%(?:[0-9A-Fa-f]{2})?")
_DOT_SEGMENT = re.compile(r"(?:^|[/\\])\.\.?(?:[/\\]|$)")


class _InvalidEscapeError(Exception):
    pass


def _normalize(m: re.Match[str]) -> str:
    escape = m.group()
    if len(escape) != 3:
        raise _InvalidEscapeError
    return normal_escape(escape)


def routable_path(raw_path: str) -> str | int:
    """Return the normalized ``raw_path``, or the status (400/404) to answer instead."""
    path = raw_path
    if "%" in path:
        try:
            path = _ANY_ESCAPE.sub(_normalize, path)
        except _InvalidEscapeError:
            return BAD_REQUEST
        if "%00" in path:
            return BAD_REQUEST
        try:
            decoded = unquote_to_bytes(path).decode("utf-8")
        except UnicodeDecodeError:
            return BAD_REQUEST
        if _DOT_SEGMENT.search(decoded):
            return NOT_FOUND
    elif ("/." in path or "\\" in path) and _DOT_SEGMENT.search(path):
        return NOT_FOUND
    return path
