"""Validators, preconditions, Range parsing and Accept-Encoding: strings in, decisions out."""

from __future__ import annotations

import pytest

from jackfield.plugins.static._conditions import (
    MAX_RANGES,
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    UNSATISFIABLE,
    Validators,
    check_preconditions,
    if_range_allows,
    parse_ranges,
)
from jackfield.plugins.static._variants import accepted_codings

MTIME_NS = 1_700_000_000_123_456_789
V = Validators.of(MTIME_NS, 1000)
BEFORE = "Tue, 14 Nov 2023 22:13:19 GMT"  # one second before the mtime
AT = V.last_modified
AFTER = "Wed, 15 Nov 2023 00:00:00 GMT"


def test_validators_are_strong_and_change_with_size_and_mtime() -> None:
    assert V.etag.startswith('"') and not V.etag.startswith("W/")
    assert Validators.of(MTIME_NS, 1001).etag != V.etag
    assert Validators.of(MTIME_NS + 1, 1000).etag != V.etag
    assert AT == "Tue, 14 Nov 2023 22:13:20 GMT"


def check(method: str = "GET", **headers: str) -> int | None:
    return check_preconditions(
        method,
        V,
        if_match=headers.get("if_match"),
        if_none_match=headers.get("if_none_match"),
        if_modified_since=headers.get("if_modified_since"),
        if_unmodified_since=headers.get("if_unmodified_since"),
    )


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        pytest.param("GET", {}, None, id="none"),
        pytest.param("GET", {"if_none_match": V.etag}, NOT_MODIFIED, id="inm-match"),
        pytest.param("GET", {"if_none_match": f"W/{V.etag}"}, NOT_MODIFIED, id="inm-weak-match"),
        pytest.param("GET", {"if_none_match": f'"x", {V.etag}'}, NOT_MODIFIED, id="inm-list"),
        pytest.param("GET", {"if_none_match": "*"}, NOT_MODIFIED, id="inm-star"),
        pytest.param("GET", {"if_none_match": '"other"'}, None, id="inm-other"),
        pytest.param("HEAD", {"if_none_match": V.etag}, NOT_MODIFIED, id="inm-head"),
        pytest.param("POST", {"if_none_match": V.etag}, PRECONDITION_FAILED, id="inm-post"),
        pytest.param("GET", {"if_modified_since": AT}, NOT_MODIFIED, id="ims-equal"),
        pytest.param("GET", {"if_modified_since": AFTER}, NOT_MODIFIED, id="ims-later"),
        pytest.param("GET", {"if_modified_since": BEFORE}, None, id="ims-earlier"),
        pytest.param(
            "GET",
            {"if_none_match": '"other"', "if_modified_since": AFTER},
            None,
            id="inm-wins-over-ims",
        ),
        pytest.param("GET", {"if_match": V.etag}, None, id="im-match"),
        pytest.param("GET", {"if_match": "*"}, None, id="im-star"),
        pytest.param("GET", {"if_match": '"other"'}, PRECONDITION_FAILED, id="im-other"),
        pytest.param("GET", {"if_match": f"W/{V.etag}"}, PRECONDITION_FAILED, id="im-weak"),
        pytest.param("GET", {"if_unmodified_since": BEFORE}, PRECONDITION_FAILED, id="ius-old"),
        pytest.param("GET", {"if_unmodified_since": AT}, None, id="ius-equal"),
        pytest.param(
            "GET",
            {"if_match": V.etag, "if_unmodified_since": BEFORE},
            None,
            id="im-wins-over-ius",
        ),
        # Garbage: an invalid field is ignored, never an error.
        pytest.param("GET", {"if_none_match": "garbage"}, None, id="inm-garbage"),
        pytest.param("GET", {"if_match": "not-quoted"}, None, id="im-garbage"),
        pytest.param("GET", {"if_modified_since": "yesterday"}, None, id="ims-garbage"),
        pytest.param("GET", {"if_modified_since": "Tue, 14 Nov 2023"}, None, id="ims-partial"),
        pytest.param(
            "GET", {"if_modified_since": "Tue, 14 Nov 99999 22:13:20 GMT"}, None, id="ims-overflow"
        ),
        pytest.param("GET", {"if_unmodified_since": "\x00\xff"}, None, id="ius-binary"),
    ],
)
def test_check_preconditions(method: str, headers: dict[str, str], expected: int | None) -> None:
    assert check(method, **headers) == expected


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        pytest.param(None, True, id="absent"),
        pytest.param(V.etag, True, id="etag"),
        pytest.param('"other"', False, id="other-etag"),
        pytest.param(f"W/{V.etag}", False, id="weak-etag"),
        pytest.param(AT, True, id="date-exact"),
        pytest.param(AFTER, False, id="date-other"),
        pytest.param("garbage", False, id="garbage"),
    ],
)
def test_if_range(value: str | None, allowed: bool) -> None:
    assert if_range_allows(value, V) is allowed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("bytes=0-9", [(0, 10)], id="first-ten"),
        pytest.param("bytes=990-", [(990, 1000)], id="open-end"),
        pytest.param("bytes=-10", [(990, 1000)], id="suffix"),
        pytest.param("bytes=-5000", [(0, 1000)], id="suffix-longer-than-file"),
        pytest.param("bytes=990-5000", [(990, 1000)], id="end-clamped"),
        pytest.param("bytes=0-0,-1", [(0, 1), (999, 1000)], id="two"),
        pytest.param("Bytes = 1-2", [(1, 3)], id="unit-case-and-spaces"),
        pytest.param("bytes=5-9, 0-1", [(5, 10), (0, 2)], id="asked-order-kept"),
        pytest.param("bytes=1000-", UNSATISFIABLE, id="at-end"),
        pytest.param("bytes=5000-6000", UNSATISFIABLE, id="past-end"),
        pytest.param("bytes=-0", UNSATISFIABLE, id="empty-suffix"),
        pytest.param("bytes=1000-,2000-", UNSATISFIABLE, id="all-past-end"),
        # Ignored: the whole file is sent.
        pytest.param("items=0-9", None, id="other-unit"),
        pytest.param("bytes", None, id="no-equals"),
        pytest.param("bytes=", None, id="empty"),
        pytest.param("bytes=9-0", None, id="reversed"),
        pytest.param("bytes=a-b", None, id="letters"),
        pytest.param("bytes=\u0661-\u0662", None, id="arabic-indic-digits"),
        pytest.param("bytes=\uff11-\uff12", None, id="fullwidth-digits"),
        pytest.param("bytes=0-9999999999999999999999", None, id="overflow"),
        pytest.param("bytes=--1", None, id="double-minus"),
        pytest.param("bytes=0-9,", None, id="trailing-comma"),
        pytest.param("bytes=0-9,5-15", None, id="overlap"),
        pytest.param("bytes=0-1,0-1", None, id="repeated"),
        pytest.param(
            "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1)),
            None,
            id="too-many",
        ),
    ],
)
def test_parse_ranges(value: str, expected: object) -> None:
    assert parse_ranges(value, 1000) == expected


def test_parse_ranges_allows_the_cap() -> None:
    spec = "bytes=" + ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES))
    assert parse_ranges(spec, 1000) == [(i * 2, i * 2 + 1) for i in range(MAX_RANGES)]


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        pytest.param("", [], id="empty"),
        pytest.param("gzip", ["gzip"], id="gzip"),
        pytest.param("gzip, br, zstd", ["br", "zstd", "gzip"], id="ties-by-preference"),
        pytest.param("br;q=0.5, gzip", ["gzip", "br"], id="q-orders"),
        pytest.param("br;q=0, gzip", ["gzip"], id="q-zero-refuses"),
        pytest.param("*", ["br", "zstd", "gzip"], id="star"),
        pytest.param("*;q=0, gzip", ["gzip"], id="star-refused-named-kept"),
        pytest.param("GZIP;Q=1.0", ["gzip"], id="case-insensitive"),
        pytest.param("x-gzip", ["gzip"], id="x-gzip-alias"),
        pytest.param("br;q=2", [], id="q-out-of-range"),
        pytest.param("br;q=abc", [], id="q-garbage"),
        pytest.param("br;q=\u0661", [], id="q-non-ascii-digit"),
        pytest.param("identity", [], id="identity-only"),
        pytest.param(";;,,", [], id="punctuation"),
    ],
)
def test_accepted_codings(header: str, codings: list[str]) -> None:
    assert accepted_codings(header) == codings
