"""The Content-Type a file is served with.

From ``mimetypes`` (the platform's tables included, ``strict=False``), with
``charset=utf-8`` on text types. A name ``mimetypes`` reads as compressed
(``x.tar.gz``: "application/x-tar" coded with gzip) is served as the
compressed file it is, since the server sends its bytes untouched.
"""

from __future__ import annotations

import mimetypes

__all__ = ["content_type_for"]

# mimetypes names compression as an "encoding"; served as is, such files are these types.
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}


def content_type_for(path: str) -> str:
    """The Content-Type to serve ``path`` with (text types get ``charset=utf-8``)."""
    ctype, encoding = mimetypes.guess_type(path, strict=False)
    if encoding is not None:
        return _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    if ctype is None:
        return "application/octet-stream"
    if ctype.startswith("text/"):
        return f"{ctype}; charset=utf-8"
    return ctype
