"""Content and transfer decoding under hypothesis (issue 20).

Coded data cut into any pieces decodes to what was coded; any bytes either
decode or fail with the 400 the module documents (415 for an unknown coding,
before any byte); and a decompression bomb stays bounded: no piece is over
``OUT_CHUNK`` and a reader that stops at a limit never holds much more than
that limit, whatever the ratio of the coding.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import tracemalloc
import zlib
from collections.abc import Iterator

import brotli
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jackfield.bodies._decoding import OUT_CHUNK, Decoder, content_decoder, transfer_decoder
from jackfield.responses import HTTPException

from ...fuzzing import PROFILE

assert PROFILE  # importing tests.fuzzing loaded the hypothesis profile

ENCODERS = {
    "gzip": lambda d: gzip.compress(d, mtime=0),
    "deflate": zlib.compress,
    "raw-deflate": lambda d: _raw_deflate(d),
    "br": brotli.compress,
}


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(6, zlib.DEFLATED, -15)
    return obj.compress(data) + obj.flush()


def _header(coding: str) -> str:
    return "deflate" if coding == "raw-deflate" else coding


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> list[bytes]:
    points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def pieces_of(decoder: Decoder, chunks: list[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.finish()


@given(
    st.binary(max_size=3000) | st.binary(max_size=20).map(lambda b: b * 500),
    st.lists(st.sampled_from(sorted(ENCODERS)), min_size=1, max_size=3),
    st.data(),
)
def test_coded_data_cut_anywhere_decodes_to_itself(
    content: bytes, codings: list[str], data: st.DataObject
) -> None:
    coded = content
    for coding in codings:
        coded = ENCODERS[coding](coded)
    decoder = content_decoder(", ".join(_header(c) for c in codings))
    assert decoder is not None
    out = list(pieces_of(decoder, data.draw(cut(coded))))
    assert all(len(piece) <= OUT_CHUNK for piece in out)
    assert b"".join(out) == content


@given(
    st.binary(max_size=300)
    | st.sampled_from(sorted(ENCODERS))
    .flatmap(lambda c: st.binary(max_size=200).map(lambda d: ENCODERS[c](d)))
    .flatmap(
        lambda coded: st.integers(0, len(coded)).map(lambda n: coded[:n] + b"\x00" + coded[n + 1 :])
    ),
    st.sampled_from(["gzip", "deflate", "br", "gzip, br", "x-gzip", "deflate, deflate"]),
    st.data(),
)
def test_any_bytes_decode_or_fail_with_400(coded: bytes, value: str, data: st.DataObject) -> None:
    decoder = content_decoder(value)
    assert decoder is not None
    try:
        for piece in pieces_of(decoder, data.draw(cut(coded))):
            assert len(piece) <= OUT_CHUNK
    except HTTPException as exc:
        assert exc.status_code == 400, exc


@given(st.text(max_size=20))
def test_an_unknown_coding_is_415_before_any_byte(value: str) -> None:
    try:
        content_decoder(value)
    except HTTPException as exc:
        assert exc.status_code == 415
    try:
        transfer_decoder(value)
    except HTTPException as exc:
        assert exc.status_code == 415


# -- bombs: a few KiB that inflate to 64 MiB

BOMB_SIZE = 64 * 1024**2
LIMIT = 1024**2


def _bombs() -> dict[str, bytes]:
    zeros = bytes(1024**2)
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 15)
    parts_gz, parts_df = [], []
    for _ in range(BOMB_SIZE // len(zeros)):
        parts_gz.append(gz.compress(zeros))
        parts_df.append(deflate.compress(zeros))
    br = brotli.Compressor(quality=5)
    parts_br = [br.process(zeros) for _ in range(BOMB_SIZE // len(zeros))]
    return {
        "gzip": b"".join(parts_gz) + gz.flush(),
        "deflate": b"".join(parts_df) + deflate.flush(),
        "br": b"".join(parts_br) + br.finish(),
    }


BOMBS = _bombs()


@pytest.mark.parametrize("coding", sorted(BOMBS))
@given(data=st.data())
def test_a_bomb_read_up_to_a_limit_stays_bounded(coding: str, data: st.DataObject) -> None:
    coded = BOMBS[coding]
    assert len(coded) < BOMB_SIZE // 500  # it really is a bomb
    chunks = data.draw(cut(coded))
    decoder = content_decoder(coding)
    assert decoder is not None
    tracemalloc.start()
    try:
        total = 0
        for piece in pieces_of(decoder, chunks):  # a reader that stops past its limit
            assert len(piece) <= OUT_CHUNK
            total += len(piece)
            if total > LIMIT:
                break
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total > LIMIT
    assert peak < 4 * LIMIT, f"decoding a {coding} bomb to {LIMIT} bytes peaked at {peak} bytes"


# -- a multipart part's Content-Transfer-Encoding


@given(st.binary(max_size=300), st.sampled_from(["base64", "quoted-printable"]), st.data())
def test_transfer_coded_data_cut_anywhere_decodes_to_itself(
    content: bytes, coding: str, data: st.DataObject
) -> None:
    # base64 with line breaks, as mail clients send it
    coded = base64.encodebytes(content) if coding == "base64" else binascii.b2a_qp(content)
    decoder = transfer_decoder(coding)
    assert decoder is not None
    assert b"".join(pieces_of(decoder, data.draw(cut(coded)))) == content


@given(st.binary(max_size=200), st.sampled_from(["base64", "quoted-printable"]), st.data())
def test_any_transfer_coded_bytes_decode_alike_however_cut_or_fail_with_400(
    coded: bytes, coding: str, data: st.DataObject
) -> None:
    def decode(chunks: list[bytes]) -> bytes | int:
        decoder = transfer_decoder(coding)
        assert decoder is not None
        try:
            return b"".join(pieces_of(decoder, chunks))
        except HTTPException as exc:
            return exc.status_code

    whole = decode([coded])
    assert whole == 400 or isinstance(whole, bytes)
    assert decode(data.draw(cut(coded))) == whole
