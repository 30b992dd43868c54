"""``split_names``: the raw path after the prefix, turned into checked names or refused."""

from __future__ import annotations

import pytest

from jackfield.plugins.static._paths import MAX_DEPTH, split_names


@pytest.mark.parametrize(
    ("tail", "names", "trailing"),
    [
        pytest.param("", [], True, id="prefix-itself"),
        pytest.param("/", [], True, id="prefix-slash"),
        pytest.param("/a.txt", ["a.txt"], False, id="file"),
        pytest.param("/sub/a.txt", ["sub", "a.txt"], False, id="nested"),
        pytest.param("/sub/", ["sub"], True, id="directory"),
        pytest.param("/h%C3%A9llo%20w.txt", ["héllo w.txt"], False, id="utf8-escape"),
        pytest.param("/a;b=c", ["a;b=c"], False, id="semicolon-is-a-name-char"),
        pytest.param("/.hidden", [".hidden"], False, id="dotfile"),
    ],
)
def test_split_names_accepts(tail: str, names: list[str], trailing: bool) -> None:
    assert split_names(tail) == (names, trailing)


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("/..", id="dotdot"),
        pytest.param("/../x", id="dotdot-first"),
        pytest.param("/a/../../x", id="dotdot-inner"),
        pytest.param("/.", id="dot"),
        pytest.param("/%2e%2e/x", id="encoded-dotdot"),
        pytest.param("/%2E%2E/x", id="encoded-dotdot-upper"),
        pytest.param("/.%2e/x", id="half-encoded-dotdot"),
        pytest.param("/a%2f..%2fb", id="encoded-slash"),
        pytest.param("/a%2Fb", id="encoded-slash-upper"),
        pytest.param("/..%5c..%5cx", id="encoded-backslash"),
        pytest.param("/..\\x", id="backslash"),
        pytest.param("/a\\b", id="backslash-in-name"),
        pytest.param("/a%00.txt", id="escaped-nul"),
        pytest.param("/a\x00.txt", id="nul"),
        pytest.param("/a%0a", id="escaped-newline"),
        pytest.param("/a%zz", id="bad-escape"),
        pytest.param("/a%4", id="short-escape"),
        pytest.param("/%ff", id="not-utf8"),
        pytest.param("//etc/passwd", id="absolute-name"),
        pytest.param("/a//b", id="empty-name"),
        pytest.param("/C:/Windows/win.ini", id="drive-letter"),
        pytest.param("/c:", id="drive-letter-alone"),
        pytest.param("/%5c%5c?%5cC:%5cx", id="unc-long-path"),
        pytest.param("/\\\\?\\C:\\x", id="unc-long-path-plain"),
        pytest.param("/x.txt.", id="trailing-dot"),
        pytest.param("/x.txt%20", id="trailing-space"),
        pytest.param("/" + "a" * 256, id="name-too-long"),
        pytest.param("/a" * (MAX_DEPTH + 1), id="too-deep"),
        pytest.param("x", id="no-leading-slash"),
    ],
)
def test_split_names_refuses(tail: str) -> None:
    assert split_names(tail) is None
