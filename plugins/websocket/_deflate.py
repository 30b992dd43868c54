"""permessage-deflate (RFC 7692): negotiation, and compressing whole messages.

The server accepts the first offer it can honour and answers with the
parameters both sides then follow. Messages are raw deflate (``wbits`` < 0)
ending in a sync flush whose four trailing bytes ``00 00 ff ff`` are dropped
on the wire (§7.2.1) and put back before inflating (§7.2.2).

Context takeover: without ``server_no_context_takeover`` one compressor lives
as long as the connection, so later messages refer back to earlier ones. With
it, each message ends in a full flush, which empties the window exactly as a
new compressor would, without paying for one (a compressor costs ~256 KiB).
The inflater always uses a 32 KiB window, which reads anything a client with
a smaller ``client_max_window_bits`` sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Final

import attrs

from ._message import WebSocketError

__all__ = ["EXTENSION", "DeflateParams", "Deflater", "Inflater", "negotiate"]

EXTENSION: Final = "permessage-deflate"
_TAIL: Final = b"\x00\x00\xff\xff"
# zlib turns a raw-deflate window of 8 bits into 9, which a peer that asked
# for 8 could not read; such an offer is declined instead (RFC 7692 §7.1.2.1).
_MIN_SERVER_BITS: Final = 9
# Messages are short and latency counts: level 1 costs a third of level 6 on a
# 1 KiB message and compresses chat-like text nearly as well (bench/ws_echo.py).
_LEVEL: Final = 1


@attrs.frozen
class DeflateParams:
    """The permessage-deflate parameters agreed on for one connection."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int | None = None
    """Echoed only when the client gave a value; the inflater does not need it."""

    def response_header(self) -> str:
        """Return the ``Sec-WebSocket-Extensions`` value that accepts these parameters."""
        parts = [EXTENSION]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits != 15:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits is not None:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


def _window_bits(value: str | None, *, optional: bool) -> int | None:
    """Parse a window-bits value (8..15); None when absent and allowed; raise ValueError."""
    if value is None:
        if optional:
            return None
        raise ValueError("needs a value")
    value = value.strip('"')
    if not value.isdigit() or not 8 <= int(value) <= 15:
        raise ValueError(f"{value!r} is not in 8..15")
    return int(value)


def _accept(params: list[tuple[str, str | None]]) -> DeflateParams | None:
    """Return what we agree to for one offer, or None to decline it."""
    seen: dict[str, str | None] = {}
    for name, value in params:
        if name in seen:
            return None  # a repeated parameter makes the offer invalid (§7.1)
        seen[name] = value
    try:
        server_bits = 15
        client_bits: int | None = None
        for name, value in seen.items():
            if name in ("server_no_context_takeover", "client_no_context_takeover"):
                if value is not None:
                    return None
            elif name == "server_max_window_bits":
                server_bits = _window_bits(value, optional=False) or 15
            elif name == "client_max_window_bits":
                client_bits = _window_bits(value, optional=True)
            else:
                return None  # unknown parameter: decline this offer
    except ValueError:
        return None
    if server_bits < _MIN_SERVER_BITS:
        return None
    return DeflateParams(
        server_no_context_takeover="server_no_context_takeover" in seen,
        client_no_context_takeover="client_no_context_takeover" in seen,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
    )


def parse_offers(values: Iterable[str]) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Split ``Sec-WebSocket-Extensions`` values into ``(name, [(param, value)])`` offers."""
    offers: list[tuple[str, list[tuple[str, str | None]]]] = []
    for value in values:
        for item in value.split(","):
            name, *raw_params = (p.strip() for p in item.split(";"))
            if not name:
                continue
            params: list[tuple[str, str | None]] = []
            for raw in raw_params:
                key, eq, val = raw.partition("=")
                params.append((key.strip().lower(), val.strip() if eq else None))
            offers.append((name.lower(), params))
    return offers


def negotiate(values: Iterable[str]) -> DeflateParams | None:
    """Return the parameters of the first permessage-deflate offer we accept, or None."""
    for name, params in parse_offers(values):
        if name == EXTENSION:
            accepted = _accept(params)
            if accepted is not None:
                return accepted
    return None


class Deflater:
    """Compresses whole messages for one connection (the server's direction)."""

    __slots__ = ("_compressor", "_flush")

    def __init__(self, params: DeflateParams, level: int = _LEVEL) -> None:
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -params.server_max_window_bits)
        self._flush = zlib.Z_FULL_FLUSH if params.server_no_context_takeover else zlib.Z_SYNC_FLUSH

    def compress(self, data: bytes) -> bytes:
        """Return the payload of one compressed message (without the flush tail)."""
        compressor = self._compressor
        out = compressor.compress(data) + compressor.flush(self._flush)
        # A sync or full flush always ends with the empty stored block 00 00 ff ff.
        return out[:-4] if out.endswith(_TAIL) else out


class Inflater:
    """Decompresses messages from the client, never past a size limit."""

    __slots__ = ("_decompressor",)

    def __init__(self) -> None:
        self._decompressor = zlib.decompressobj(-15)

    def inflate(self, data: bytes, *, final: bool, limit: int) -> bytes:
        """Return the inflated piece of a message; ``limit`` (0: none) bounds its size.

        ``final`` marks the message's last frame. Raises ``WebSocketError``:
        1009 past the limit, 1007 for data that is not deflate.
        """
        if final:
            data += _TAIL
        decompressor = self._decompressor
        try:
            if limit:
                out = decompressor.decompress(data, limit + 1)
                if len(out) > limit or decompressor.unconsumed_tail:
                    raise WebSocketError(
                        1009, f"message inflates to more than the limit of {limit} bytes"
                    )
            else:
                out = decompressor.decompress(data)
        except zlib.error as exc:
            raise WebSocketError(
                1007, f"compressed message is not valid deflate data: {exc}"
            ) from None
        if decompressor.eof:
            # The client ended its deflate stream (BFINAL); the next message starts a new one.
            self._decompressor = zlib.decompressobj(-15)
        return out
