"""The Cookie header parser: each pair stands alone (RFC 6265 §5.4, issue 19)."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from jackfield.http import parse_cookies


def parse(*headers: str) -> dict[str, str]:
    into: dict[str, str] = {}
    parse_cookies(headers, into)
    return into


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('pref={"k": 1}; session=abc', {"pref": '{"k": 1}', "session": "abc"}),
        ("a=\u00c3\u00a9; session=abc", {"a": "\u00c3\u00a9", "session": "abc"}),
        ("path=/x; session=abc", {"path": "/x", "session": "abc"}),
        ("a=1;;session=abc", {"a": "1", "session": "abc"}),
        ("junk; session=abc", {"session": "abc"}),
        ("bad name=1; session=abc", {"session": "abc"}),
        ("a=b\x01c; session=abc", {"session": "abc"}),
        ("=nameless; session=abc", {"session": "abc"}),
        ("  a = 1 ;\tsession=abc  ", {"a": "1", "session": "abc"}),
        ("a=; session=abc", {"a": "", "session": "abc"}),
        ("a=x=y; session=abc", {"a": "x=y", "session": "abc"}),
        ('a="quoted"; session=abc', {"a": "quoted", "session": "abc"}),
        ('a="; session=abc', {"a": '"', "session": "abc"}),
        ("session=first; session=second", {"session": "first"}),
        ("", {}),
        (";;;", {}),
    ],
    ids=[
        "json-value",
        "non-ascii-value",
        "reserved-attribute-name",
        "empty-pair",
        "no-equals",
        "space-in-name",
        "control-char",
        "empty-name",
        "whitespace",
        "empty-value",
        "equals-in-value",
        "quoted-value",
        "lone-quote",
        "first-wins",
        "empty-header",
        "only-separators",
    ],
)
def test_well_formed_pairs_survive_malformed_ones(header: str, expected: dict[str, str]) -> None:
    assert parse(header) == expected


def test_several_cookie_fields_are_joined_first_wins() -> None:
    assert parse("a=1; b=2", "b=3; c=4") == {"a": "1", "b": "2", "c": "4"}


@pytest.mark.parametrize("value", ['{"k": [1, 2]}', "a b;c,d", 'back\\slash "q"', "\u00e9t\u00e9"])
def test_values_written_by_simplecookie_read_back(value: str) -> None:
    # Response.set_cookie writes through SimpleCookie, which quotes and escapes.
    jar: SimpleCookie = SimpleCookie()
    jar["v"] = value
    header = jar.output(attrs=[], header="").strip()
    assert parse(header) == {"v": value}
