"""permessage-deflate: which offers are accepted, and what goes over the wire."""

from __future__ import annotations

import zlib

import pytest

from jackfield.plugins.websocket import WebSocketError
from jackfield.plugins.websocket._deflate import DeflateParams, Deflater, Inflater, negotiate


@pytest.mark.parametrize(
    ("offers", "answer"),
    [
        (["permessage-deflate"], "permessage-deflate"),
        (["permessage-deflate; client_max_window_bits"], "permessage-deflate"),
        (
            ["permessage-deflate; client_max_window_bits=10"],
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            ["permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        (
            ['permessage-deflate; server_max_window_bits="12"'],
            "permessage-deflate; server_max_window_bits=12",
        ),
        (
            ["permessage-deflate; server_max_window_bits=8, permessage-deflate"],
            "permessage-deflate",
        ),
        (["x-webkit-deflate-frame", "permessage-deflate"], "permessage-deflate"),
    ],
    ids=[
        "plain",
        "client-bits-without-value",
        "client-bits-echoed",
        "no-context-takeover-both",
        "server-bits-quoted",
        "bits-8-declined-next-offer-taken",
        "second-header-line",
    ],
)
def test_accepted_offers(offers: list[str], answer: str) -> None:
    params = negotiate(offers)
    assert params is not None
    assert params.response_header() == answer


@pytest.mark.parametrize(
    "offer",
    [
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown_param",
        "x-webkit-deflate-frame",
    ],
    ids=[
        "server-bits-without-value",
        "server-bits-too-large",
        "server-bits-8-zlib-cannot",
        "client-bits-not-a-number",
        "flag-with-value",
        "repeated-parameter",
        "unknown-parameter",
        "other-extension",
    ],
)
def test_declined_offers(offer: str) -> None:
    assert negotiate([offer]) is None


def inflate_stream(messages: list[bytes]) -> list[bytes]:
    """Decompress wire payloads the way a client keeping context would."""
    d = zlib.decompressobj(-15)
    return [d.decompress(m + b"\x00\x00\xff\xff") for m in messages]


def test_deflater_keeps_context_between_messages() -> None:
    deflater = Deflater(DeflateParams())
    first, second = deflater.compress(b"repeat me " * 20), deflater.compress(b"repeat me " * 20)
    assert len(second) < len(first)  # refers back to the first message
    assert inflate_stream([first, second]) == [b"repeat me " * 20] * 2


def test_deflater_without_context_takeover_makes_standalone_messages() -> None:
    deflater = Deflater(DeflateParams(server_no_context_takeover=True))
    deflater.compress(b"repeat me " * 20)
    second = deflater.compress(b"repeat me " * 20)
    # A fresh decompressor must read it: nothing refers to the first message.
    assert zlib.decompressobj(-15).decompress(second + b"\x00\x00\xff\xff") == b"repeat me " * 20


def test_deflater_honours_server_max_window_bits() -> None:
    deflater = Deflater(DeflateParams(server_max_window_bits=9))
    data = bytes(range(256)) * 64
    payload = deflater.compress(data)
    assert zlib.decompressobj(-9).decompress(payload + b"\x00\x00\xff\xff") == data


def test_inflater_reads_a_client_that_ended_its_stream() -> None:
    inflater = Inflater()
    for text in (b"one", b"two"):
        comp = zlib.compressobj(wbits=-15)
        payload = comp.compress(text) + comp.flush(zlib.Z_FINISH)  # BFINAL set
        assert inflater.inflate(payload, final=True, limit=0) == text


def test_inflater_rejects_garbage_with_1007() -> None:
    with pytest.raises(WebSocketError) as info:
        Inflater().inflate(b"\xff\xff\xff\xff", final=True, limit=0)
    assert info.value.code == 1007
