"""MessageAssembler: fragments, control frames between them, UTF-8, close payloads, sizes."""

from __future__ import annotations

import zlib

import pytest

from jackfield.plugins.websocket import WebSocketError, WSMessage, WSMsgType
from jackfield.plugins.websocket._assembler import MessageAssembler, parse_close
from jackfield.plugins.websocket._deflate import Inflater

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
FIN = 0x80
RSV1 = 0x40


def run(frames: list[tuple[int, bytes]], **kwargs: object) -> list[WSMessage]:
    assembler = MessageAssembler(**kwargs)  # type: ignore[arg-type]
    out = [assembler.frame(b0, payload) for b0, payload in frames]
    return [m for m in out if m is not None]


def test_single_frame_messages() -> None:
    assert run([(FIN | TEXT, "héllo".encode()), (FIN | BINARY, b"\x00\xff")]) == [
        WSMessage(WSMsgType.TEXT, "héllo", None),
        WSMessage(WSMsgType.BINARY, b"\x00\xff", None),
    ]


def test_fragments_join_and_control_frames_pass_between_them() -> None:
    msgs = run(
        [
            (TEXT, b"frag"),
            (FIN | PING, b"p"),
            (CONT, b"men"),
            (FIN | PONG, b"q"),
            (FIN | CONT, b"ted"),
        ]
    )
    assert [(m.type, m.data) for m in msgs] == [
        (WSMsgType.PING, b"p"),
        (WSMsgType.PONG, b"q"),
        (WSMsgType.TEXT, "fragmented"),
    ]


def test_utf8_split_across_fragments_is_fine() -> None:
    data = "€uro".encode()
    msgs = run([(TEXT, data[:1]), (CONT, data[1:2]), (FIN | CONT, data[2:])])
    assert msgs[0].data == "€uro"


def test_bad_utf8_fails_on_the_fragment_that_holds_it() -> None:
    assembler = MessageAssembler()
    assert assembler.frame(TEXT, b"ok ") is None
    with pytest.raises(WebSocketError) as info:
        assembler.frame(CONT, b"\xff")  # not yet final: it fails now, not at the end
    assert info.value.code == 1007


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([(FIN | TEXT, b"\xc3\x28")], 1007),
        ([(TEXT, b"a"), (FIN | CONT, b"\xe2\x82")], 1007),
        ([(FIN | CONT, b"x")], 1002),
        ([(TEXT, b"a"), (FIN | BINARY, b"b")], 1002),
        ([(BINARY, b"a"), (TEXT, b"b")], 1002),
    ],
    ids=[
        "invalid-utf8",
        "truncated-utf8-at-end",
        "continuation-without-start",
        "new-message-inside-fragmented",
        "new-fragmented-inside-fragmented",
    ],
)
def test_bad_sequences_raise(frames: list[tuple[int, bytes]], code: int) -> None:
    with pytest.raises(WebSocketError) as info:
        run(frames)
    assert info.value.code == code


def test_fragmented_message_over_max_size_is_1009() -> None:
    with pytest.raises(WebSocketError) as info:
        run([(BINARY, b"x" * 60), (FIN | CONT, b"x" * 60)], max_size=100)
    assert info.value.code == 1009


def test_max_size_counts_the_whole_message_not_each_fragment() -> None:
    msgs = run([(BINARY, b"x" * 50), (FIN | CONT, b"x" * 50)], max_size=100)
    assert len(msgs[0].data) == 100


def deflate(data: bytes) -> bytes:
    comp = zlib.compressobj(wbits=-15)
    return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]


def test_compressed_message_is_inflated() -> None:
    msgs = run([(FIN | RSV1 | TEXT, deflate(b"hello " * 100))], inflater=Inflater())
    assert msgs[0].data == "hello " * 100


def test_compressed_fragmented_message_is_inflated_in_order() -> None:
    packed = deflate(b"abc" * 1000)
    msgs = run(
        [(RSV1 | BINARY, packed[:5]), (CONT, packed[5:9]), (FIN | CONT, packed[9:])],
        inflater=Inflater(),
    )
    assert msgs[0].data == b"abc" * 1000


def test_compression_bomb_stops_at_max_size() -> None:
    with pytest.raises(WebSocketError) as info:
        run(
            [(FIN | RSV1 | BINARY, deflate(b"\0" * 10_000_000))], inflater=Inflater(), max_size=1000
        )
    assert info.value.code == 1009


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", (1005, "")),
        (b"\x03\xe8", (1000, "")),
        (b"\x0f\xa0bye", (4000, "bye")),
        (b"\x03\xf3", (1011, "")),
    ],
    ids=["no-code", "normal", "private-code-with-reason", "internal-error"],
)
def test_parse_close(payload: bytes, expected: tuple[int, str]) -> None:
    msg = parse_close(payload)
    assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, *expected)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),
        (b"\x03\xe7", 1002),
        (b"\x03\xec", 1002),
        (b"\x03\xed", 1002),
        (b"\x03\xee", 1002),
        (b"\x03\xf7", 1002),
        (b"\x0b\xb7", 1002),
        (b"\x13\x88", 1002),
        (b"\x03\xe8\xff", 1007),
    ],
    ids=[
        "one-byte",
        "999",
        "1004-reserved",
        "1005-never-sent",
        "1006-never-sent",
        "1015-never-sent",
        "2999",
        "5000",
        "reason-not-utf8",
    ],
)
def test_bad_close_payloads(payload: bytes, code: int) -> None:
    with pytest.raises(WebSocketError) as info:
        parse_close(payload)
    assert info.value.code == code
