"""FrameParser and the frame builders: bytes in, frames out, no event loop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jackfield.plugins.websocket import WebSocketError, _frames
from jackfield.plugins.websocket._frames import (
    FrameParser,
    build_frame,
    close_payload,
    frame_head,
    unmask,
    xor_mask,
)

from .wsraw import frame


def feed_all_ways(data: bytes, **parser_kwargs: bool | int) -> list[tuple[int, bytes]]:
    """Parse ``data`` whole, byte by byte, and followed by a ping; all must agree."""
    first = FrameParser(**parser_kwargs)  # type: ignore[arg-type]
    whole = first.feed(data)
    assert first.error is None
    parser = FrameParser(**parser_kwargs)  # type: ignore[arg-type]
    bytewise = [f for i in range(len(data)) for f in parser.feed(data[i : i + 1])]
    assert parser.buffered == 0
    parser = FrameParser(**parser_kwargs)  # type: ignore[arg-type]
    ping = frame(0x9, b"next")
    followed = parser.feed(data + ping[:3]) + parser.feed(ping[3:])
    assert whole == bytewise == followed[:-1]
    assert followed[-1] == (0x89, b"next")
    return whole


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000], ids=lambda n: f"{n}-bytes")
def test_parse_masked_frame_of_every_length_encoding(size: int) -> None:
    payload = os.urandom(size)
    assert feed_all_ways(frame(0x2, payload)) == [(0x82, payload)]


def test_parse_several_frames_in_one_chunk() -> None:
    data = frame(0x1, b"a", fin=False) + frame(0x9, b"p") + frame(0x0, b"b")
    assert feed_all_ways(data) == [(0x01, b"a"), (0x89, b"p"), (0x80, b"b")]


def test_parse_unmasked_when_masking_not_required() -> None:
    assert FrameParser(require_mask=False).feed(frame(0x1, b"hi", mask=False)) == [(0x81, b"hi")]


def test_rsv1_allowed_on_first_data_frame_with_deflate() -> None:
    assert FrameParser(allow_rsv1=True).feed(frame(0x1, b"x", rsv=4)) == [(0xC1, b"x")]


@pytest.mark.parametrize(
    ("data", "code", "kwargs"),
    [
        (frame(0x1, b"x", mask=False), 1002, {}),
        (frame(0x1, b"x", rsv=4), 1002, {}),
        (frame(0x1, b"x", rsv=2), 1002, {"allow_rsv1": True}),
        (frame(0x1, b"x", rsv=1), 1002, {"allow_rsv1": True}),
        (frame(0x0, b"x", rsv=4), 1002, {"allow_rsv1": True}),
        (frame(0x9, b"x", rsv=4), 1002, {"allow_rsv1": True}),
        (frame(0x3, b"x"), 1002, {}),
        (frame(0xB, b"x"), 1002, {}),
        (frame(0x9, b"x", fin=False), 1002, {}),
        (frame(0x8, b"\x03\xe8" + b"x" * 124), 1002, {}),
        (frame(0xA, b"x" * 126), 1002, {}),
        (frame(0x2, b"x" * 101), 1009, {"max_size": 100}),
        (b"\x82\xff\x80" + bytes(7) + bytes(4), 1002, {}),
    ],
    ids=[
        "unmasked",
        "rsv1-without-extension",
        "rsv2",
        "rsv3",
        "rsv1-on-continuation",
        "rsv1-on-control",
        "reserved-data-opcode",
        "reserved-control-opcode",
        "fragmented-ping",
        "close-over-125",
        "pong-over-125",
        "frame-over-max-size",
        "length-msb-set",
    ],
)
def test_bad_frames_set_error_with_close_code(
    data: bytes, code: int, kwargs: dict[str, int]
) -> None:
    parser = FrameParser(**kwargs)  # type: ignore[arg-type]
    good = frame(0x1, b"before")
    assert parser.feed(good + data) == [(0x81, b"before")]  # what came first survives
    assert isinstance(parser.error, WebSocketError)
    assert parser.error.code == code
    assert parser.feed(good) == []  # and nothing is parsed after the error


def test_oversized_frame_fails_before_its_payload_arrives() -> None:
    parser = FrameParser(max_size=1000)
    parser.feed(b"\x82\xfe\x10\x00")  # the header of a 4096-byte frame, nothing more
    assert parser.error is not None and parser.error.code == 1009
    assert "4096" in str(parser.error)


@pytest.mark.parametrize(
    "size", [0, 3, 5, 511, 512, 513, 1024, 2049, 9999], ids=lambda n: f"{n}-bytes"
)
def test_unmask_is_xor_with_the_repeated_key(size: int) -> None:
    data, key = os.urandom(size), os.urandom(4)
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    assert unmask(data, key) == expected
    assert xor_mask(data, key) == expected  # the Python fallback, whichever unmask uses


def test_unmask_uses_the_c_helper_of_websockets_unless_extensions_are_off() -> None:
    # websockets is in the testing extra, so its C helper is installed here.
    from websockets.speedups import apply_mask

    switched_off = bool(os.environ.get("JACKFIELD_NO_EXTENSIONS"))
    assert _frames._C_APPLY_MASK is (None if switched_off else apply_mask)
    code = "from jackfield.plugins.websocket import _frames; print(_frames._C_APPLY_MASK)"
    env = {**os.environ, "JACKFIELD_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == "None\n", out.stderr


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536], ids=lambda n: f"{n}-bytes")
def test_build_frame_round_trips_through_the_parser(size: int) -> None:
    payload = os.urandom(size)
    data = build_frame(0x2, payload)
    assert FrameParser(require_mask=False).feed(data) == [(0x82, payload)]
    assert len(frame_head(0x82, size)) == len(data) - size


def test_build_compressed_frame_sets_rsv1() -> None:
    assert build_frame(0x1, b"z", rsv1=True)[0] == 0xC1


def test_close_payload() -> None:
    assert close_payload(1001, b"bye") == b"\x03\xe9bye"
    assert close_payload(None) == b""
