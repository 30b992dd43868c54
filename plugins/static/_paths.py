"""From the raw request path under a static prefix to names inside the root, or a refusal.

This module is the static plugin's own line of defence against traversal:
whatever the router did to the path before (it refuses dot segments and
``%00`` today), a path is turned into names here from the *raw*,
percent-encoded text, and every name is checked on its own. Files are
then reached by joining those names to the root, never by comparing
strings, so a sibling such as ``/www-private`` next to ``/www`` cannot match.

Refused (the resource answers 404, the same as a missing file, so a
client cannot tell a file outside the root from an absent one):

* bad escapes (``%zz``, ``%4``) and escapes that are not UTF-8;
* NUL and other control characters, plain or escaped;
* ``/`` or ``\\`` inside a name (``%2f``, ``%5c``, a plain backslash):
  another separator, on some systems, than the one we split on;
* ``.`` and ``..`` names, plain or escaped, and empty names (``a//b``);
* a first name like a Windows drive (``C:``) and names ending in a dot
  or a space (Windows drops those, making ``x.`` the file ``x``);
* more than ``MAX_DEPTH`` names or more than ``MAX_NAME`` bytes in one.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["MAX_DEPTH", "MAX_NAME", "split_names"]

#: More names than this in one request path: refused (no real tree is this deep).
MAX_DEPTH = 32
#: Longest name in bytes (UTF-8); most file systems stop at 255.
MAX_NAME = 255

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Control characters (C0, DEL, C1) and both separators, after decoding.
_BAD_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f/\\]")
_DRIVE = re.compile(r"[A-Za-z]:")
# The common case, decided by one match: short, no escapes, every name starting with
# a letter, digit or '_' and ending with neither '.' nor ' '. Nothing it accepts can
# be a dot segment, a drive or an empty name; anything else takes the full checks.
_SIMPLE = re.compile(r"(?:/[A-Za-z0-9_][A-Za-z0-9_.~+-]*(?<!\.))+/?")


def split_names(tail: str) -> tuple[list[str], bool] | None:
    """Split the raw text after the prefix into decoded names; ``None`` to refuse.

    ``tail`` is what follows the prefix in the request's raw path, starting
    with ``/`` (or empty for the prefix itself). Returns the names and
    whether the path ended in ``/`` (a directory was asked for).
    """
    if not tail:
        return [], True
    if len(tail) <= MAX_NAME and _SIMPLE.fullmatch(tail) and tail.count("/") <= MAX_DEPTH:
        trailing = tail[-1] == "/"
        return (tail[1:-1] if trailing else tail[1:]).split("/"), trailing
    if tail[0] != "/" or _BAD_ESCAPE.search(tail):
        return None
    raw = tail[1:].split("/")
    trailing = raw[-1] == ""
    if trailing:
        raw.pop()
    if len(raw) > MAX_DEPTH:
        return None
    names: list[str] = []
    for piece in raw:
        if "%" in piece:
            try:
                name = unquote(piece, errors="strict")
            except UnicodeDecodeError:
                return None
        else:
            name = piece
        if not _acceptable(name):
            return None
        names.append(name)
    if names and _DRIVE.match(names[0]):
        return None
    return names, trailing


def _acceptable(name: str) -> bool:
    if name in ("", ".", "..") or _BAD_CHAR.search(name):
        return False
    if name[-1] in ". ":
        return False
    return len(name.encode("utf-8", "surrogatepass")) <= MAX_NAME
