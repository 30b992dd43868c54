"""Content-Encoding and Content-Transfer-Encoding decoders, and the body sources on them."""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterator

import pytest

from jackfield.bodies import _decoding
from jackfield.bodies._decoding import (
    OUT_CHUNK,
    BytesSource,
    DecodedSource,
    Decoder,
    LimitedSource,
    content_decoder,
    supported_codings,
    transfer_decoder,
)
from jackfield.responses.exceptions import (
    HTTPBadRequest,
    HTTPRequestEntityTooLarge,
    HTTPUnsupportedMediaType,
)
from jackfield.testing.testing import make_mocked_request

try:
    import brotli
except ImportError:  # pragma: no cover - optional
    brotli = None

PAYLOAD = b"".join(b"line %d of the payload\n" % i for i in range(5000))


def run(decoder: Decoder, data: bytes, step: int | None = None) -> bytes:
    """Feed ``data`` whole (or in ``step``-byte pieces) and return the joined output."""
    pieces: list[bytes] = []
    chunks: Iterator[bytes] = (
        iter([data]) if step is None else (data[i : i + step] for i in range(0, len(data), step))
    )
    for chunk in chunks:
        pieces.extend(decoder.feed(chunk))
    pieces.extend(decoder.finish())
    assert all(len(p) <= OUT_CHUNK for p in pieces)
    return b"".join(pieces)


def decoder_for(value: str) -> Decoder:
    decoder = content_decoder(value)
    assert decoder is not None
    return decoder


CODED = {
    "gzip": gzip.compress(PAYLOAD),
    "x-gzip": gzip.compress(PAYLOAD),
    "deflate": zlib.compress(PAYLOAD),
}


@pytest.mark.parametrize("coding", sorted(CODED))
@pytest.mark.parametrize("step", [None, 1, 7, 4096], ids=["whole", "bytewise", "7", "4096"])
def test_content_codings_decode_however_chunked(coding: str, step: int | None) -> None:
    assert run(decoder_for(coding), CODED[coding], step) == PAYLOAD


def test_raw_deflate_without_zlib_header_is_accepted() -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    data = raw.compress(PAYLOAD) + raw.flush()
    assert run(decoder_for("deflate"), data, 1000) == PAYLOAD


def test_concatenated_gzip_members_decode_in_order() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert run(decoder_for("gzip"), data, 5) == b"first second"


def test_stacked_codings_are_removed_last_first() -> None:
    data = zlib.compress(gzip.compress(PAYLOAD))  # gzip applied, then deflate
    assert run(decoder_for("gzip, deflate"), data, 333) == PAYLOAD


def test_identity_and_absent_coding_need_no_decoder() -> None:
    assert content_decoder(None) is None
    assert content_decoder("") is None
    assert content_decoder("identity") is None
    assert "gzip" in supported_codings()


def test_a_small_body_cannot_expand_into_one_huge_piece() -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20))  # 64 MiB from ~64 KiB
    decoder = decoder_for("gzip")
    pieces = decoder.feed(bomb)
    first = next(pieces)
    assert len(first) <= OUT_CHUNK  # output comes a piece at a time, never at once


@pytest.mark.parametrize(
    ("coding", "data"),
    [
        pytest.param("gzip", gzip.compress(PAYLOAD)[:-10], id="gzip-truncated"),
        pytest.param("gzip", b"\x1f\x8b\x08garbage-garbage", id="gzip-corrupt"),
        pytest.param("gzip", gzip.compress(b"x") + b"trailing junk", id="gzip-trailing-junk"),
        pytest.param("deflate", zlib.compress(PAYLOAD)[:-3], id="deflate-truncated"),
        pytest.param("deflate", b"x", id="deflate-one-byte"),
        pytest.param("deflate", zlib.compress(b"x") + b"more", id="deflate-trailing-data"),
    ],
)
def test_corrupt_coded_data_is_400(coding: str, data: bytes) -> None:
    with pytest.raises(HTTPBadRequest) as info:
        run(decoder_for(coding), data)
    assert info.value.status == 400
    assert coding in info.value.text


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("compress", id="unknown-coding"),
        pytest.param("gzip, zstd", id="unknown-in-list"),
        pytest.param("gzip, gzip, gzip, gzip", id="too-many-codings"),
    ],
)
def test_unsupported_content_coding_is_415(value: str) -> None:
    with pytest.raises(HTTPUnsupportedMediaType) as info:
        content_decoder(value)
    assert info.value.status == 415


def test_br_is_refused_with_415_when_brotli_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_decoding, "_brotli", None)
    with pytest.raises(HTTPUnsupportedMediaType) as info:
        content_decoder("br")
    assert "gzip" in info.value.text
    assert "br" not in supported_codings()


@pytest.mark.skipif(brotli is None, reason="brotli is not installed")
def test_br_decodes_in_bounded_pieces() -> None:
    data = brotli.compress(b"\0" * (8 * 2**20))  # a few hundred bytes
    assert run(decoder_for("br"), data) == b"\0" * (8 * 2**20)
    with pytest.raises(HTTPBadRequest) as info:
        run(decoder_for("br"), brotli.compress(PAYLOAD)[:-4])
    assert "br" in info.value.text


# -- Content-Transfer-Encoding


@pytest.mark.parametrize("step", [None, 1, 3, 77])
def test_base64_decodes_across_chunks_and_line_breaks(step: int | None) -> None:
    encoded = base64.encodebytes(PAYLOAD[:3000])  # 76-column lines with LF
    decoder = transfer_decoder("BASE64")
    assert decoder is not None
    assert run(decoder, encoded, step) == PAYLOAD[:3000]


@pytest.mark.parametrize("step", [None, 1, 2, 5])
def test_quoted_printable_decodes_across_chunks(step: int | None) -> None:
    text = "naïve café = 100% — a long line ".encode() * 20
    encoded = binascii.b2a_qp(text)
    decoder = transfer_decoder("quoted-printable")
    assert decoder is not None
    assert run(decoder, encoded, step) == text


@pytest.mark.parametrize("value", [None, "", "binary", "7bit", "8BIT"])
def test_identity_transfer_encodings_need_no_decoder(value: str | None) -> None:
    assert transfer_decoder(value) is None


@pytest.mark.parametrize(
    ("value", "data", "error"),
    [
        pytest.param("x-uuencode", b"", HTTPUnsupportedMediaType, id="unknown-cte"),
        pytest.param("base64", b"abc", HTTPBadRequest, id="base64-bad-length"),
        pytest.param("base64", b"ab!d", HTTPBadRequest, id="base64-bad-alphabet"),
    ],
)
def test_bad_transfer_encoding(value: str, data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decoder = transfer_decoder(value)
        assert decoder is not None
        run(decoder, data)


# -- sources


class Pieces:
    def __init__(self, *pieces: bytes) -> None:
        self.pieces = list(pieces)

    async def readany(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


async def drain(source: _decoding.Readable) -> list[bytes]:
    out = []
    while piece := await source.readany():
        out.append(piece)
    return out


async def test_decoded_source_streams_bounded_pieces() -> None:
    data = gzip.compress(b"a" * (OUT_CHUNK * 3 + 5))
    pieces = await drain(DecodedSource(Pieces(data[:10], data[10:]), decoder_for("gzip")))
    assert b"".join(pieces) == b"a" * (OUT_CHUNK * 3 + 5)
    assert max(map(len, pieces)) <= OUT_CHUNK
    assert len(pieces) >= 4


async def test_limited_source_raises_as_soon_as_the_total_passes() -> None:
    seen: list[int] = []

    def too_large(total: int) -> Exception:
        seen.append(total)
        return ValueError(total)

    source = LimitedSource(Pieces(b"12345", b"678", b"9"), 8, too_large)
    assert await source.readany() == b"12345"
    assert await source.readany() == b"678"
    with pytest.raises(ValueError):
        await source.readany()
    assert seen == [9]


async def test_bytes_source_gives_everything_once() -> None:
    assert await drain(BytesSource(b"abc")) == [b"abc"]


# -- request.read() decodes


async def test_read_removes_content_encoding() -> None:
    request = make_mocked_request(
        "POST", "/", {"Content-Encoding": "gzip"}, body=gzip.compress(PAYLOAD)
    )
    assert await request.read() == PAYLOAD
    assert await request.text() == PAYLOAD.decode()


async def test_read_counts_the_decoded_size_against_client_max_size() -> None:
    body = gzip.compress(b"\0" * (10 * 2**20))
    request = make_mocked_request(
        "POST", "/", {"Content-Encoding": "gzip"}, body=body, client_max_size=2**20
    )
    with pytest.raises(HTTPRequestEntityTooLarge) as info:
        await request.read()
    assert "1048576" in info.value.text


async def test_read_with_unknown_content_encoding_is_415() -> None:
    request = make_mocked_request("POST", "/", {"Content-Encoding": "zstd"}, body=b"xx")
    with pytest.raises(HTTPUnsupportedMediaType) as info:
        await request.read()
    assert "zstd" in info.value.text


async def test_content_stays_coded() -> None:
    body = gzip.compress(b"hello")
    request = make_mocked_request("POST", "/", {"Content-Encoding": "gzip"}, body=body)
    assert await request.content.read() == body
