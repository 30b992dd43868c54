"""Header parameters (RFC 9110 §5.6.6), shared by requests, responses and multipart.

``parse_params("text/html; charset=UTF-8")`` gives ``("text/html",
{"charset": "UTF-8"})``: quoted strings are unquoted, ``name*`` values
(RFC 8187) are decoded, malformed pieces are skipped. Pure and dependency-free,
so every layer of the kernel may use it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["parse_params"]

# A parameter: ; name = token | quoted-string (RFC 9110 §5.6.6). Quoted pairs
# are only honoured before '"' and '\\': old browsers send Windows paths such as
# filename="C:\dir\f.txt" without escaping the backslashes.
_PARAM = re.compile(
    r"""\s*;\s*([^\s=;"]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*)))?""",
    re.S,
)
_UNQUOTE = re.compile(r'\\(["\\])')
_EXT_VALUE = re.compile(r"([A-Za-z0-9!#$&+\-^_`{}~]+)'[^']*'(.*)", re.S)


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """Return ``(main value lower-cased, {param name lower-cased: value})`` of a header.

    ``name*`` parameters (RFC 8187, ``UTF-8''a%20b``) are decoded and replace
    ``name``. Malformed pieces are skipped, as the header is advisory.
    """
    main, sep, rest = value.partition(";")
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    pos = 0
    rest = sep + rest
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            nxt = rest.find(";", pos + 1)
            if nxt == -1:
                break
            pos = nxt
            continue
        pos = m.end()
        name = m.group(1).lower()
        quoted, plain = m.group(2), m.group(3)
        val = _UNQUOTE.sub(r"\1", quoted) if quoted is not None else (plain or "").strip()
        if name.endswith("*"):
            decoded = _decode_ext_value(val)
            if decoded is not None:
                extended[name[:-1]] = decoded
        else:
            params.setdefault(name, val)
    params.update(extended)
    return main.strip().lower(), params


def _decode_ext_value(value: str) -> str | None:
    m = _EXT_VALUE.match(value)
    if m is None:
        return None
    charset, encoded = m.groups()
    try:
        return unquote(encoded, encoding=charset, errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None
