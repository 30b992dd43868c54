"""RequestParser on valid input: bytes in, events out (see conftest.parse)."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDictProxy

from jackfield.http import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

from .conftest import Outcome, run

Parse = Any  # the conftest fixture: parse(data, limits=None) -> list of events


def body_of(events: list[Any]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, Data))


def only_head(parse: Parse, data: bytes) -> RequestHead:
    events = parse(data)
    assert len(events) == 2 and events[1] is END_OF_MESSAGE, events
    head = events[0]
    assert isinstance(head, RequestHead)
    return head


def get(target: str = "/", *headers: str, version: str = "1.1", method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/{version}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


# -- the head


def test_simple_get_gives_head_then_end(parse: Parse) -> None:
    events = parse(
        b"GET /index.html?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
    )
    head = events[0]
    assert isinstance(head, RequestHead)
    assert events[1:] == [END_OF_MESSAGE]
    assert head.method == "GET"
    assert head.target == "/index.html?x=1&y=%20"
    assert head.version == (1, 1)
    assert isinstance(head.headers, CIMultiDictProxy)
    assert head.headers["host"] == "example.com"
    assert head.raw_headers == ((b"Host", b"example.com"), (b"Accept", b"*/*"))
    assert head.keep_alive is True
    assert head.chunked is False
    assert head.content_length is None
    assert head.has_body is False
    assert head.upgrade is False
    assert head.expect is None


@pytest.mark.parametrize(
    ("method", "target"),
    [
        pytest.param("GET", "/", id="origin-root"),
        pytest.param("GET", "/a/b/../c;p?q=1&r#frag", id="origin-with-params-query-fragment"),
        pytest.param("GET", "/%E2%82%AC?x=%ff", id="origin-percent-encoded"),
        pytest.param("GET", "http://example.com/a?b=c", id="absolute-form"),
        pytest.param("GET", "http://example.com", id="absolute-form-no-path"),
        pytest.param("POST", "https://example.com:8443/x", id="absolute-form-https-port"),
        pytest.param("GET", "http://[::1]:8080/", id="absolute-form-ipv6"),
        pytest.param("OPTIONS", "*", id="asterisk-form"),
        pytest.param("CONNECT", "example.com:443", id="authority-form"),
        pytest.param("CONNECT", "[2001:db8::1]:443", id="authority-form-ipv6"),
    ],
)
def test_target_forms(parse: Parse, method: str, target: str) -> None:
    head = only_head(parse, get(target, "Host: example.com", method=method))
    assert (head.method, head.target) == (method, target)


@pytest.mark.parametrize(
    "method",
    ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "M-SEARCH", "get", "X_Y.z~!"],
)
def test_methods_are_tokens_kept_as_sent(parse: Parse, method: str) -> None:
    head = only_head(parse, get("/", "Host: h", method=method))
    assert head.method == method


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0", (1, 0)), ("1.1", (1, 1)), ("1.2", (1, 1)), ("1.9", (1, 1))],
    ids=["http10", "http11", "http12-served-as-11", "http19-served-as-11"],
)
def test_versions(parse: Parse, version: str, expected: tuple[int, int]) -> None:
    head = only_head(parse, get("/", "Host: h", version=version))
    assert head.version == expected


def test_http10_needs_no_host(parse: Parse) -> None:
    head = only_head(parse, b"GET / HTTP/1.0\r\n\r\n")
    assert head.version == (1, 0)
    assert len(head.headers) == 0
    assert head.raw_headers == ()


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        pytest.param("1.1", [], True, id="11-default"),
        pytest.param("1.1", ["close"], False, id="11-close"),
        pytest.param("1.1", ["CLOSE"], False, id="11-close-uppercase"),
        pytest.param("1.1", ["keep-alive"], True, id="11-keep-alive"),
        pytest.param("1.1", ["keep-alive, close"], False, id="11-list-with-close"),
        pytest.param("1.1", ["keep-alive", "Close"], False, id="11-two-lines-one-close"),
        pytest.param("1.1", ["foo,  ,bar"], True, id="11-other-tokens"),
        pytest.param("1.1", ["Upgrade, close"], False, id="11-upgrade-close"),
        pytest.param("1.0", [], False, id="10-default"),
        pytest.param("1.0", ["keep-alive"], True, id="10-keep-alive"),
        pytest.param("1.0", ["Keep-Alive"], True, id="10-keep-alive-capitalised"),
        pytest.param("1.0", [" TE , keep-alive "], True, id="10-keep-alive-in-list"),
        pytest.param("1.0", ["keep-alive, close"], False, id="10-keep-alive-and-close"),
        pytest.param("1.0", ["close"], False, id="10-close"),
    ],
)
def test_keep_alive_rules(
    parse: Parse, version: str, connection: list[str], keep_alive: bool
) -> None:
    lines = ["Host: h", *(f"Connection: {c}" for c in connection)]
    head = only_head(parse, get("/", *lines, version=version))
    assert head.keep_alive is keep_alive


def test_header_values_are_trimmed_and_decoded_as_latin1(parse: Parse) -> None:
    head = only_head(
        parse,
        b"GET / HTTP/1.1\r\nHost:h\r\nX-Name: \t caf\xe9 au lait \t\r\nX-Empty:\r\n"
        b"X-Blank:   \r\nX-Inner:a\tb  c\r\n\r\n",
    )
    assert head.headers["host"] == "h"
    assert head.headers["x-name"] == "caf\xe9 au lait"
    assert head.headers["X-Empty"] == ""
    assert head.headers["X-Blank"] == ""
    assert head.headers["X-Inner"] == "a\tb  c"
    assert head.raw_headers[1] == (b"X-Name", b"caf\xe9 au lait")


def test_raw_headers_keep_case_order_and_duplicates(parse: Parse) -> None:
    head = only_head(
        parse,
        b"GET / HTTP/1.1\r\nhOsT: h\r\nAccept: a/b\r\nX-Dup: 1\r\naccept: c/d\r\nX-Dup: 2\r\n\r\n",
    )
    assert head.raw_headers == (
        (b"hOsT", b"h"),
        (b"Accept", b"a/b"),
        (b"X-Dup", b"1"),
        (b"accept", b"c/d"),
        (b"X-Dup", b"2"),
    )
    assert head.headers.getall("ACCEPT") == ["a/b", "c/d"]
    assert head.headers.getall("x-dup") == ["1", "2"]
    assert [k for k, _ in head.headers.items()] == ["hOsT", "Accept", "X-Dup", "accept", "X-Dup"]


@pytest.mark.parametrize(
    "host",
    ["example.com", "example.com:8080", "127.0.0.1", "[::1]", "[fe80::1%25eth0]:80", "a_b-c~d", ""],
)
def test_valid_host_values(parse: Parse, host: str) -> None:
    head = only_head(parse, get("/", f"Host: {host}"))
    assert head.headers["Host"] == host


@pytest.mark.parametrize(
    ("headers", "upgrade"),
    [
        pytest.param(["Connection: Upgrade", "Upgrade: websocket"], True, id="upgrade"),
        pytest.param(["Connection: keep-alive, Upgrade", "Upgrade: h2c"], True, id="in-list"),
        pytest.param(["Connection: upgrade", "upgrade: websocket"], True, id="lowercase"),
        pytest.param(["Upgrade: websocket"], False, id="no-connection-token"),
        pytest.param(["Connection: Upgrade"], False, id="no-upgrade-header"),
        pytest.param([], False, id="plain"),
    ],
)
def test_upgrade_detection(parse: Parse, headers: list[str], upgrade: bool) -> None:
    head = only_head(parse, get("/chat", "Host: h", *headers))
    assert head.upgrade is upgrade


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        pytest.param("Expect: 100-continue", "100-continue", id="continue"),
        pytest.param("Expect:   100-Continue  ", "100-Continue", id="ows-stripped"),
        pytest.param("X-Other: 1", None, id="absent"),
    ],
)
def test_expect(parse: Parse, line: str, expect: str | None) -> None:
    events = parse(get("/", "Host: h", line, "Content-Length: 2", method="PUT") + b"ok")
    head = events[0]
    assert head.expect == expect
    assert body_of(events) == b"ok"


@pytest.mark.parametrize("count", [1, 2, 4])
def test_empty_lines_before_request_are_ignored(parse: Parse, count: int) -> None:
    head = only_head(parse, b"\r\n" * count + get("/", "Host: h"))
    assert head.target == "/"


def test_limits_hold_exactly_at_the_boundary(parse: Parse) -> None:
    line = b"GET /" + b"a" * 50 + b" HTTP/1.1"
    data = line + b"\r\nHost: h\r\nX: " + b"v" * 20 + b"\r\n\r\n"
    limits = Limits(
        max_request_line=len(line),
        max_field_size=len(b"X: ") + 20,
        max_headers_size=len(data),
        max_header_count=2,
    )
    events = parse(data, limits)
    assert isinstance(events[0], RequestHead)
    assert events[1:] == [END_OF_MESSAGE]


# -- bodies


def test_content_length_body(parse: Parse) -> None:
    events = parse(get("/up", "Host: h", "Content-Length: 11", method="POST") + b"hello world")
    head = events[0]
    assert head.content_length == 11
    assert head.has_body is True
    assert events[-1] is END_OF_MESSAGE
    assert body_of(events) == b"hello world"


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(["Content-Length: 5", "Content-Length: 5"], id="repeated-lines"),
        pytest.param(["Content-Length: 5, 5"], id="repeated-in-list"),
        pytest.param(["Content-Length: 005"], id="leading-zeros"),
        pytest.param(["Content-Length: 5", "content-length: 05 ,5"], id="mixed"),
    ],
)
def test_identical_content_lengths_are_accepted(parse: Parse, lines: list[str]) -> None:
    events = parse(get("/", "Host: h", *lines, method="POST") + b"12345")
    assert events[0].content_length == 5
    assert body_of(events) == b"12345"


def test_zero_content_length_has_no_data(parse: Parse) -> None:
    events = parse(get("/", "Host: h", "Content-Length: 0", method="POST"))
    assert events[0].content_length == 0
    assert events[0].has_body is False
    assert events[1:] == [END_OF_MESSAGE]


def test_body_data_is_emitted_as_it_arrives(parser: RequestParser) -> None:
    parser.feed(get("/", "Host: h", "Content-Length: 6", method="POST") + b"ab")
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() == Data(b"ab")
    assert parser.next_event() is NEED_DATA
    parser.feed(b"cdefGET")
    assert parser.next_event() == Data(b"cdef")
    assert parser.next_event() is END_OF_MESSAGE
    assert parser.next_event() is PAUSED
    assert parser.trailing_data == b"GET"


def test_chunked_body(parse: Parse) -> None:
    data = get("/", "Host: h", "Transfer-Encoding: chunked", method="POST")
    events = parse(data + b"4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n")
    head = events[0]
    assert head.chunked is True
    assert head.content_length is None
    assert head.has_body is True
    assert body_of(events) == b"Wikipedia in\r\n\r\nchunks."
    assert events[-1] is END_OF_MESSAGE


@pytest.mark.parametrize(
    "coding",
    ["chunked", "Chunked", "CHUNKED", ", chunked", "chunked ,"],
)
def test_transfer_encoding_spellings(parse: Parse, coding: str) -> None:
    data = get("/", "Host: h", f"Transfer-Encoding: {coding}", method="POST")
    events = parse(data + b"3\r\nabc\r\n0\r\n\r\n")
    assert events[0].chunked is True
    assert body_of(events) == b"abc"


@pytest.mark.parametrize(
    "size_line",
    [
        pytest.param(b"a", id="lowercase-hex"),
        pytest.param(b"A", id="uppercase-hex"),
        pytest.param(b"000a", id="leading-zeros"),
        pytest.param(b"a;name", id="ext-name"),
        pytest.param(b"a;name=value", id="ext-token-value"),
        pytest.param(b'a;name="quoted \\" ;=value"', id="ext-quoted-value"),
        pytest.param(b'a ; a = b ;c\t;\td=\t""', id="ext-bws"),
        pytest.param(b'a;a=1;b;c="x"', id="ext-several"),
    ],
)
def test_chunk_sizes_and_extensions(parse: Parse, size_line: bytes) -> None:
    data = get("/", "Host: h", "Transfer-Encoding: chunked", method="POST")
    events = parse(data + size_line + b"\r\n0123456789\r\n0;last\r\n\r\n")
    assert body_of(events) == b"0123456789"
    assert events[-1] is END_OF_MESSAGE


def test_trailers_are_checked_and_ignored(parse: Parse) -> None:
    data = get("/", "Host: h", "Transfer-Encoding: chunked", "Trailer: X-Sum", method="POST")
    events = parse(data + b"3\r\nabc\r\n0\r\nX-Sum: 123\r\nX-Other:\tv \r\n\r\n")
    assert body_of(events) == b"abc"
    assert events[-1] is END_OF_MESSAGE
    assert "X-Sum" not in events[0].headers


def test_partial_chunk_data_is_emitted_before_the_chunk_ends(parser: RequestParser) -> None:
    parser.feed(get("/", "Host: h", "Transfer-Encoding: chunked", method="POST"))
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.next_event() is NEED_DATA
    parser.feed(b"a\r\n0123")
    assert parser.next_event() == Data(b"0123")
    assert parser.next_event() is NEED_DATA
    parser.feed(b"456789\r")
    assert parser.next_event() == Data(b"456789")
    assert parser.next_event() is NEED_DATA
    parser.feed(b"\n0\r\n\r\n")
    assert parser.next_event() is END_OF_MESSAGE


# -- several requests on one connection


def test_pipelined_requests(parse: Parse) -> None:
    data = (
        get("/one", "Host: h")
        + get("/two", "Host: h", "Content-Length: 3", method="POST")
        + b"abc"
        + get("/three", "Host: h", "Transfer-Encoding: chunked", method="PUT")
        + b"2\r\nxy\r\n0\r\n\r\n"
        + b"\r\n"  # a stray CRLF after a body (RFC 9112 §2.2)
        + get("/four", "Host: h", "Connection: close")
    )
    events = parse(data)
    heads = [e for e in events if isinstance(e, RequestHead)]
    assert [h.target for h in heads] == ["/one", "/two", "/three", "/four"]
    assert events == [
        heads[0],
        END_OF_MESSAGE,
        heads[1],
        Data(b"abc"),
        END_OF_MESSAGE,
        heads[2],
        Data(b"xy"),
        END_OF_MESSAGE,
        heads[3],
        END_OF_MESSAGE,
    ]
    assert heads[3].keep_alive is False


def test_paused_until_start_next(parser: RequestParser) -> None:
    parser.feed(get("/a", "Host: h") + get("/b", "Host: h"))
    assert parser.next_event().target == "/a"  # type: ignore[union-attr]
    assert parser.next_event() is END_OF_MESSAGE
    assert parser.next_event() is PAUSED
    assert parser.next_event() is PAUSED
    parser.start_next()
    assert parser.next_event().target == "/b"  # type: ignore[union-attr]


def test_start_next_before_the_end_is_an_error(parser: RequestParser) -> None:
    with pytest.raises(RuntimeError, match="only after"):
        parser.start_next()
    parser.feed(get("/", "Host: h"))
    parser.next_event()
    with pytest.raises(RuntimeError, match="END_OF_MESSAGE"):
        parser.start_next()


def test_trailing_data_after_upgrade(parser: RequestParser) -> None:
    head_bytes = get("/chat", "Host: h", "Connection: Upgrade", "Upgrade: websocket")
    parser.feed(head_bytes + b"\x81\x05hello")
    head = parser.next_event()
    assert isinstance(head, RequestHead) and head.upgrade
    assert parser.next_event() is END_OF_MESSAGE
    assert parser.buffered == 7
    assert parser.trailing_data == b"\x81\x05hello"
    parser.feed(b"\x88\x00")
    assert parser.trailing_data == b"\x81\x05hello\x88\x00"


def test_need_data_and_buffered(parser: RequestParser) -> None:
    assert parser.next_event() is NEED_DATA
    assert parser.buffered == 0
    parser.feed(b"GET / HTTP/1.1\r\nHo")
    assert parser.next_event() is NEED_DATA
    assert parser.buffered == 18
    parser.feed(b"st: h\r\n\r")
    assert parser.next_event() is NEED_DATA
    parser.feed(b"\n")
    assert isinstance(parser.next_event(), RequestHead)
    assert parser.buffered == 0


def test_feed_accepts_bytearray_and_memoryview(parser: RequestParser) -> None:
    data = bytearray(get("/", "Host: h", "Content-Length: 2", method="POST") + b"ok")
    parser.feed(data[:10])
    parser.feed(memoryview(data)[10:])
    data[:] = b"X" * len(data)  # the parser must have copied what it keeps
    head = parser.next_event()
    assert isinstance(head, RequestHead) and head.target == "/"
    assert parser.next_event() == Data(b"ok")


def test_an_error_is_raised_again_and_input_is_ignored(parser: RequestParser) -> None:
    parser.feed(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(ProtocolError) as first:
        parser.next_event()
    parser.feed(get("/", "Host: h"))
    with pytest.raises(ProtocolError) as again:
        parser.next_event()
    assert again.value is first.value
    assert first.value.status == 400


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(get("/a", "Host: h", "Content-Length: 4", method="POST") + b"body", id="cl"),
        pytest.param(
            get("/b", "Host: h", "Transfer-Encoding: chunked", method="POST")
            + b"3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
            id="chunked",
        ),
    ],
)
def test_every_two_piece_split_gives_the_same_events(parse: Parse, data: bytes) -> None:
    expected = parse(data)
    for cut in range(1, len(data)):
        parser = RequestParser()
        events: list[Any] = []
        for piece in (data[:cut], data[cut:]):
            parser.feed(piece)
            while (event := parser.next_event()) is not NEED_DATA and event is not PAUSED:
                events.append(event)
        assert events[0] == expected[0]
        assert body_of(events) == body_of(expected)
        assert events[-1] is END_OF_MESSAGE


def test_a_large_head_fed_in_small_pieces(parse: Parse) -> None:
    fields = [f"X-Field-{i}: {'v' * 50}" for i in range(90)]
    head = only_head(parse, get("/", "Host: h", *fields))
    assert len(head.headers) == 91


def test_a_head_inside_a_body_is_body_bytes(parser: RequestParser) -> None:
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n")
    assert isinstance(parser.next_event(), RequestHead)
    parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    event = parser.next_event()
    assert isinstance(event, Data) and event.data == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


_SAME_FIELDS = b"\r\nHost: x\r\nAccept: */*\r\n\r\n"
_POST_FIELDS = b"\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
_POST_FIELDS_11 = b"POST /a HTTP/1.1" + _POST_FIELDS
_CHUNKED_FIELDS = b"\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
_CHUNKED_FIELDS_11 = b"POST /a HTTP/1.1" + _CHUNKED_FIELDS
_UPGRADE_FIELDS = b"\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
_EXPECT_FIELDS = b"\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize(
    ("warm_up", "data"),
    [
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"DELETE /b?q=1 HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a HTTP/1.0" + _SAME_FIELDS),
        (b"GET /a HTTP/1.0" + _SAME_FIELDS, b"GET /a HTTP/1.1" + _SAME_FIELDS),
        (b"GET / HTTP/1.0\r\nX: y\r\n\r\n", b"GET / HTTP/1.1\r\nX: y\r\n\r\n"),  # no Host
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"G@T /a HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /" + b"a" * 80 + b" HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"CONNECT /a HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET http://x/a HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a HTTP/1.7" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a HTTP/2.0" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a  HTTP/1.1" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"POST / HTTP/1.1\r\nContent-Length: 0" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a HTTP/1.1\r\nHost: y" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"GET /a HTTP/1.1\r\n" + _SAME_FIELDS),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, (b"GET /b HTTP/1.1" + _SAME_FIELDS) * 2),
        (b"GET /a HTTP/1.1" + _SAME_FIELDS, b"\r\n\r\nGET /b HTTP/1.1" + _SAME_FIELDS),
        (b"", b"GET / HTTP/1.1\r\n\r\n\r\n\r\n"),
        (_POST_FIELDS_11 + b"ab", b"PUT /b HTTP/1.0" + _POST_FIELDS + b"cd"),
        (_CHUNKED_FIELDS_11 + b"0\r\n\r\n", b"POST / HTTP/1.0" + _CHUNKED_FIELDS + b"0\r\n\r\n"),
        (_CHUNKED_FIELDS_11 + b"0\r\n\r\n", _CHUNKED_FIELDS_11 + b"1\r\nz\r\n0\r\n\r\n"),
        (
            b"GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
        ),
        (b"GET / HTTP/1.1" + _UPGRADE_FIELDS, b"GET /ws HTTP/1.1" + _UPGRADE_FIELDS),
        (b"PUT / HTTP/1.1" + _EXPECT_FIELDS, b"PUT /b HTTP/1.1" + _EXPECT_FIELDS),
    ],
    ids=[
        "other-line",
        "to-1.0",
        "to-1.1",
        "to-1.1-without-host",
        "bad-method",
        "long-line",
        "connect",
        "absolute-form",
        "higher-minor",
        "other-major",
        "two-spaces",
        "body-before-the-same-fields",
        "second-host-before-the-same-fields",
        "empty-line-before-the-same-fields",
        "pipelined",
        "empty-lines-first",
        "empty-head-first",
        "length-to-1.0",
        "chunked-to-1.0",
        "chunked-again",
        "keep-alive-to-1.1",
        "upgrade-again",
        "expect-again",
    ],
)
def test_a_repeated_field_section_reads_as_on_a_fresh_parser(warm_up: bytes, data: bytes) -> None:
    # HeadReader.read reuses the last head's headers and framing when the next
    # one has the same field section and version: that must never change an outcome.
    limits = Limits(max_request_line=60)
    fresh = _reads_as_on_a_fresh_parser(warm_up, data, limits)
    # Byte by byte, each head is met alone: the reference for both.
    bytewise, _ = run([data[i : i + 1] for i in range(len(data))], limits)
    assert fresh == bytewise


def _reads_as_on_a_fresh_parser(warm_up: bytes, data: bytes, limits: Limits) -> list[Outcome]:
    """Check that ``data`` after ``warm_up`` gives what it gives alone; return those events."""
    fresh, _ = run([data], limits)
    warm_events, _ = run([warm_up], limits)
    warmed, _ = run([warm_up, data], limits)
    if warm_up:
        assert warm_events[-1] is END_OF_MESSAGE, "the warm-up must be accepted whole"
    assert warmed[: len(warm_events)] == warm_events
    assert warmed[len(warm_events) :] == fresh
    assert fresh, "every case gives a head or an error"
    return fresh


_GET_LINE = b"GET /a?b=c HTTP/1.1"


@pytest.mark.parametrize(
    ("warm_up", "data"),
    [
        (_GET_LINE + _SAME_FIELDS, _GET_LINE + b"\r\nHost: y\r\n\r\n"),
        (_GET_LINE + _SAME_FIELDS, _GET_LINE + b"\r\nHost: x\r\nContent-Length: 1\r\n\r\nz"),
        (_GET_LINE + _SAME_FIELDS, _GET_LINE + b"\r\nHost: x\r\nBad Name: 1\r\n\r\n"),
        (_GET_LINE + _SAME_FIELDS, _GET_LINE + b"\r\nHost: x\r\nX: " + b"v" * 200 + b"\r\n\r\n"),
        (_GET_LINE + _SAME_FIELDS, b"GET /a?b=c HTTP/1.0" + _SAME_FIELDS),
        (_GET_LINE + _SAME_FIELDS, b"GET /a?b=d HTTP/1.1" + _SAME_FIELDS),
        (_GET_LINE + _SAME_FIELDS, b"HEAD /a?b=c HTTP/1.1" + _SAME_FIELDS),
        (_GET_LINE + _SAME_FIELDS, b"GET /a?b=c HTTP/1.10" + _SAME_FIELDS),
        (_GET_LINE + _SAME_FIELDS, b"GET /a?b=c  HTTP/1.1" + _SAME_FIELDS),
        (_GET_LINE + _SAME_FIELDS, b"GET /a?b=c HTTP/1.1\r\n\r\n"),
        (b"GET /a?b=c HTTP/1.0" + _SAME_FIELDS, _GET_LINE + b"\r\n\r\n"),
        (b"OPTIONS * HTTP/1.1" + _SAME_FIELDS, b"OPTIONS * HTTP/1.1" + _SAME_FIELDS),
        (b"\r\n" + _GET_LINE + _SAME_FIELDS, b"\r\n" + _GET_LINE + _SAME_FIELDS),
    ],
    ids=[
        "other-host",
        "now-a-body",
        "now-a-bad-field",
        "now-too-large",
        "to-1.0",
        "other-query",
        "other-method",
        "bad-version",
        "two-spaces",
        "no-fields",
        "from-1.0-without-host",
        "asterisk-form",
        "empty-line-first",
    ],
)
def test_a_repeated_request_line_reads_as_on_a_fresh_parser(warm_up: bytes, data: bytes) -> None:
    # HeadReader.request_line reuses its last reading when the next line has the
    # same bytes: what follows the line, or a line one byte off, must read as new.
    _reads_as_on_a_fresh_parser(warm_up, data, Limits(max_headers_size=160))


def _head_of(parser: RequestParser, data: bytes) -> RequestHead:
    """Feed one bodyless request; return its head, the parser ready for the next."""
    parser.feed(data)
    head = parser.next_event()
    assert isinstance(head, RequestHead)
    assert parser.next_event() is END_OF_MESSAGE
    parser.start_next()
    assert parser.next_event() is NEED_DATA
    return head


def test_a_repeated_field_section_shares_its_read_only_headers() -> None:
    parser = RequestParser()
    first = _head_of(parser, b"GET /a HTTP/1.1" + _SAME_FIELDS)
    second = _head_of(parser, b"PUT /b?x=%20 HTTP/1.1" + _SAME_FIELDS)
    assert (second.method, second.target, second.version) == ("PUT", "/b?x=%20", (1, 1))
    assert second.headers is first.headers and second.raw_fields == first.raw_fields
    assert second.raw_headers == ((b"Host", b"x"), (b"Accept", b"*/*"))
    assert isinstance(second.headers, CIMultiDictProxy) and second.keep_alive


def test_a_large_field_section_is_not_remembered() -> None:
    # An idle connection would keep it decoded (see _MAX_REMEMBERED): each is read anew.
    parser = RequestParser()
    big = b"\r\nHost: x" + b"".join(b"\r\nCookie: " + b"c" * 3000 for _ in range(3)) + b"\r\n\r\n"
    first = _head_of(parser, b"GET /a HTTP/1.1" + big)
    second = _head_of(parser, b"GET /b HTTP/1.1" + big)
    assert second.target == "/b"
    assert second.headers == first.headers and second.headers is not first.headers
