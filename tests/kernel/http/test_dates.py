"""HTTP dates: formatting, the once-a-second cache, and the three parse forms."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest

from jackfield.http import format_http_date, http_date, parse_http_date

IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")
RFC_EXAMPLE = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        pytest.param(784111777, "Sun, 06 Nov 1994 08:49:37 GMT", id="rfc-example"),
        pytest.param(0, "Thu, 01 Jan 1970 00:00:00 GMT", id="epoch"),
        pytest.param(951782400.9, "Tue, 29 Feb 2000 00:00:00 GMT", id="leap-day-fraction"),
        pytest.param(4102444799, "Thu, 31 Dec 2099 23:59:59 GMT", id="far-future"),
    ],
)
def test_format_http_date(ts: float, text: str) -> None:
    assert format_http_date(ts) == text


def test_http_date_is_now_and_cached_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000_000.1]
    monkeypatch.setattr(time, "time", lambda: now[0])
    first = http_date()
    assert first == "Sun, 09 Sep 2001 01:46:40 GMT"
    now[0] = 1_000_000_000.9
    assert http_date() is first
    now[0] = 1_000_000_001.0
    assert http_date() == "Sun, 09 Sep 2001 01:46:41 GMT"


def test_http_date_unpatched_has_the_imf_shape() -> None:
    assert IMF_FIXDATE.fullmatch(http_date())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Sun, 06 Nov 1994 08:49:37 GMT", id="imf-fixdate"),
        pytest.param("Sunday, 06-Nov-94 08:49:37 GMT", id="rfc850"),
        pytest.param("Sun Nov  6 08:49:37 1994", id="asctime"),
        pytest.param("Sun Nov 06 08:49:37 1994", id="asctime-two-digit-day"),
        pytest.param("  Sun, 06 Nov 1994 08:49:37 GMT\t", id="surrounding-whitespace"),
    ],
)
def test_parse_the_three_forms(text: str) -> None:
    parsed = parse_http_date(text)
    assert parsed == RFC_EXAMPLE
    assert parsed is not None and parsed.tzinfo is timezone.utc


@pytest.mark.parametrize(
    ("text", "year"),
    [
        pytest.param("Friday, 01-Jan-27 00:00:00 GMT", 2027, id="near-future"),
        pytest.param("Thursday, 01-Jan-70 00:00:00 GMT", 2070, id="under-50-years-ahead"),
        pytest.param("Wednesday, 01-Jan-80 00:00:00 GMT", 1980, id="over-50-years-ahead"),
        pytest.param("Saturday, 01-Jan-00 00:00:00 GMT", 2000, id="two-thousand"),
    ],
)
def test_rfc850_two_digit_years(monkeypatch: pytest.MonkeyPatch, text: str, year: int) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_780_000_000.0)  # in 2026
    parsed = parse_http_date(text)
    assert parsed is not None and parsed.year == year


def test_leap_second_is_read_as_59() -> None:
    parsed = parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT")
    assert parsed == datetime(2016, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


@pytest.mark.parametrize("ts", [0, 784111777, 1_700_000_000, 4102444799])
def test_format_then_parse_round_trips(ts: int) -> None:
    parsed = parse_http_date(format_http_date(ts))
    assert parsed is not None and parsed.timestamp() == ts


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="garbage"),
        pytest.param("Sun, 06 Nov 1994 08:49:37 UTC", id="not-gmt"),
        pytest.param("sun, 06 nov 1994 08:49:37 gmt", id="lowercase"),
        pytest.param("Sun, 6 Nov 1994 08:49:37 GMT", id="one-digit-day"),
        pytest.param("Sun, 31 Feb 1994 08:49:37 GMT", id="no-such-day"),
        pytest.param("Sun, 06 Nov 1994 25:49:37 GMT", id="hour-25"),
        pytest.param("Sun, 06 Nov 1994 08:61:37 GMT", id="minute-61"),
        pytest.param("Sun, 06 Foo 1994 08:49:37 GMT", id="no-such-month"),
        pytest.param("Sun, 06 Nov 1994 08:49:37 GMT extra", id="trailing-text"),
        pytest.param("Sun, 06 Nov 94 08:49:37 GMT", id="imf-two-digit-year"),
        pytest.param("Sun, 06-Nov-94 08:49:37 GMT", id="rfc850-short-day-name"),
        pytest.param("Sun Nov  6 08:49:37 1994 GMT", id="asctime-with-zone"),
        pytest.param("1994-11-06T08:49:37Z", id="iso8601"),
        pytest.param("Sun, 06 Nov 1994 08:49:37 GMT\x00", id="nul"),
        pytest.param("\u0661\u0669\u0669\u0664", id="non-ascii-digits"),
    ],
)
def test_garbage_parses_to_none(text: str) -> None:
    assert parse_http_date(text) is None


def test_non_str_parses_to_none() -> None:
    assert parse_http_date(123) is None  # type: ignore[arg-type]
    assert parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT") is None  # type: ignore[arg-type]
