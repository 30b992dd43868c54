"""HTTP dates (RFC 9110 §5.6.7): the Date header cache, formatting and parsing.

``http_date()`` is called for every response, so it keeps the last value and
recomputes it only when the wall clock enters a new second. Formatting never
uses ``strftime`` (locale dependent); parsing accepts the three forms a
recipient must accept and returns ``None`` for anything else, never raising.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Final

__all__ = ["format_http_date", "http_date", "parse_http_date"]

_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_NUMBER: Final = {name: i + 1 for i, name in enumerate(_MONTHS)}
_DAY_NAMES: Final = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_MONTH_NAMES: Final = "|".join(_MONTHS)
_TIME: Final = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"

# Sun, 06 Nov 1994 08:49:37 GMT
_IMF_FIXDATE: Final = re.compile(
    rf"(?:{'|'.join(_DAYS)}), ([0-9]{{2}}) ({_MONTH_NAMES}) ([0-9]{{4}}) {_TIME} GMT"
)
# Sunday, 06-Nov-94 08:49:37 GMT
_RFC850: Final = re.compile(
    rf"(?:{_DAY_NAMES}), ([0-9]{{2}})-({_MONTH_NAMES})-([0-9]{{2}}) {_TIME} GMT"
)
# Sun Nov  6 08:49:37 1994
_ASCTIME: Final = re.compile(
    rf"(?:{'|'.join(_DAYS)}) ({_MONTH_NAMES}) ([ 0-9][0-9]) {_TIME} ([0-9]{{4}})"
)

_cached_second = -1
_cached_date = ""


def format_http_date(ts: float) -> str:
    """Return the IMF-fixdate for the POSIX timestamp ``ts``: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    t = time.gmtime(ts)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def http_date() -> str:
    """Return the Date header value for now; recomputed at most once a second."""
    global _cached_second, _cached_date
    now = int(time.time())
    if now != _cached_second:
        _cached_date = format_http_date(now)
        _cached_second = now
    return _cached_date


def parse_http_date(value: object) -> datetime | None:
    """Return the aware UTC datetime an HTTP date denotes, or ``None`` if it is not one.

    Accepts IMF-fixdate, the obsolete RFC 850 form (two-digit year, read as at
    most 50 years ahead of now, RFC 9110 §5.6.7) and C asctime; surrounding
    whitespace is ignored, everything else is case-sensitive as the RFC says.
    """
    if not isinstance(value, str):
        return None
    value = value.strip(" \t")
    if m := _IMF_FIXDATE.fullmatch(value):
        day, month, year, hour, minute, second = m.groups()
        full_year = int(year)
    elif m := _RFC850.fullmatch(value):
        day, month, year, hour, minute, second = m.groups()
        full_year = _expand_year(int(year))
    elif m := _ASCTIME.fullmatch(value):
        month, day, hour, minute, second, year = m.groups()
        full_year = int(year)
    else:
        return None
    try:
        return datetime(
            full_year,
            _MONTH_NUMBER[month],
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),  # a leap second (60) is valid in HTTP, not in datetime
            tzinfo=timezone.utc,
        )
    except ValueError:  # 31 Feb, 25:00:00 and the like
        return None


def _expand_year(two_digits: int) -> int:
    this_year = time.gmtime(time.time()).tm_year
    year = this_year - this_year % 100 + two_digits
    if year > this_year + 50:
        year -= 100
    return year
