"""Response heads, chunks and body rules as bytes."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from multidict import CIMultiDict, istr

from jackfield.http import LAST_CHUNK, body_allowed, chunk, serialize_head
from jackfield.http import serializer as serializer_module


def test_head_is_status_line_fields_and_blank_line() -> None:
    head = serialize_head(
        (1, 1), 200, None, [("Content-Type", "text/plain"), ("Content-Length", "5")]
    )
    assert head == b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"


def test_head_without_fields() -> None:
    assert serialize_head((1, 0), 204, None, []) == b"HTTP/1.0 204 No Content\r\n\r\n"


@pytest.mark.parametrize(
    ("status", "reason", "line"),
    [
        pytest.param(404, None, b"HTTP/1.1 404 Not Found\r\n", id="standard-phrase"),
        pytest.param(200, "Fine", b"HTTP/1.1 200 Fine\r\n", id="custom-reason"),
        pytest.param(200, "", b"HTTP/1.1 200 \r\n", id="empty-reason"),
        pytest.param(299, None, b"HTTP/1.1 299 Success\r\n", id="unknown-code-class-phrase"),
        pytest.param(418, None, b"HTTP/1.1 418 I'm a Teapot\r\n", id="teapot"),
        pytest.param(200, "Tr\xe8s bien", b"HTTP/1.1 200 Tr\xe8s bien\r\n", id="latin1-reason"),
    ],
)
def test_status_line(status: int, reason: str | None, line: bytes) -> None:
    assert serialize_head((1, 1), status, reason, []) == line + b"\r\n"


def test_accepts_a_version_namedtuple_and_multidict_items() -> None:
    class HttpVersion(NamedTuple):
        major: int
        minor: int

    version = HttpVersion(1, 1)
    headers: CIMultiDict[str] = CIMultiDict()
    headers[istr("X-Custom")] = "a"
    headers.add("Set-Cookie", "a=1")
    headers.add("Set-Cookie", "b=2")
    head = serialize_head(version, 200, None, headers.items())
    assert head == (b"HTTP/1.1 200 OK\r\nX-Custom: a\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n")


def test_accepts_a_generator_of_fields() -> None:
    head = serialize_head((1, 1), 200, None, ((f"X-{i}", str(i)) for i in range(3)))
    assert head == b"HTTP/1.1 200 OK\r\nX-0: 0\r\nX-1: 1\r\nX-2: 2\r\n\r\n"


def test_values_are_encoded_as_latin1() -> None:
    head = serialize_head((1, 1), 200, None, [("X-Word", "caf\xe9"), ("X-Tab", "a\tb")])
    assert b"X-Word: caf\xe9\r\n" in head
    assert b"X-Tab: a\tb\r\n" in head


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        pytest.param("X-Evil", "a\r\nSet-Cookie: x=1", "CR", id="crlf-in-value"),
        pytest.param("X-Evil", "a\nb", "LF", id="lf-in-value"),
        pytest.param("X-Evil", "a\rb", "CR", id="cr-in-value"),
        pytest.param("X-Evil", "a\x00b", "NUL", id="nul-in-value"),
        pytest.param("X-Evil", "a\x0bb", "control character", id="vt-in-value"),
        pytest.param("X-Evil", "a\x0cb", "control character", id="ff-in-value"),
        pytest.param("X-Evil", "a\x7fb", "control character", id="del-in-value"),
        pytest.param("X-Evil", "\x1b[31m", "control character", id="esc-in-value"),
        pytest.param("X-Evil", "\u20ac", "latin-1", id="not-latin1-value"),
        pytest.param("X Evil", "a", "invalid header name", id="space-in-name"),
        pytest.param("X-Evil:", "a", "invalid header name", id="colon-in-name"),
        pytest.param("", "a", "invalid header name", id="empty-name"),
        pytest.param("X-Evil\r\n", "a", "invalid header name", id="crlf-in-name"),
        pytest.param("X-\xe9", "a", "invalid header name", id="non-ascii-name"),
    ],
)
def test_response_splitting_is_refused(name: str, value: str, message: str) -> None:
    fields = [("Content-Type", "text/plain"), (name, value), ("Server", "x")]
    with pytest.raises(ValueError, match=message) as info:
        serialize_head((1, 1), 200, None, fields)
    if "name" not in message:
        assert repr(name) in str(info.value), "the error names the header"


def test_non_str_value_is_a_type_error_naming_the_header() -> None:
    with pytest.raises(TypeError, match="X-Number"):
        serialize_head((1, 1), 200, None, [("X-Number", 5)])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        pytest.param(99, None, id="status-too-small"),
        pytest.param(1000, None, id="status-too-big"),
        pytest.param(200, "OK\r\nX: y", id="crlf-in-reason"),
        pytest.param(200, "OK\x00", id="nul-in-reason"),
        pytest.param(200, "\u2713", id="non-latin1-reason"),
    ],
)
def test_bad_status_line_is_refused(status: int, reason: str | None) -> None:
    with pytest.raises(ValueError):
        serialize_head((1, 1), status, reason, [])


def test_status_line_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serializer_module, "_status_lines", {})
    for i in range(serializer_module._MAX_CACHED + 50):
        assert serialize_head((1, 1), 200, f"R{i}", []) == f"HTTP/1.1 200 R{i}\r\n\r\n".encode()
    assert len(serializer_module._status_lines) <= serializer_module._MAX_CACHED


def test_valid_name_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serializer_module, "_valid_names", set())
    for i in range(serializer_module._MAX_CACHED + 50):
        serialize_head((1, 1), 200, None, [(f"X-Name-{i}", "v")])
    assert len(serializer_module._valid_names) <= serializer_module._MAX_CACHED


@pytest.mark.parametrize(
    ("data", "framed"),
    [
        pytest.param(b"hello", b"5\r\nhello\r\n", id="small"),
        pytest.param(b"x" * 255, b"ff\r\n" + b"x" * 255 + b"\r\n", id="hex-size"),
        pytest.param(b"\r\n", b"2\r\n\r\n\r\n", id="crlf-data"),
        pytest.param(b"", b"", id="empty-gives-nothing"),
    ],
)
def test_chunk(data: bytes, framed: bytes) -> None:
    assert chunk(data) == framed


def test_last_chunk() -> None:
    assert LAST_CHUNK == b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("status", "method", "allowed"),
    [
        pytest.param(200, "GET", True, id="200-get"),
        pytest.param(404, "POST", True, id="404-post"),
        pytest.param(200, "HEAD", False, id="head"),
        pytest.param(100, "GET", False, id="100"),
        pytest.param(101, "GET", False, id="101"),
        pytest.param(199, "GET", False, id="199"),
        pytest.param(204, "GET", False, id="204"),
        pytest.param(304, "GET", False, id="304"),
        pytest.param(205, "GET", True, id="205"),
        pytest.param(500, "DELETE", True, id="500"),
    ],
)
def test_body_allowed(status: int, method: str, allowed: bool) -> None:
    assert body_allowed(status, method) is allowed
