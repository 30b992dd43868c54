"""A deliberately small raw WebSocket client for the tests, independent of the plugin.

It speaks just enough RFC 6455 to open a connection and to send frames no
library would send (unmasked, reserved bits, bad opcodes, fragmented or
oversized control frames), then reads what the server answers. Nothing here
imports ``jackfield.plugins.websocket``, so a bug there cannot hide itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from dataclasses import dataclass

BOUND = 3.0
"""Seconds a read waits before the test fails; generous, never reached when all is well."""

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Frame:
    """One frame read from the server."""

    fin: bool
    rsv: int
    opcode: int
    payload: bytes
    masked: bool

    @property
    def close_code(self) -> int | None:
        """The code of a close frame (None when it carries none)."""
        return int.from_bytes(self.payload[:2], "big") if len(self.payload) >= 2 else None


def handshake_request(path: str = "/ws", *, key: str | None = None, **headers: str) -> bytes:
    """Return an opening handshake; ``headers`` (underscores become dashes) are added."""
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key or base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def expected_accept(key: str) -> str:
    """The Sec-WebSocket-Accept a correct server answers ``key`` with."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = True,
) -> bytes:
    """Return one client frame; ``rsv`` is the 3 reserved bits (4: RSV1, 2: RSV2, 1: RSV3)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = bytes((first, (0x80 if mask else 0) | n))
    elif n < 65536:
        head = bytes((first, (0x80 if mask else 0) | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, (0x80 if mask else 0) | 127)) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_frame(code: int | None = 1000, reason: bytes = b"") -> bytes:
    """Return a masked close frame."""
    payload = b"" if code is None else code.to_bytes(2, "big") + reason
    return frame(0x8, payload)


class RawClient:
    """One raw connection after a successful handshake."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.head = head

    @classmethod
    async def connect(cls, port: int, path: str = "/ws", **headers: str) -> RawClient:
        """Open a connection and complete the handshake (asserting the 101)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(handshake_request(path, **headers))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
        if not head.startswith(b"HTTP/1.1 101 "):
            writer.close()
            raise AssertionError(f"handshake refused: {head!r}")
        return cls(reader, writer, head)

    def send(self, data: bytes) -> None:
        """Write raw bytes (one or more frames, or anything else)."""
        self.writer.write(data)

    async def read_frame(self) -> Frame | None:
        """Return the next frame, or None at end of stream."""
        try:
            b0, b1 = await asyncio.wait_for(self.reader.readexactly(2), BOUND)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.reader.readexactly(8), "big")
            masked = bool(b1 & 0x80)
            if masked:
                await self.reader.readexactly(4)
            payload = await asyncio.wait_for(self.reader.readexactly(n), BOUND)
        except asyncio.IncompleteReadError:
            return None
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload, masked)

    async def read_close(self) -> Frame:
        """Skip data frames until the server's close frame; return it."""
        while True:
            got = await self.read_frame()
            if got is None:
                raise AssertionError("the connection ended without a close frame")
            if got.opcode == 0x8:
                return got

    async def ends(self) -> bool:
        """True if the server closes the TCP connection (within the bound)."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), BOUND):
                pass
        except asyncio.TimeoutError:
            return False
        except ConnectionError:
            return True  # a reset ends it too
        return True

    def close(self) -> None:
        """Drop the connection."""
        self.writer.close()
