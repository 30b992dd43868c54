"""WebSocket frames, messages and permessage-deflate under hypothesis (issue 20).

``FrameParser`` never raises: any bytes, split anywhere, give the same frames
and the same recorded error (close code and words) as the bytes fed whole,
and a partial frame never holds more than the frame limit.
``MessageAssembler`` turns any frame sequence into messages or a
``WebSocketError`` with 1002, 1007 or 1009, and rebuilds fragmented and
compressed messages exactly; a deflate bomb fails with 1009 without ever
inflating much past the message limit.
"""

from __future__ import annotations

import os
import tracemalloc
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jackfield.plugins.websocket import WebSocketError
from jackfield.plugins.websocket._assembler import MessageAssembler
from jackfield.plugins.websocket._deflate import Inflater
from jackfield.plugins.websocket._frames import FrameParser, unmask

from ...fuzzing import PROFILE

assert PROFILE  # importing tests.fuzzing loaded the hypothesis profile

CODES = {1002, 1007, 1009}


def client_frame(b0: int, payload: bytes, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    """One masked frame as a client sends it."""
    n = len(payload)
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + unmask(payload, mask)


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> list[bytes]:
    points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


first_bytes = st.one_of(
    st.sampled_from([0x81, 0x82, 0x01, 0x02, 0x00, 0x80, 0x88, 0x89, 0x8A, 0xC1, 0xC2]),
    st.integers(0, 255),
)
payloads = st.one_of(st.binary(max_size=140), st.binary(max_size=4).map(lambda b: b * 100))
frame_lists = st.lists(
    st.builds(client_frame, first_bytes, payloads, st.binary(min_size=4, max_size=4)), max_size=5
)
streams = st.one_of(
    st.binary(max_size=200),
    frame_lists.map(b"".join),
    st.tuples(frame_lists.map(b"".join), st.binary(max_size=12)).map(lambda t: t[0] + t[1]),
)
parser_options = st.fixed_dictionaries(
    {
        "max_size": st.sampled_from([0, 64, 1024]),
        "require_mask": st.booleans(),
        "allow_rsv1": st.booleans(),
    }
)


def parse(pieces: list[bytes], options: dict[str, object]) -> tuple[list[tuple[int, bytes]], str]:
    parser = FrameParser(**options)  # type: ignore[arg-type]
    frames = []
    limit = int(options["max_size"]) or 2**63  # type: ignore[call-overload]
    for piece in pieces:
        frames += parser.feed(piece)  # never raises
        assert parser.buffered <= limit + 14, "a partial frame holds more than the frame limit"
    error = parser.error
    if error is not None:
        assert error.code in {1002, 1009}, error
        assert parser.feed(b"\x81\x80abcd") == [], "nothing is parsed after an error"
    return frames, repr(error)


@given(streams, parser_options, st.data())
def test_frames_and_errors_are_the_same_however_the_bytes_are_split(
    data: bytes, options: dict[str, object], st_data: st.DataObject
) -> None:
    whole = parse([data], options)
    assert parse(st_data.draw(cut(data)), options) == whole
    assert parse([data[i : i + 1] for i in range(len(data))], options) == whole


valid_frames = st.one_of(
    st.tuples(st.sampled_from([0x81, 0x82, 0x01, 0x80]), payloads),
    st.tuples(st.sampled_from([0x89, 0x8A]), st.binary(max_size=125)),  # control: <= 125 bytes
)


@given(st.lists(valid_frames, max_size=6), st.data())
def test_valid_frames_come_back_as_sent(
    frames: list[tuple[int, bytes]], st_data: st.DataObject
) -> None:
    data = b"".join(client_frame(b0, payload, os.urandom(4)) for b0, payload in frames)
    got, error = parse(
        st_data.draw(cut(data)), {"max_size": 0, "require_mask": True, "allow_rsv1": False}
    )
    assert error == "None"
    assert got == frames


@given(
    st.lists(st.tuples(first_bytes, payloads), max_size=8),
    st.sampled_from([0, 100]),
    st.booleans(),
)
def test_any_frame_sequence_gives_messages_or_a_close_code(
    frames: list[tuple[int, bytes]], max_size: int, deflate: bool
) -> None:
    assembler = MessageAssembler(max_size=max_size, inflater=Inflater() if deflate else None)
    try:
        for b0, payload in frames:
            message = assembler.frame(b0, payload)
            # A single plain frame is bounded by FrameParser's limit; what the
            # assembler builds (fragments, inflated data) by max_size.
            built = b0 & 0x40 or not b0 & 0x80 or b0 & 0x0F == 0
            if message is not None and max_size and built and b0 & 0x0F < 8:
                assert len(message.data) <= max_size  # str: code points <= bytes
    except WebSocketError as exc:
        assert exc.code in CODES, exc


def _client_deflate(message: bytes, fragments: list[int]) -> list[bytes]:
    """Compress one message as a client would (§7.2.1) and cut it into fragments."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = data.removesuffix(b"\x00\x00\xff\xff")
    points = sorted(min(p, len(data)) for p in fragments)
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(
    st.lists(
        st.tuples(
            st.binary(max_size=300) | st.binary(max_size=3).map(lambda b: b * 300),
            st.lists(st.integers(0, 400), max_size=3),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_compressed_fragmented_messages_come_back_whole(
    messages: list[tuple[bytes, list[int], bool]],
) -> None:
    assembler = MessageAssembler(max_size=0, inflater=Inflater())
    for message, fragments, text in messages:
        if text:
            message = message.decode("latin-1").encode("utf-8")
        pieces = _client_deflate(message, fragments)
        opcode = 0x01 if text else 0x02
        got = None
        for i, piece in enumerate(pieces):
            b0 = (opcode | 0x40) if i == 0 else 0x00
            if i == len(pieces) - 1:
                b0 |= 0x80
            got = assembler.frame(b0, piece)
            assert (got is None) == (i < len(pieces) - 1)
        assert got is not None
        assert got.data == (message.decode("utf-8") if text else message)


BOMB = _client_deflate(bytes(64 * 1024**2), [])[0]
LIMIT = 1024**2


@pytest.mark.parametrize("fragmented", [False, True], ids=["one-frame", "fragments"])
def test_a_deflate_bomb_is_1009_and_stays_bounded(fragmented: bool) -> None:
    assert len(BOMB) < 128 * 1024  # 64 MiB of zeros
    assembler = MessageAssembler(max_size=LIMIT, inflater=Inflater())
    pieces = [BOMB[i : i + 4096] for i in range(0, len(BOMB), 4096)] if fragmented else [BOMB]
    tracemalloc.start()
    try:
        with pytest.raises(WebSocketError) as failed:
            for i, piece in enumerate(pieces):
                b0 = (0x42 if i == 0 else 0x00) | (0x80 if i == len(pieces) - 1 else 0)
                assembler.frame(b0, piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert failed.value.code == 1009
    assert peak < 4 * LIMIT, f"inflating a bomb peaked at {peak} bytes"


@given(st.binary(max_size=200), st.booleans(), st.sampled_from([0, 50]))
def test_any_compressed_payload_inflates_or_fails_with_1007_or_1009(
    payload: bytes, final: bool, limit: int
) -> None:
    try:
        out = Inflater().inflate(payload, final=final, limit=limit)
    except WebSocketError as exc:
        assert exc.code in {1007, 1009}, exc
    else:
        assert not limit or len(out) <= limit
