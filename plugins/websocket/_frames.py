"""RFC 6455 framing, sans-IO: bytes in, frames out; frames in, bytes out.

``FrameParser`` checks everything a single frame header can break (reserved
bits, opcodes, masking, control-frame rules, lengths) and records a
``WebSocketError`` with the close code to send in ``error``, after returning
the good frames that came before the bad one; it never imports asyncio.
Message-level rules (fragment order, UTF-8, close payloads, sizes after
decompression) belong to ``_assembler``.

Invariants: a frame is returned only when its whole payload has arrived, and
a partial frame is kept in one ``bytearray`` that grows until the frame is
complete, so a large frame arriving in many pieces is copied once, not once
per piece. A frame that announces more than the limit fails before its
payload is buffered.

Speed: this is the per-message hot path of a pure-Python server, so the loop
keeps state in locals, checks the first byte with one table lookup and
unmasks with the ``websockets`` package's C loop when it is installed, with
big-int XOR or strided translates otherwise (``unmask``; bench/ws_echo.py
measures it).
"""

from __future__ import annotations

import importlib
import os
import struct
from collections.abc import Callable
from typing import Final

from ._message import WebSocketError

__all__ = [
    "HEAD_MEDIUM",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONTINUATION",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "Frame",
    "FrameParser",
    "build_frame",
    "close_payload",
    "unmask",
    "xor_mask",
]

OP_CONTINUATION: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9
OP_PONG: Final = 0xA
_OPCODES: Final = frozenset((0x0, 0x1, 0x2, 0x8, 0x9, 0xA))

_PROTOCOL_ERROR: Final = 1002
_MESSAGE_TOO_BIG: Final = 1009

Frame = tuple[int, bytes]
"""``(first byte, payload)``: FIN is bit 7, RSV1 bit 6, the opcode the low nibble;
the payload is unmasked."""

# XOR by bytes.translate: one 256-byte table per mask byte value, built once.
_XOR_TABLES: Final = [bytes(b ^ k for b in range(256)) for k in range(256)]
# Up to this size one big-int XOR beats four strided translates. Counted with
# callgrind on 3.11, unmask() alone in the compiled build: 7k against 12k
# instructions at 64 bytes, even at 512, but 40k against 30k at 1 KiB and 79k
# against 51k at 2 KiB (the int conversions cost ~25 instructions a byte). A
# 1 KiB echo without the C helper below (bench/ws_inproc.py --batch 8): 68.9k
# -> 56.7k instructions per message compiled, 81.5k -> 72.2k pure.
_INT_XOR_MAX: Final = 512
# Per payload length n: (the integer with a 1 every 32 bits over n bytes, the n-byte
# all-ones mask, or 0 when n is a multiple of 4 and nothing needs cutting). Multiplying
# the mask by the first beats repeating it as bytes; the cache stays under ~1 MiB.
_REPEAT: dict[int, tuple[int, int]] = {}
_REPEAT_MAX: Final = 256


def _repeat(n: int) -> tuple[int, int]:
    if len(_REPEAT) >= _REPEAT_MAX:
        _REPEAT.clear()
    ones = sum(1 << (32 * i) for i in range((n + 3) >> 2))
    found = _REPEAT[n] = (ones, (1 << (8 * n)) - 1 if n & 3 else 0)
    return found


def xor_mask(data: bytes, mask: bytes) -> bytes:
    """Return ``data`` XOR-ed with the 4-byte ``mask`` repeated, in Python (RFC 6455 §5.3)."""
    n = len(data)
    if n <= _INT_XOR_MAX:
        ones, width = _REPEAT.get(n) or _repeat(n)
        key = int.from_bytes(mask, "little") * ones
        if width:
            key &= width
        return (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")
    out = bytearray(data)
    for i in range(4):
        out[i::4] = out[i::4].translate(_XOR_TABLES[mask[i]])
    return bytes(out)


def _c_apply_mask() -> Callable[[bytes, bytes], bytes] | None:
    """The ``websockets`` package's C ``apply_mask``, if installed and extensions are allowed.

    ``JACKFIELD_NO_EXTENSIONS`` (see ``jackfield._extensions``) turns it off
    with the rest of the compiled code.
    """
    if os.environ.get("JACKFIELD_NO_EXTENSIONS"):
        return None
    try:
        # By name: the compiled build type-checks its imports, and websockets is optional.
        speedups = importlib.import_module("websockets.speedups")
    except ImportError:
        return None
    apply_mask: Callable[[bytes, bytes], bytes] = speedups.apply_mask
    return apply_mask


# Unmasking is the one step of a frame that touches every byte, and Python has
# no bulk XOR: xor_mask costs ~30k instructions for 1 KiB even compiled (2.0 us
# against 0.14 us for the C loop, timeit, 3.11), a quarter of a compiled echoed
# 1 KiB message. aiohttp unmasks in C too; rather than ship C of our own, we use
# the C helper of the websockets package when it is installed.
_C_APPLY_MASK: Final = _c_apply_mask()


def unmask(data: bytes, mask: bytes) -> bytes:
    """Return ``data`` XOR-ed with the 4-byte ``mask`` repeated (RFC 6455 §5.3)."""
    if _C_APPLY_MASK is not None:
        return _C_APPLY_MASK(data, mask)
    return xor_mask(data, mask)


def _first_byte_ok(b0: int, allow_rsv1: bool) -> bool:
    """Whether a frame's first byte (FIN, RSV1-3, opcode) is acceptable on its own."""
    opcode = b0 & 0x0F
    if b0 & 0x30 or opcode not in _OPCODES:
        return False
    if b0 & 0x40 and not (allow_rsv1 and opcode in (OP_TEXT, OP_BINARY)):
        return False
    return not (opcode >= OP_CLOSE and not b0 & 0x80)


class FrameParser:
    """Turns the bytes a client sends into frames, checking each header.

    ``max_size`` bounds one frame's payload (0: no bound); ``require_mask``
    makes unmasked frames an error (clients must mask, RFC 6455 §5.1);
    ``allow_rsv1`` allows RSV1 on the first frame of a data message (set
    when permessage-deflate was negotiated).
    """

    __slots__ = (
        "_allow_rsv1",
        "_buf",
        "_first_ok",
        "_max_size",
        "_need",
        "_peeked",
        "_require_mask",
        "error",
    )

    def __init__(
        self, *, max_size: int = 0, require_mask: bool = True, allow_rsv1: bool = False
    ) -> None:
        self._max_size = max_size or 2**63
        self._require_mask = require_mask
        self._allow_rsv1 = allow_rsv1
        # One lookup per frame instead of five tests (the first byte has 256 values).
        self._first_ok = tuple(_first_byte_ok(b0, allow_rsv1) for b0 in range(256))
        self._buf = bytearray()
        self._need = 0
        # Payload bytes of the buffered, incomplete frame already handed out by partial().
        self._peeked = 0
        self.error: WebSocketError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held for a frame that is not complete yet."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Return the frames ``data`` completes (maybe none).

        A bad frame sets ``error`` (a ``WebSocketError``) instead of raising, so
        the good frames before it in the same chunk are still returned; once
        ``error`` is set, nothing more is parsed. Hot path: one call per
        ``data_received``, one loop turn per frame; one function, not two,
        because a call is a noticeable part of a small frame's cost.
        """
        frames: list[Frame] = []
        if self.error is not None:
            return frames
        try:
            buf = self._buf
            if buf:
                buf += data
                if len(buf) < self._need:
                    return frames
                data = bytes(buf)
                buf.clear()
                # A frame partial() unmasked part of: finish it here, the loop would
                # unmask that part a second time.
                pos = self._complete(data, frames) if self._peeked else 0
            else:
                pos = 0
            append = frames.append
            first_ok = self._first_ok
            max_size = self._max_size
            end = len(data)
            while end - pos >= 2:
                b0 = data[pos]
                b1 = data[pos + 1]
                if not first_ok[b0]:
                    self._reject(b0)
                length = b1 & 0x7F
                if length < 126:
                    start = pos + 2
                elif b0 & 0x08:
                    raise WebSocketError(
                        _PROTOCOL_ERROR,
                        f"control frame payload over 125 bytes (opcode {b0 & 0x0F:#x})",
                    )
                elif length == 126:
                    if end - pos < 4:
                        self._need = 4
                        break
                    length = (data[pos + 2] << 8) | data[pos + 3]
                    start = pos + 4
                else:
                    if end - pos < 10:
                        self._need = 10
                        break
                    length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                    start = pos + 10
                    if length >> 63:
                        raise WebSocketError(
                            _PROTOCOL_ERROR, "frame length has its most significant bit set"
                        )
                if length > max_size:
                    raise WebSocketError(
                        _MESSAGE_TOO_BIG,
                        f"frame of {length} bytes is over the limit of {max_size} bytes",
                    )
                if b1 & 0x80:
                    stop = start + 4 + length
                    if stop > end:
                        self._need = stop - pos
                        break
                    append((b0, unmask(data[start + 4 : stop], data[start : start + 4])))
                elif self._require_mask:
                    raise WebSocketError(_PROTOCOL_ERROR, "client frames must be masked")
                else:
                    stop = start + length
                    if stop > end:
                        self._need = stop - pos
                        break
                    append((b0, data[start:stop]))
                pos = stop
            else:
                self._need = 2
            if pos < end:
                buf += data[pos:]
        except WebSocketError as exc:
            self.error = exc
            self._buf.clear()
        return frames

    def partial(self) -> tuple[int, bytes, bool] | None:
        """Return what arrived of the incomplete frame since the last call, or None.

        The result is ``(first byte, unmasked payload bytes, first call for this
        frame)``; None when no payload byte arrived since. It lets the reader
        check a large text frame while it arrives (UTF-8 fails fast, as
        Autobahn|Testsuite 6.4.3/6.4.4 require) instead of once it is complete.
        The bytes are unmasked in the buffer, where the frame's completion finds
        them, so each payload byte is handed out and unmasked once.
        """
        buf = self._buf
        n = len(buf)
        if n < 2 or self.error is not None:
            return None
        # Not _layout(): the extended length may not have arrived yet.
        b1 = buf[1]
        start = _HEAD_SIZES[b1 & 0x7F] + (4 if b1 & 0x80 else 0)
        peeked = self._peeked
        begin = start + peeked
        if n <= begin:
            return None
        chunk = bytes(buf[begin:])
        if b1 & 0x80:
            chunk = unmask(chunk, _mask_from(buf, start, peeked))
            buf[begin:] = chunk
        self._peeked = n - start
        return buf[0], chunk, not peeked

    def _complete(self, data: bytes, frames: list[Frame]) -> int:
        """Append the frame at the start of ``data``, whose first ``_peeked`` payload
        bytes partial() unmasked already; return where the frame ends."""
        start, length = _layout(data)
        peeked = self._peeked
        self._peeked = 0
        stop = start + length
        payload = data[start:stop]
        if data[1] & 0x80:
            rest = unmask(payload[peeked:], _mask_from(data, start, peeked))
            payload = payload[:peeked] + rest
        frames.append((data[0], payload))
        return stop

    def _reject(self, b0: int) -> None:
        opcode = b0 & 0x0F
        if b0 & 0x30:
            raise WebSocketError(_PROTOCOL_ERROR, f"reserved bits RSV2/RSV3 set ({b0:#04x})")
        if opcode not in _OPCODES:
            raise WebSocketError(_PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
        if b0 & 0x40 and not self._allow_rsv1:
            raise WebSocketError(_PROTOCOL_ERROR, "RSV1 set but no extension was negotiated")
        if b0 & 0x40:
            raise WebSocketError(
                _PROTOCOL_ERROR, "RSV1 set on a frame that does not start a data message"
            )
        raise WebSocketError(_PROTOCOL_ERROR, f"fragmented control frame (opcode {opcode:#x})")


# Header size without the mask key, by the 7-bit length field.
_HEAD_SIZES: Final = (2,) * 126 + (4, 10)


def _layout(head: bytes | bytearray) -> tuple[int, int]:
    """Where the payload of the frame at the start of ``head`` begins, and its length
    (the header must be complete and checked)."""
    b1 = head[1]
    length = b1 & 0x7F
    start = 2
    if length == 126:
        length = (head[2] << 8) | head[3]
        start = 4
    elif length == 127:
        length = int.from_bytes(head[2:10], "big")
        start = 10
    return (start + 4 if b1 & 0x80 else start), length


def _mask_from(head: bytes | bytearray, start: int, offset: int) -> bytes:
    """The mask key of the frame whose payload begins at ``start``, turned to apply
    from payload byte ``offset`` on."""
    turn = offset & 3
    return bytes(head[start - 4 + turn : start]) + bytes(head[start - 4 : start - 4 + turn])


_HEAD_SHORT: Final = struct.Struct("!BB")
HEAD_MEDIUM: Final = struct.Struct("!BBH")
"""Header of a frame of 126..65535 bytes: first byte, 126, the 16-bit length."""
_HEAD_LONG: Final = struct.Struct("!BBQ")


def frame_head(first: int, length: int) -> bytes:
    """Return an unmasked frame header: ``first`` is FIN|RSV|opcode, then the length."""
    if length < 126:
        return _HEAD_SHORT.pack(first, length)
    if length < 65536:
        return HEAD_MEDIUM.pack(first, 126, length)
    return _HEAD_LONG.pack(first, 127, length)


def build_frame(opcode: int, payload: bytes, *, rsv1: bool = False) -> bytes:
    """Return one final, unmasked frame (what a server sends)."""
    return frame_head(0x80 | (0x40 if rsv1 else 0) | opcode, len(payload)) + payload


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    """Return a close frame's payload: the code in network order, then the reason."""
    if code is None:
        return b""
    return code.to_bytes(2, "big") + reason
