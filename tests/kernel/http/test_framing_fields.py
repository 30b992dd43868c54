"""The fields that frame a request are found in any case, on any line, and only by their name.

Host, Content-Length, Transfer-Encoding, Connection, Expect and Upgrade decide
how a request is framed and whether the connection stays (``HeadReader._read_fields``).
These tests hold the parser to a case-insensitive lookup of every field: the
same names wherever they stand, no look-alike name, a defect anywhere rejected.
"""

from __future__ import annotations

from typing import Any

import pytest

from jackfield.http import END_OF_MESSAGE, Data, RequestHead

from .conftest import Rejected

Parse = Any  # the conftest fixture: parse(data, limits=None) -> list of events


def request(*lines: str, body: bytes = b"") -> bytes:
    return ("POST /p HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n").encode(
        "latin-1"
    ) + body


def head_of(events: list[Any]) -> RequestHead:
    head = events[0]
    assert isinstance(head, RequestHead), events
    return head


@pytest.mark.parametrize("host_line", ["Host: h", "hOST: h", "HOST:h  "])
def test_framing_fields_in_any_case_and_on_any_line(parse: Parse, host_line: str) -> None:
    events = parse(
        request(
            "Accept: */*",
            "content-LENGTH: 3",
            host_line,
            "EXPECT: 100-continue",
            "connection: KEEP-ALIVE, upgrade",
            "upGRADE: websocket",
            body=b"abc",
        )
    )
    head = head_of(events)
    assert head.content_length == 3 and not head.chunked
    assert head.expect == "100-continue"
    assert head.upgrade and head.keep_alive
    assert events[1:] == [Data(b"abc"), END_OF_MESSAGE]
    assert head.headers["Host"] == "h"


def test_the_first_line_counts_like_the_others(parse: Parse) -> None:
    head = head_of(parse(request("Transfer-Encoding: chunked", "Host: h", body=b"0\r\n\r\n")))
    assert head.chunked and head.content_length is None


@pytest.mark.parametrize(
    "line",
    [
        "X-Host: other",
        "Hosts: other",
        "X-Content-Length: 99",
        "Content-Lengthy: 99",
        "Proxy-Connection: close",
        "X-Transfer-Encoding: gzip",
        "X-Expect: 100-continue",
        "Upgrade-Insecure-Requests: 1",
        "X-Note: host: other, content-length: 99, connection: close",
    ],
)
def test_a_look_alike_name_frames_nothing(parse: Parse, line: str) -> None:
    head = head_of(parse(request(line, "Host: h")))
    assert head.content_length is None and not head.chunked
    assert head.keep_alive and not head.upgrade and head.expect is None
    assert head.headers["Host"] == "h"
    name, _, value = line.partition(": ")
    assert head.headers[name] == value


@pytest.mark.parametrize(
    ("lines", "status", "reason"),
    [
        (("Host: a", "Accept: */*", "host: b"), 400, "more than one Host header"),
        (("Host: a", "Content-Length: 3", "X: y", "content-length: 4"), 400, "conflicting"),
        (("Host: a", "transfer-encoding: chunked", "Content-Length: 3"), 400, "both present"),
        (("Host: a", "X: y", "Transfer-Encoding: gzip"), 400, "must end with chunked"),
        (("Accept: */*",), 400, "missing Host"),
        (("Host: a b",), 400, "invalid Host"),
    ],
)
def test_framing_defects_anywhere_are_rejected(
    parse: Parse, lines: tuple[str, ...], status: int, reason: str
) -> None:
    events = parse(request(*lines))
    assert len(events) == 1 and isinstance(events[0], Rejected), events
    assert events[0].status == status and reason in events[0].reason


def test_a_bad_line_after_the_framing_fields_is_still_a_400(parse: Parse) -> None:
    events = parse(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nBad Name: x\r\n\r\n")
    assert events == [Rejected(400, "invalid character in header name b'Bad Name'")]


def test_headers_are_the_checked_bytes_decoded(parse: Parse) -> None:
    head = head_of(
        parse(b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1 \r\nx-a:\t2\r\nX-B: caf\xe9\r\n\r\n")
    )
    assert head.raw_fields == b"Host: h\r\nX-A: 1 \r\nx-a:\t2\r\nX-B: caf\xe9"
    assert list(head.headers.items()) == [
        ("Host", "h"),
        ("X-A", "1"),
        ("x-a", "2"),
        ("X-B", "café"),
    ]
