"""``dumps``: ``json.dumps(obj)`` with the default options, minus its per-call set-up.

``json.dumps`` goes through three Python frames and defines a closure on
every call before it reaches the C encoder. ``dumps`` calls the C encoder
(``json.encoder.c_make_encoder``) with exactly the options ``json.dumps``
uses by default, so the output is the same text; each call gets a fresh
encoder and markers dict, so circular structures still raise ``ValueError``.
On an interpreter without the C encoder it is ``json.dumps`` itself.
Measured by ``bench/`` (issue 3: ``json_response``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

__all__ = ["dumps"]

_make = getattr(_encoder, "c_make_encoder", None)
_escape = _encoder.encode_basestring_ascii


def _not_serializable(obj: Any) -> Any:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def _c_dumps(make: Callable[..., Any]) -> Callable[[Any], str]:
    def dumps(obj: Any) -> str:
        """Return ``obj`` as JSON text, exactly as ``json.dumps(obj)`` would."""
        # markers, default, encoder, indent, separators, sort_keys, skipkeys, allow_nan
        chunks = make({}, _not_serializable, _escape, None, ": ", ", ", False, False, True)
        return "".join(chunks(obj, 0))

    return dumps


dumps: Callable[[Any], str] = _c_dumps(_make) if _make is not None else json.dumps
