"""RequestParser on malformed input: every defect gets its exact status.

Each row is fed whole, byte by byte and followed by another request (see
conftest.parse); all three must be rejected with the same status.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

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

from .conftest import SMALL

H = b"Host: h"


def req(*lines: bytes, start: bytes = b"GET / HTTP/1.1", body: bytes = b"") -> bytes:
    return start + b"\r\n" + b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def post_chunked(body: bytes) -> bytes:
    return req(b"Host: h", b"Transfer-Encoding: chunked", start=b"POST / HTTP/1.1", body=body)


def post_cl(value: bytes, *more: bytes) -> bytes:
    lines = [b"Host: h", b"Content-Length: " + value, *more]
    return req(*lines, start=b"POST / HTTP/1.1", body=b"12345")


def post_te(value: bytes, start: bytes = b"POST / HTTP/1.1") -> bytes:
    return req(b"Host: h", b"Transfer-Encoding: " + value, start=start, body=b"0\r\n\r\n")


def get_with(*lines: bytes) -> bytes:
    return req(b"Host: h", *lines)


MANY_FIELDS = [b"X-F%d: v" % i for i in range(6)]

CASES = [
    # -- framing: Content-Length and Transfer-Encoding (request smuggling)
    pytest.param(post_cl(b"5", b"Transfer-Encoding: chunked"), 400, None, id="cl-and-te"),
    pytest.param(post_cl(b"-1"), 400, None, id="cl-negative"),
    pytest.param(post_cl(b"0x5"), 400, None, id="cl-hex"),
    pytest.param(post_cl(b"+5"), 400, None, id="cl-plus"),
    pytest.param(post_cl(b"1 5"), 400, None, id="cl-spaces"),
    pytest.param(post_cl(b"5.0"), 400, None, id="cl-decimal-point"),
    pytest.param(post_cl(b""), 400, None, id="cl-empty"),
    pytest.param(post_cl(b"5,"), 400, None, id="cl-trailing-comma"),
    pytest.param(post_cl(b"\xb2"), 400, None, id="cl-superscript-digit"),
    pytest.param(post_cl(b"9" * 19), 400, None, id="cl-overflow"),
    pytest.param(post_cl(b"5", b"Content-Length: 6"), 400, None, id="cl-duplicate-disagree"),
    pytest.param(post_cl(b"5, 6"), 400, None, id="cl-list-disagree"),
    pytest.param(post_te(b"gzip, chunked"), 501, None, id="te-gzip-501"),
    pytest.param(post_te(b"identity, chunked"), 501, None, id="te-identity-501"),
    pytest.param(post_te(b"gzip"), 400, None, id="te-final-not-chunked"),
    pytest.param(post_te(b"chunked, gzip"), 400, None, id="te-chunked-not-last"),
    pytest.param(post_te(b"chunked, chunked"), 400, None, id="te-chunked-twice"),
    pytest.param(post_te(b"chunked;x=1"), 400, None, id="te-chunked-with-parameter"),
    pytest.param(post_te(b"chun ked"), 400, None, id="te-not-a-token"),
    pytest.param(post_te(b""), 400, None, id="te-empty"),
    pytest.param(post_te(b"chunked", start=b"POST / HTTP/1.0"), 400, None, id="te-http10"),
    # -- field syntax
    pytest.param(get_with(b"X: a", b" folded"), 400, None, id="obs-fold"),
    pytest.param(get_with(b"X: a", b"\tfolded"), 400, None, id="obs-fold-tab"),
    pytest.param(get_with(b"X: a\rb"), 400, None, id="bare-cr"),
    pytest.param(b"GET / HTTP/1.1\nHost: h\n\n", 400, None, id="bare-lf"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, None, id="bare-lf-in-head"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\n\n", 400, None, id="bare-lf-ending-head"),
    pytest.param(get_with(b"X: a\x00b"), 400, None, id="nul-in-value"),
    pytest.param(get_with(b"X: a\x01b"), 400, None, id="ctl-in-value"),
    pytest.param(get_with(b"X: a\x7fb"), 400, None, id="del-in-value"),
    pytest.param(req(b"Host : h"), 400, None, id="space-before-colon"),
    pytest.param(get_with(b"X-A\t: b"), 400, None, id="tab-before-colon"),
    pytest.param(get_with(b"X(y): a"), 400, None, id="bad-header-name-char"),
    pytest.param(get_with(b"X\xc4: a"), 400, None, id="non-ascii-header-name"),
    pytest.param(get_with(b": a"), 400, None, id="empty-header-name"),
    pytest.param(get_with(b"no-colon"), 400, None, id="header-without-colon"),
    # -- Host
    pytest.param(req(b"Accept: */*"), 400, None, id="missing-host-11"),
    pytest.param(req(b"Host: a", b"Host: a"), 400, None, id="two-hosts"),
    pytest.param(
        req(b"Host: a", b"Host: b", start=b"GET / HTTP/1.0"), 400, None, id="two-hosts-10"
    ),
    pytest.param(req(b"Host: a b"), 400, None, id="host-with-space"),
    pytest.param(req(b"Host: a/b"), 400, None, id="host-with-slash"),
    pytest.param(req(b"Host: user@a"), 400, None, id="host-with-userinfo"),
    pytest.param(req(b"Host: a:80x"), 400, None, id="host-bad-port"),
    # -- request line
    pytest.param(req(H, start=b"GET / HTTP/2.0"), 505, None, id="http2-505"),
    pytest.param(req(H, start=b"GET / HTTP/3.0"), 505, None, id="http3-505"),
    pytest.param(req(H, start=b"GET / HTTP/0.9"), 505, None, id="http09"),
    pytest.param(b"GET /\r\n\r\n", 400, None, id="http09-no-version"),
    pytest.param(req(H, start=b"GET / http/1.1"), 400, None, id="lowercase-http-version"),
    pytest.param(req(H, start=b"GET / HTTP/1"), 400, None, id="version-without-minor"),
    pytest.param(req(H, start=b"GET / HTTP/1.10"), 400, None, id="version-two-digit-minor"),
    pytest.param(req(H, start=b"GET / HTTP/11.1"), 400, None, id="version-two-digit-major"),
    pytest.param(req(H, start=b"GET / HTTPS/1.1"), 400, None, id="version-wrong-name"),
    pytest.param(req(H, start=b"G(T / HTTP/1.1"), 400, None, id="bad-method-char"),
    pytest.param(req(H, start=b"G\xc9T / HTTP/1.1"), 400, None, id="non-ascii-method"),
    pytest.param(req(H, start=b" / HTTP/1.1"), 400, None, id="empty-method"),
    pytest.param(req(H, start=b"GET  / HTTP/1.1"), 400, None, id="double-space"),
    pytest.param(req(H, start=b"GET\t/ HTTP/1.1"), 400, None, id="tab-separator"),
    pytest.param(req(H, start=b"GET / HTTP/1.1 "), 400, None, id="trailing-space"),
    pytest.param(req(H, start=b"GET / extra HTTP/1.1"), 400, None, id="four-parts"),
    pytest.param(req(H, start=b"GET * HTTP/1.1"), 400, None, id="asterisk-with-get"),
    pytest.param(req(H, start=b"GET /a\x01b HTTP/1.1"), 400, None, id="control-char-in-target"),
    pytest.param(req(H, start=b"GET /caf\xc3\xa9 HTTP/1.1"), 400, None, id="non-ascii-target"),
    pytest.param(req(H, start=b"GET foo HTTP/1.1"), 400, None, id="target-without-slash"),
    pytest.param(req(H, start=b"GET h:80 HTTP/1.1"), 400, None, id="authority-form-with-get"),
    pytest.param(req(H, start=b"CONNECT / HTTP/1.1"), 400, None, id="connect-origin-form"),
    pytest.param(req(H, start=b"CONNECT h HTTP/1.1"), 400, None, id="connect-without-port"),
    pytest.param(req(H, start=b"GET http://u@h/ HTTP/1.1"), 400, None, id="absolute-userinfo"),
    pytest.param(req(H, start=b"GET http:/x HTTP/1.1"), 400, None, id="absolute-no-authority"),
    pytest.param(b"\r\n" * 5 + req(H), 400, None, id="too-many-empty-lines"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, None, id="tls-hello"),
    pytest.param(b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, None, id="leading-bare-lf"),
    # -- limits
    pytest.param(
        req(H, start=b"GET /" + b"a" * 60 + b" HTTP/1.1"), 414, SMALL, id="long-request-line-414"
    ),
    pytest.param(b"GET /" + b"a" * 100, 414, SMALL, id="long-target-414"),
    pytest.param(get_with(b"X: " + b"v" * 62), 431, SMALL, id="long-header-431"),
    pytest.param(get_with(*MANY_FIELDS), 431, SMALL, id="too-many-headers-431"),
    pytest.param(get_with(*[b"X: " + b"v" * 50] * 5), 431, SMALL, id="huge-header-section-431"),
    pytest.param(req(H)[:-2] + b"X: " + b"v" * 300, 431, SMALL, id="huge-incomplete-head-431"),
    # -- chunked bodies
    pytest.param(post_chunked(b"1" * 17 + b"\r\n"), 400, None, id="chunk-size-overflow"),
    pytest.param(
        post_chunked(b"65\r\n" + b"x" * 101 + b"\r\n0\r\n\r\n"), 400, SMALL, id="chunk-over-limit"
    ),
    pytest.param(post_chunked(b"zz\r\n"), 400, None, id="chunk-size-nonhex"),
    pytest.param(post_chunked(b"-1\r\n"), 400, None, id="chunk-size-negative"),
    pytest.param(post_chunked(b"0x5\r\nhello\r\n"), 400, None, id="chunk-size-0x"),
    pytest.param(post_chunked(b"\r\n"), 400, None, id="chunk-size-empty"),
    pytest.param(post_chunked(b"5 \r\nhello\r\n0\r\n\r\n"), 400, None, id="chunk-size-trailing-ws"),
    pytest.param(post_chunked(b"5\nhello\r\n0\r\n\r\n"), 400, None, id="chunk-size-bare-lf"),
    pytest.param(post_chunked(b"5\r\nhelloXX0\r\n\r\n"), 400, None, id="chunk-missing-crlf"),
    pytest.param(post_chunked(b"5\r\nhello\n0\r\n\r\n"), 400, None, id="chunk-data-bare-lf"),
    pytest.param(
        post_chunked(b"5;a=" + b"b" * 20 + b"\r\nhello"), 400, SMALL, id="chunk-ext-too-long"
    ),
    pytest.param(post_chunked(b"5;a=" + b"b" * 5000), 400, None, id="chunk-ext-unterminated"),
    pytest.param(post_chunked(b"5;=x\r\nhello\r\n"), 400, None, id="chunk-ext-no-name"),
    pytest.param(post_chunked(b'5;a="x\r\nhello\r\n'), 400, None, id="chunk-ext-open-quote"),
    pytest.param(post_chunked(b"5;a b\r\nhello\r\n"), 400, None, id="chunk-ext-space-in-name"),
    pytest.param(
        post_chunked(b"0\r\nX: " + b"v" * 70 + b"\r\n\r\n"), 431, SMALL, id="trailer-too-big"
    ),
    pytest.param(
        post_chunked(b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), 431, SMALL, id="too-many-trailers"
    ),
    pytest.param(post_chunked(b"0\r\nA: 1\r\n folded\r\n\r\n"), 400, None, id="trailer-obs-fold"),
    pytest.param(post_chunked(b"0\r\nA : 1\r\n\r\n"), 400, None, id="trailer-space-before-colon"),
    pytest.param(post_chunked(b"0\r\nA: 1\n\n"), 400, None, id="trailer-bare-lf"),
    # -- several defects: the one nearest the start wins, however the bytes arrive
    pytest.param(
        get_with(b"X: a\rb", *MANY_FIELDS), 400, SMALL, id="bare-cr-before-too-many-headers"
    ),
    pytest.param(
        get_with(b"X: " + b"v" * 250, b"Y: a\nb"), 431, SMALL, id="too-big-before-bare-lf"
    ),
    pytest.param(b"GET /" + b"a" * 10 + b"\n" + b"a" * 100, 400, SMALL, id="bare-lf-before-414"),
    pytest.param(
        post_chunked(b"0\r\nA: 1\r\nB\r: 2\r\nC: 3\r\n\r\n"),
        400,
        SMALL,
        id="trailer-bare-cr-before-count",
    ),
]


@pytest.mark.parametrize(("data", "status", "limits"), CASES)
def test_bad_input_gets_its_status(
    rejection: Any, data: bytes, status: int, limits: Limits | None
) -> None:
    rejected = rejection(data, limits)
    assert rejected.status == status, rejected.reason
    assert rejected.reason
    assert len(rejected.reason) < 160, "a reason must not echo much of the input"


def test_there_are_enough_rows() -> None:
    assert len(CASES) >= 40
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(post_cl(b"5", b"Transfer-Encoding: chunked"), "both present", id="cl-te"),
        pytest.param(get_with(b"X: a", b" folded"), "folding", id="obs-fold"),
        pytest.param(req(b"Host : h"), "whitespace before colon", id="space-before-colon"),
        pytest.param(get_with(b"X(y): a"), "invalid character in header name", id="name"),
        pytest.param(req(H, start=b"GET / HTTP/2.0"), "not supported", id="505"),
        pytest.param(post_chunked(b"5\r\nhelloXX"), "not followed by CRLF", id="chunk-crlf"),
    ],
)
def test_reasons_name_the_defect(rejection: Any, data: bytes, fragment: str) -> None:
    assert fragment in rejection(data).reason


def test_reason_quotes_only_a_short_excerpt(rejection: Any) -> None:
    secret = b"Z" * 5000
    rejected = rejection(req(H, start=b"GET /" + secret + b"\x01 HTTP/1.1"))
    assert rejected.status == 400
    assert rejected.reason.count("Z") <= 40


def test_requests_before_a_bad_one_are_delivered(parse: Any) -> None:
    events = parse(req(H) + req(H, start=b"GET /x HTTP/1.1") + req(H, start=b"GET / HTTP/9.9"))
    assert [type(e) for e in events[:4]] == [RequestHead, type(END_OF_MESSAGE)] * 2
    assert events[-1].status == 505


# -- fuzzing: any input parses or raises ProtocolError, never anything else


def _mutate(rng: random.Random, data: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(mutated) + 1)
        op = rng.random()
        if op < 0.4:
            mutated[at:at] = bytes([rng.choice(ALPHABET)])
        elif op < 0.7 and at < len(mutated):
            del mutated[at]
        elif at < len(mutated):
            mutated[at] = rng.choice(ALPHABET)
    return bytes(mutated)


def _drain(parser: RequestParser) -> None:
    for _ in range(10_000):
        event = parser.next_event()
        if event is NEED_DATA:
            return
        if event is PAUSED:
            parser.start_next()
        else:
            assert isinstance(event, (RequestHead, Data, type(END_OF_MESSAGE)))


def _feed_all(pieces: list[bytes], limits: Limits) -> None:
    parser = RequestParser(limits)
    try:
        for piece in pieces:
            parser.feed(piece)
            _drain(parser)
    except ProtocolError as exc:
        assert 400 <= exc.status <= 505
        assert isinstance(exc.reason, str) and exc.reason


SEEDS = [
    req(b"Host: h", b"Connection: keep-alive, Upgrade", b"Upgrade: websocket"),
    post_cl(b"5"),
    post_chunked(b'3;a="q\\""\r\nabc\r\n0\r\nT: 1\r\n\r\n') + req(H),
    req(b"Host: [::1]:80", start=b"OPTIONS * HTTP/1.0"),
]
ALPHABET = b'\r\n :;,"\\\t\x00\x7f\xff0123456789abcdefABCDEF-/?*HTTP./1GETchunked'


def test_random_mutations_raise_only_protocol_errors() -> None:
    rng = random.Random(9112)
    for _ in range(3000):
        data = _mutate(rng, rng.choice(SEEDS))
        cuts = sorted(rng.sample(range(len(data) + 1), 3))
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        _feed_all(pieces, SMALL if rng.random() < 0.3 else Limits())


def test_mutated_input_gives_the_same_events_however_it_is_split(parse: Any) -> None:
    rng = random.Random(9110)
    bad = [data for data in (case.values[0] for case in CASES) if isinstance(data, bytes)]
    bad = [data for data in bad if len(data) < 200]
    for _ in range(1000):
        seed = rng.choice(SEEDS) if rng.random() < 0.7 else rng.choice(bad)
        parse(_mutate(rng, seed), SMALL if rng.random() < 0.5 else None)


def test_random_bytes_raise_only_protocol_errors() -> None:
    rng = random.Random(7230)
    for _ in range(1000):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 80)))
        _feed_all([data], Limits())
        _feed_all(
            [b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", data], SMALL
        )
