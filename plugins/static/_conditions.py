"""Validators, conditional requests and byte ranges for one file (RFC 9110 §8.8, §13, §14).

Pure functions over header strings and the file's ``(mtime_ns, size)``:
no I/O, so every rule is tested with strings. Garbage in any of these
headers never raises: a precondition that cannot be parsed is evaluated
as RFC 9110 says for an invalid field (ignored), and a Range header that
cannot be parsed is ignored (the whole file is sent), except that a
well-formed set of ranges none of which overlaps the file is a 416.

Decisions, in RFC 9110 §13.2.2 order: If-Match, else If-Unmodified-Since
-> 412; If-None-Match, else If-Modified-Since (GET/HEAD) -> 304; then
Range (GET only, §14.2), gated by If-Range.
"""

from __future__ import annotations

import itertools
import re
from email.utils import parsedate_to_datetime

import attrs

from jackfield.http import format_http_date

__all__ = [
    "MAX_RANGES",
    "NOT_MODIFIED",
    "PRECONDITION_FAILED",
    "Validators",
    "check_preconditions",
    "parse_ranges",
]

#: More ranges than this in one Range header: ignored (the whole file is sent).
#: Each range is a part of its own; a cap bounds the work one request can ask for.
MAX_RANGES = 16

NOT_MODIFIED = 304
PRECONDITION_FAILED = 412

# bytes=a-b, a-, -n; ASCII digits only (re's \d would take other scripts' digits).
_RANGE_SPEC = re.compile(r"\s*(?:([0-9]{1,18})-([0-9]{0,18})|-([0-9]{1,18}))\s*\Z", re.ASCII)
_ETAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*\Z')


@attrs.frozen
class Validators:
    """A file's strong ETag and Last-Modified, from its mtime and size."""

    etag: str
    last_modified: str
    mtime: int  # whole seconds, what Last-Modified can say

    @classmethod
    def of(cls, mtime_ns: int, size: int) -> Validators:
        """The validators of a file with this mtime (ns) and size."""
        mtime = mtime_ns // 1_000_000_000
        return cls(f'"{mtime_ns:x}-{size:x}"', format_http_date(mtime), mtime)


def _etags(value: str) -> list[tuple[bool, str]] | None:
    """Parse an If-Match/If-None-Match list: (weak, opaque tag) pairs; None if invalid."""
    tags = []
    for item in value.split(","):
        if not item.strip():
            continue
        m = _ETAG.match(item)
        if m is None:
            return None
        tags.append((m.group(1) is not None, m.group(2)))
    return tags


def _date(value: str) -> int | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        return None  # RFC 9110 §5.6.7: HTTP dates are GMT; a zoneless one is not valid
    try:
        return int(parsed.timestamp())
    except (OverflowError, ValueError, OSError):
        return None


def check_preconditions(
    method: str,
    validators: Validators,
    *,
    if_match: str | None,
    if_none_match: str | None,
    if_modified_since: str | None,
    if_unmodified_since: str | None,
) -> int | None:
    """``PRECONDITION_FAILED``, ``NOT_MODIFIED`` or ``None`` (go on), per RFC 9110 §13.2.2."""
    etag = validators.etag
    if if_match is not None:
        if if_match.strip() != "*":
            tags = _etags(if_match)
            # Strong comparison (§8.8.3.2): a weak tag never matches.
            if tags is not None and not any(not weak and tag == etag for weak, tag in tags):
                return PRECONDITION_FAILED
    elif if_unmodified_since is not None:
        since = _date(if_unmodified_since)
        if since is not None and validators.mtime > since:
            return PRECONDITION_FAILED
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            matched = True
        else:
            tags = _etags(if_none_match)
            # Weak comparison (§8.8.3.2): W/"x" matches "x".
            matched = tags is not None and any(tag == etag for _, tag in tags)
        if matched:
            return NOT_MODIFIED if method in ("GET", "HEAD") else PRECONDITION_FAILED
    elif if_modified_since is not None and method in ("GET", "HEAD"):
        since = _date(if_modified_since)
        if since is not None and validators.mtime <= since:
            return NOT_MODIFIED
    return None


def if_range_allows(if_range: str | None, validators: Validators) -> bool:
    """True when a Range may be honoured: no If-Range, or it names this version (§13.1.5)."""
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == validators.etag  # a strong match; a weak tag never allows a range
    since = _date(value)
    # A date validates only if it is exactly Last-Modified (and the file is not
    # "weakly" new; we treat any exact match as strong, as nginx does).
    return since is not None and since == validators.mtime


class Unsatisfiable:
    """Marker: the ranges were well formed but none overlaps the file (416)."""


UNSATISFIABLE = Unsatisfiable()


def parse_ranges(value: str, size: int) -> list[tuple[int, int]] | Unsatisfiable | None:
    """Parse a Range header against a file of ``size`` bytes.

    Returns ``[(start, end_exclusive), ...]`` in the order asked,
    ``UNSATISFIABLE`` (answer 416), or ``None`` to ignore the header and
    send the whole file: an unknown unit, any malformed range, more than
    ``MAX_RANGES`` ranges, or ranges that overlap (which could make one
    request cost many times the file).
    """
    unit, sep, spec = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    pieces = spec.split(",")
    if len(pieces) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for piece in pieces:
        m = _RANGE_SPEC.match(piece)
        if m is None:
            return None
        first, last, suffix = m.groups()
        if suffix is not None:
            count = int(suffix)
            if count == 0:
                continue  # unsatisfiable on its own
            ranges.append((max(size - count, 0), size))
            continue
        start = int(first)
        if last:
            end = int(last)
            if end < start:
                return None  # invalid (§14.1.1): the whole header is ignored
            stop = min(end + 1, size)
        else:
            stop = size
        if start >= size:
            continue
        ranges.append((start, stop))
    if not ranges:
        return UNSATISFIABLE
    ordered = sorted(ranges)
    for (_, stop), (start, _) in itertools.pairwise(ordered):
        if start < stop:
            return None
    return ranges
