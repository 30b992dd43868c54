"""MIME header parsing for request bodies: parameters, boundaries, part header blocks.

Owns the small grammars multipart and forms need (RFC 9110 §5.6.6 parameters,
RFC 2046 §5.1.1 boundaries, RFC 7578 Content-Disposition, RFC 8187 extended
values) so that ``multipart`` and ``forms`` hold no parsing of their own.

Everything here is synchronous and pure; the errors it raises are the HTTP
exceptions the client must get (400 for malformed input, 413 for a limit).
"""

from __future__ import annotations

import codecs
import re

from multidict import CIMultiDict

from ..responses._params import parse_params
from ..responses.exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge

__all__ = [
    "MultipartError",
    "MultipartLimitError",
    "content_disposition",
    "decode_text",
    "get_boundary",
    "parse_params",
    "parse_part_headers",
]


class MultipartError(HTTPBadRequest, ValueError):
    """400: a malformed form or multipart body; also a ``ValueError``."""

    def __init__(self, message: str) -> None:
        super().__init__(text=f"400: {message}")
        self.message = message

    def __str__(self) -> str:
        return self.message


class MultipartLimitError(HTTPRequestEntityTooLarge):
    """413: a multipart body broke one of the ``MultipartLimits``; also a ``ValueError``."""

    def __init__(self, message: str) -> None:
        super().__init__(text=f"413: {message}")
        self.message = message

    def __str__(self) -> str:
        return self.message


# RFC 2046 §5.1.1: 1 to 70 bchars, not ending in a space.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]\Z")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def get_boundary(content_type: str | None) -> bytes:
    """Return the boundary of a ``multipart/*`` Content-Type, or raise ``MultipartError``."""
    if content_type is None:
        raise MultipartError(
            "the request has no Content-Type; a multipart body needs "
            "'Content-Type: multipart/form-data; boundary=...'"
        )
    main, params = parse_params(content_type)
    if not main.startswith("multipart/"):
        raise MultipartError(
            f"Content-Type {main!r} is not multipart; send multipart/form-data "
            "(or another multipart/* type) with a boundary parameter"
        )
    boundary = params.get("boundary")
    if boundary is None:
        raise MultipartError(
            f"Content-Type {content_type!r} has no boundary parameter; add '; boundary=...'"
        )
    if not _BOUNDARY.match(boundary):
        raise MultipartError(
            f"invalid multipart boundary {boundary[:80]!r}: it must be 1 to 70 characters "
            "from letters, digits and '()+_,-./:=? (RFC 2046)"
        )
    return boundary.encode("ascii")


def content_disposition(value: str | None) -> tuple[str | None, dict[str, str]]:
    """Return ``(disposition type, params)`` of a Content-Disposition value (``None``: absent)."""
    if value is None:
        return None, {}
    return parse_params(value)


def parse_part_headers(block: bytes, max_headers: int) -> CIMultiDict[str]:
    """Parse a part's header block (CRLF-separated lines, no final empty line).

    Values are UTF-8 (RFC 7578 §5.1 lets form fields carry raw UTF-8 file
    names), falling back to latin-1. Raises ``MultipartError`` for a malformed
    line and ``MultipartLimitError`` past ``max_headers`` fields.
    """
    headers: CIMultiDict[str] = CIMultiDict()
    if not block:
        return headers
    lines = block.split(b"\r\n")
    if len(lines) > max_headers:
        raise MultipartLimitError(
            f"a multipart part has {len(lines)} header lines, more than "
            f"max_part_headers={max_headers}; raise MultipartLimits.max_part_headers"
        )
    name: bytes | None = None
    value = b""
    for line in lines:
        if line[:1] in (b" ", b"\t"):  # obs-fold: continues the previous field
            if name is None:
                raise MultipartError(
                    f"a multipart part's headers start with a folded line {line[:60]!r}"
                )
            value += b" " + line.strip(b" \t")
            continue
        if name is not None:
            headers.add(_text(name), _text(value))
        raw_name, colon, raw_value = line.partition(b":")
        if not colon or not _TOKEN.match(raw_name):
            raise MultipartError(
                f"malformed header line {line[:60]!r} in a multipart part; "
                "each line must be 'Name: value'"
            )
        name, value = raw_name, raw_value.strip(b" \t")
    if name is not None:
        headers.add(_text(name), _text(value))
    return headers


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# A charset name as registries spell them ("utf-8", "ISO_8859-1:1987", "cp1252").
_CHARSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}")


def decode_text(data: bytes, charset: str, what: str) -> str:
    """Decode ``data`` with a charset the client named; 400 if that cannot be done.

    Any failure to look the codec up or apply it is the client's error, never
    a 500: an unknown or malformed name, a codec that is not a text encoding
    ("base64"), one that always fails ("undefined"), or bytes it cannot decode
    (issue 19). ``what`` names the text in the error ("the form body").
    """
    well_formed = _CHARSET.fullmatch(charset) is not None
    try:
        if not well_formed:
            raise LookupError("not a charset name")
        return data.decode(codecs.lookup(charset).name)
    except (LookupError, ValueError) as exc:  # UnicodeError is a ValueError
        shown = charset if well_formed else repr(charset[:40])
        raise MultipartError(f"{what} is not valid {shown} text: {exc}") from None
