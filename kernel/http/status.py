"""Reason phrases for status codes (RFC 9110 §15).

The table is built once from ``http.HTTPStatus``, with RFC 9110's names for
the four codes whose phrase ``HTTPStatus`` changed in Python 3.13, so a status
line does not depend on the Python version. A code the table does not know
gets the generic phrase of its class ("Client Error" for 4xx, ...), so a
status line always has a reason.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

__all__ = ["reason_phrase"]

_RFC_9110_NAMES: Final = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}
_PHRASES: Final[dict[int, str]] = {s.value: s.phrase for s in HTTPStatus} | _RFC_9110_NAMES
_CLASS_PHRASES: Final = {
    1: "Informational",
    2: "Success",
    3: "Redirection",
    4: "Client Error",
    5: "Server Error",
}


def reason_phrase(status: int) -> str:
    """Return the standard reason phrase for ``status``, or its class's generic one.

    ``reason_phrase(404)`` is ``"Not Found"``; ``reason_phrase(499)`` is
    ``"Client Error"``; a code outside 100-599 gives ``"Unknown"``.
    """
    phrase = _PHRASES.get(status)
    if phrase is not None:
        return phrase
    return _CLASS_PHRASES.get(status // 100, "Unknown") if 100 <= status <= 599 else "Unknown"
