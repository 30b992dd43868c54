"""Registered paths: encoding their literal text and parsing ``{variable}`` patterns.

Everything here runs when a route is registered, never per request.

Invariants:

* Routes match the *percent-encoded* path (the spec's ``request.raw_path``),
  in the normal form ``jackfield.plugins.routing._requestpath`` gives request
  paths: escapes in upper case, unreserved characters (RFC 3986 §2.3) never
  escaped. Literal text of a registered path is brought to that same form, so
  ``/café``, ``/caf%C3%A9`` and ``/caf%c3%a9`` are one path.
* A variable's regex is the user's, unchanged, wrapped in a named group; it is
  checked for what would break once several patterns are compiled together
  (named groups, back-references, global flags) and refused with a
  ``ValueError`` that names the route.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple
from urllib.parse import quote

__all__ = ["DEFAULT_VARIABLE_REGEX", "ParsedPattern", "encode_literal", "parse_pattern"]

#: What ``{name}`` matches: one path segment, any characters but braces and '/'.
DEFAULT_VARIABLE_REGEX = "[^{}/]+"

# RFC 3986 §3.3: characters a path may carry unescaped ('%' handled apart).
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def normal_escape(escape: str) -> str:
    """Return ``%xx`` in normal form: the character if unreserved, else upper-case hex."""
    char = chr(int(escape[1:], 16))
    return char if char in _UNRESERVED else escape.upper()


def encode_literal(text: str) -> str:
    """Return ``text`` as it appears in a normalized, percent-encoded path.

    Valid escapes are kept (normalized); everything a path may not carry is
    escaped as UTF-8, including a ``%`` that does not start an escape.
    """
    out: list[str] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        out.append(quote(text[pos : m.start()], safe=_PATH_SAFE))
        out.append(normal_escape(m.group()))
        pos = m.end()
    out.append(quote(text[pos:], safe=_PATH_SAFE))
    return "".join(out)


class ParsedPattern(NamedTuple):
    """A registered path split into literal text and variables.

    ``parts`` alternates: a str is encoded literal text, a ``(name, regex)``
    tuple is a variable. ``names`` lists the variables in order.
    """

    parts: tuple[str | tuple[str, str], ...]
    names: tuple[str, ...]

    @property
    def is_plain(self) -> bool:
        """True if the path has no variables."""
        return not self.names


def parse_pattern(path: str, route: str) -> ParsedPattern:
    """Split ``path`` into literal text and ``{name}``/``{name:regex}`` variables.

    ``route`` names the route in error messages. Raises ValueError for
    unbalanced braces, a bad or repeated variable name, or an unusable regex.
    """
    parts: list[str | tuple[str, str]] = []
    names: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "}":
            raise ValueError(
                f"{route}: '}}' at position {i} of {path!r} closes no variable; "
                "variables look like {name} or {name:regex}"
            )
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = _variable_end(path, i, route)
        name, sep, regex = path[i + 1 : end].partition(":")
        _check_name(name, names, path, route)
        if not sep:
            regex = DEFAULT_VARIABLE_REGEX
        _check_regex(name, regex, path, route)
        parts.append(encode_literal("".join(literal)))
        literal = []
        parts.append((name, regex))
        names.append(name)
        i = end + 1
    parts.append(encode_literal("".join(literal)))
    return ParsedPattern(tuple(p for p in parts if p != ""), tuple(names))


def _variable_end(path: str, start: int, route: str) -> int:
    """Return the index of the '}' closing the variable opened at ``start``.

    Braces inside the regex (``\\d{2}``) nest; braces that are escaped or sit
    in a character class (``[^{}]``) do not count.
    """
    depth = 0
    in_class = False
    i = start + 1
    while i < len(path):
        ch = path[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if path[i + 1 : i + 2] == "^":
                i += 1
            if path[i + 1 : i + 2] == "]":  # ']' first in a class is literal
                i += 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise ValueError(
        f"{route}: the variable opened at position {start} of {path!r} is never closed; "
        "add the missing '}'"
    )


def _check_name(name: str, seen: list[str], path: str, route: str) -> None:
    if not name.isidentifier():
        raise ValueError(
            f"{route}: variable name {name!r} in {path!r} is not a Python identifier; "
            "use letters, digits and underscores, as in {user_id}"
        )
    if name in seen:
        raise ValueError(
            f"{route}: variable {name!r} appears twice in {path!r}; give each part its own name"
        )


# Back-references (\1, (?P=x)) and conditionals ((?(1)...)) refer to group
# numbers, which shift once patterns are compiled together.
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _check_regex(name: str, regex: str, path: str, route: str) -> None:
    where = f"{route}: the regex {regex!r} of variable {name!r} in {path!r}"
    if not regex:
        raise ValueError(f"{where} is empty; leave out ':' to use the default {{{name}}}")
    if _GROUP_REFERENCE.search(regex):
        raise ValueError(
            f"{where} uses a back-reference or conditional group, which routes do not support"
        )
    if _closes_outer_group(regex):
        raise ValueError(f"{where} has a ')' that closes no group; balance its parentheses")
    try:
        with warnings.catch_warnings():
            # Python 3.10 only warns about flags not at the start; they would
            # apply to every route compiled alongside, so they are an error.
            warnings.simplefilter("error")
            compiled = re.compile(f"x(?:{regex})")
    except (re.error, DeprecationWarning) as exc:
        raise ValueError(f"{where} is not a valid regular expression: {exc}") from None
    if compiled.groupindex:
        raise ValueError(
            f"{where} defines named groups ({', '.join(compiled.groupindex)}); "
            "use non-capturing groups (?:...) inside a variable"
        )


def _closes_outer_group(regex: str) -> bool:
    """True if a ')' in ``regex`` would close a group opened outside it (``a)|(b``)."""
    depth = 0
    in_class = False
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if regex[i + 1 : i + 2] == "^":
                i += 1
            if regex[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True
        i += 1
    return False
