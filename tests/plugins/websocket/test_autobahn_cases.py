"""Autobahn|Testsuite's cases, the ones CI can run: raw frames against a live echo server.

The real suite (``bench/autobahn.py``) needs Python 2 and ten minutes, so it is
run by hand. These tests send what its cases send, byte for byte where it
matters (lengths 125/126/127/65535/65536, chopped writes, reserved bits and
opcodes, control frames inside fragmented messages, the UTF-8 sequences of
section 6, close payloads and codes), at sizes that keep the file fast. Each
test id starts with the Autobahn case it stands for; ``section`` in the id is
its section. Sections 12/13 (permessage-deflate) use the ``websockets`` client,
an independent implementation of the extension.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field

import pytest
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from .conftest import EchoServer, ws_url
from .wsraw import BOUND, RawClient, close_frame, frame, handshake_request

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
NO_CODE = -1


def chop(data: bytes, size: int) -> list[bytes]:
    """``data`` as writes of ``size`` bytes."""
    return [data[i : i + size] for i in range(0, len(data), size)]


@dataclass
class Case:
    """What a client sends and what the echo server must answer.

    ``writes`` go out one by one (``pause`` seconds apart). The server answers
    ``back`` first (frames as ``(opcode, payload)``, in order); then, if
    ``closes`` is set, it sends a close frame with that code by itself
    (``NO_CODE``: an empty close payload) and ends the connection. Otherwise the
    connection must still be open: the client closes with 1000 and the server
    answers 1000, with nothing sent in between.
    """

    id: str
    writes: list[bytes]
    back: list[tuple[int, bytes]] = field(default_factory=list)
    closes: int | None = None
    pause: float = 0.0
    any_order: bool = False


class SocketClient:
    """A raw connection on a plain socket, read with ``sock_recv``.

    Not ``wsraw.RawClient``: when a client keeps writing after the server
    failed the connection, the server's kernel answers the late bytes with a
    reset, and an ``asyncio.StreamReader`` then raises the reset before
    handing out the close frame it already holds. Read from the socket, the
    close frame comes first and the reset after, as for Autobahn's client.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def connect(cls, port: int) -> SocketClient:
        sock = socket.socket()
        sock.setblocking(False)
        # Without it, Nagle's algorithm would merge the chopped writes of a case.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = cls(sock)
        await client.loop.sock_connect(sock, ("127.0.0.1", port))
        await client.loop.sock_sendall(sock, handshake_request("/ws"))
        while b"\r\n\r\n" not in client.buf:
            assert await client._more(), "no handshake answer"
        head, _, rest = bytes(client.buf).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        client.buf[:] = rest
        return client

    async def send(self, data: bytes) -> None:
        # A server that failed the connection may have reset it: what it sent is read next.
        with contextlib.suppress(ConnectionError):
            await self.loop.sock_sendall(self.sock, data)

    async def _more(self) -> bool:
        try:
            data = await asyncio.wait_for(self.loop.sock_recv(self.sock, 1 << 20), BOUND)
        except ConnectionResetError:
            return False
        self.buf += data
        return bool(data)

    async def _take(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not await self._more():
                return None
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    async def read_frame(self) -> tuple[int, bool, int, bool, bytes] | None:
        """``(opcode, fin, rsv, masked, payload)`` of the next frame; None at the end."""
        head = await self._take(2)
        if head is None:
            return None
        n = head[1] & 0x7F
        if n >= 126:
            size = await self._take(2 if n == 126 else 8)
            assert size is not None, "the stream ended inside a frame header"
            n = int.from_bytes(size, "big")
        masked = bool(head[1] & 0x80)
        assert not masked, "a server must not mask its frames"
        payload = await self._take(n)
        assert payload is not None, "the stream ended inside a frame"
        return head[0] & 0x0F, bool(head[0] & 0x80), (head[0] >> 4) & 7, masked, payload

    async def ends(self) -> bool:
        """True if the server ends the TCP connection (a reset counts) within the bound."""
        try:
            while await self._more():
                pass
        except asyncio.TimeoutError:
            return False
        return True


async def play(echo_server: EchoServer, case: Case) -> None:
    server, _ = await echo_server()
    client = await SocketClient.connect(server.port)
    try:
        for data in case.writes:
            await client.send(data)
            if case.pause:
                await asyncio.sleep(case.pause)
        received = []
        for opcode, _ in case.back:
            got = await client.read_frame()
            assert got is not None, f"connection ended; expected opcode {opcode:#x}"
            received.append(got)
        expected_back = [(opcode, True, 0, False, payload) for opcode, payload in case.back]
        if case.any_order:
            received.sort()
            expected_back.sort()
        assert received == expected_back
        expected = case.closes
        if expected is None:
            await client.send(close_frame(1000))
            expected = 1000
        got = await client.read_frame()
        assert got is not None and got[0] == CLOSE, f"expected a close frame, got {got}"
        assert (int.from_bytes(got[4][:2], "big") if got[4] else NO_CODE) == expected
        assert await client.ends()
    finally:
        client.sock.close()


def cases_table(*cases: Case) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# -- 1 Framing: payload lengths across the 7-bit, 16-bit and 64-bit length forms

LENGTHS = [0, 125, 126, 127, 128, 65535, 65536]
LONG = frame(TEXT, b"*" * 65536)
FRAMING = [
    Case(f"1.{kind}.{i + 1}-{name}-{n}", [frame(op, bytes([0x2A]) * n)], [(op, b"*" * n)])
    for kind, (op, name) in ((1, (TEXT, "text")), (2, (BINARY, "binary")))
    for i, n in enumerate(LENGTHS)
] + [
    Case("1.1.8-text-65536-in-997-byte-writes", chop(frame(TEXT, b"*" * 65536), 997),
         [(TEXT, b"*" * 65536)]),
    Case("1.2.8-binary-65536-in-997-byte-writes", chop(frame(BINARY, b"\xfe" * 65536), 997),
         [(BINARY, b"\xfe" * 65536)]),
    # Headers cut inside their extended length: the partial-frame check must wait for them.
    Case("1.1.x-text-126-in-1-byte-writes", chop(frame(TEXT, b"*" * 126), 1),
         [(TEXT, b"*" * 126)], pause=0.002),
    Case("1.1.x-text-65536-header-in-1-byte-writes", [*chop(LONG[:14], 1), LONG[14:]],
         [(TEXT, b"*" * 65536)], pause=0.002),
]  # fmt: skip


@cases_table(*FRAMING)
async def test_section_1_framing(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 2 Pings and pongs

PINGS = [
    Case("2.1-ping-empty", [frame(PING)], [(PONG, b"")]),
    Case("2.2-ping-text-payload", [frame(PING, b"Hello, world!")], [(PONG, b"Hello, world!")]),
    Case("2.3-ping-binary-payload", [frame(PING, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")],
         [(PONG, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")]),
    Case("2.4-ping-125", [frame(PING, b"\xfe" * 125)], [(PONG, b"\xfe" * 125)]),
    Case("2.5-ping-126-fails", [frame(PING, b"\xfe" * 126)], closes=1002),
    Case("2.6-ping-125-in-1-byte-writes", chop(frame(PING, b"\xfe" * 125), 1),
         [(PONG, b"\xfe" * 125)]),
    Case("2.7-unsolicited-pong-empty", [frame(PONG)]),
    Case("2.8-unsolicited-pong-payload", [frame(PONG, b"unsolicited pong payload")]),
    Case("2.9-unsolicited-pong-then-ping", [frame(PONG, b"pong"), frame(PING, b"ping")],
         [(PONG, b"ping")]),
    Case("2.10-ten-pings", [frame(PING, b"payload-%d" % i) for i in range(10)],
         [(PONG, b"payload-%d" % i) for i in range(10)]),
    Case("2.11-ten-pings-chopped", [p for i in range(10)
                                     for p in chop(frame(PING, b"payload-%d" % i), 1)],
         [(PONG, b"payload-%d" % i) for i in range(10)]),
]  # fmt: skip


@cases_table(*PINGS)
async def test_section_2_pings_and_pongs(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 3 Reserved bits (no extension negotiated) and 4 reserved opcodes

RESERVED = [
    Case("3.1-rsv1-text", [frame(TEXT, b"Hello, world!", rsv=4)], closes=1002),
    Case("3.2-text-then-rsv2-text", [frame(TEXT, b"small"), frame(TEXT, b"x", rsv=2)],
         [(TEXT, b"small")], closes=1002),
    Case("3.3-text-rsv3-text-ping", [frame(TEXT, b"small"), frame(TEXT, b"x", rsv=3),
                                     frame(PING)], [(TEXT, b"small")], closes=1002),
    Case("3.4-same-in-writes", [frame(TEXT, b"small"), frame(TEXT, b"x", rsv=4), frame(PING)],
         [(TEXT, b"small")], closes=1002, pause=0.02),
    Case("3.5-rsv-binary", [frame(BINARY, b"\x00\xff" * 4, rsv=5)], closes=1002),
    Case("3.6-rsv-ping", [frame(PING, b"ping", rsv=6)], closes=1002),
    Case("3.7-rsv-close", [frame(CLOSE, b"\x03\xe8", rsv=7)], closes=1002),
]  # fmt: skip
OPCODES = [
    Case(f"4.1.{i}-data-opcode-{op}", [frame(TEXT, b"small"), frame(op, b"reserved"),
                                       frame(PING)], [(TEXT, b"small")], closes=1002)
    for i, op in enumerate(range(3, 8), start=1)
] + [
    Case(f"4.2.{i}-control-opcode-{op:#x}", [frame(TEXT, b"small"), frame(op, b"reserved"),
                                             frame(PING)], [(TEXT, b"small")], closes=1002)
    for i, op in enumerate(range(0xB, 0x10), start=1)
]  # fmt: skip


@cases_table(*RESERVED)
async def test_section_3_reserved_bits(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


@cases_table(*OPCODES)
async def test_section_4_opcodes(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 5 Fragmentation

FRAG = b"fragment"
FRAGMENTATION = [
    Case("5.1-fragmented-ping", [frame(PING, b"frag", fin=False), frame(0, b"ment")],
         closes=1002),
    Case("5.2-fragmented-pong", [frame(PONG, b"frag", fin=False), frame(0, b"ment")],
         closes=1002),
    Case("5.3-text-in-2-frames", [frame(TEXT, b"frag", fin=False), frame(0, b"ment")],
         [(TEXT, b"fragment")]),
    Case("5.4-text-in-2-frames-apart", [frame(TEXT, b"frag", fin=False), frame(0, b"ment")],
         [(TEXT, b"fragment")], pause=0.02),
    Case("5.5-text-in-2-frames-1-byte-writes",
         chop(frame(TEXT, b"frag", fin=False) + frame(0, b"ment"), 1), [(TEXT, b"fragment")]),
    Case("5.6-ping-between-fragments", [frame(TEXT, b"frag", fin=False), frame(PING, b"p"),
                                        frame(0, b"ment")], [(PONG, b"p"), (TEXT, b"fragment")]),
    Case("5.8-ping-between-fragments-1-byte-writes",
         chop(frame(TEXT, b"frag", fin=False) + frame(PING, b"p") + frame(0, b"ment"), 1),
         [(PONG, b"p"), (TEXT, b"fragment")]),
    Case("5.9-continuation-without-start", [frame(0, b"cont"), frame(TEXT, b"x")],
         closes=1002),
    Case("5.11-continuation-without-start-1-byte-writes",
         chop(frame(0, b"cont") + frame(TEXT, b"x"), 1), closes=1002),
    Case("5.12-nonfinal-continuation-without-start",
         [frame(0, b"cont", fin=False), frame(TEXT, b"x")], closes=1002),
    Case("5.15-new-text-inside-fragmented", [frame(TEXT, b"a", fin=False), frame(0, b"b"),
                                             frame(0, b"c", fin=False), frame(TEXT, b"d")],
         [(TEXT, b"ab")], closes=1002),
    Case("5.16-continuation-after-final", [frame(0, b"a", fin=False), frame(0, b"b"),
                                           frame(TEXT, b"c", fin=False), frame(0, b"d")],
         closes=1002),
    Case("5.18-two-starts", [frame(TEXT, b"a", fin=False), frame(TEXT, b"b")], closes=1002),
    Case("5.19-pings-between-five-fragments",
         [frame(TEXT, b"f1", fin=False), frame(0, b"f2", fin=False), frame(PING, b"p1"),
          frame(0, b"f3", fin=False), frame(0, b"f4", fin=False), frame(PING, b"p2"),
          frame(0, b"f5")], [(PONG, b"p1"), (PONG, b"p2"), (TEXT, b"f1f2f3f4f5")], pause=0.01),
    Case("5.x-binary-fragments", [frame(BINARY, b"\x00", fin=False), frame(0, b"\xff")],
         [(BINARY, b"\x00\xff")]),
    Case("5.x-empty-fragments", [frame(TEXT, b"", fin=False), frame(0, b"", fin=False),
                                 frame(0, b"")], [(TEXT, b"")]),
]  # fmt: skip


@cases_table(*FRAGMENTATION)
async def test_section_5_fragmentation(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 6 UTF-8 handling: each sequence whole, one byte per frame, one byte per write

VALID_UTF8 = {
    "6.2-hello-utf8": "Hello-µ@ßöäüàá-UTF-8!!".encode(),
    "6.5-kosme": "κόσμε".encode(),
    "6.6-ascii-nul": b"\x00",
    "6.7-first-2-byte": b"\xc2\x80",
    "6.7-first-3-byte": b"\xe0\xa0\x80",
    "6.7-first-4-byte": b"\xf0\x90\x80\x80",
    "6.8-last-1-byte": b"\x7f",
    "6.8-last-2-byte": b"\xdf\xbf",
    "6.8-last-3-byte": b"\xef\xbf\xbf",
    "6.8-last-code-point": b"\xf4\x8f\xbf\xbf",
    "6.9-before-surrogates": b"\xed\x9f\xbf",
    "6.9-after-surrogates": b"\xee\x80\x80",
    "6.22-noncharacter-fffe": b"\xef\xbf\xbe",
    "6.22-noncharacter-1fffe": b"\xf0\x9f\xbf\xbe",
    "6.23-replacement-char": b"\xef\xbf\xbd",
}
INVALID_UTF8 = {
    "6.3-kosme-surrogate-edited": "κόσμε".encode() + b"\xed\xa0\x80edited",
    "6.8-over-last-code-point": b"\xf4\x90\x80\x80",
    "6.8-5-byte-sequence": b"\xf8\x88\x80\x80\x80",
    "6.8-6-byte-sequence": b"\xfc\x84\x80\x80\x80\x80",
    "6.12-lone-continuation-80": b"\x80",
    "6.12-lone-continuation-bf": b"\xbf",
    "6.12-two-continuations": b"\x80\xbf",
    "6.13-lone-start-then-space": b"\xc0 ",
    "6.14-truncated-3-byte": b"\xe0\x80",
    "6.14-truncated-4-byte": b"\xf0\x80\x80",
    "6.14-truncated-at-end": "κόσμε".encode() + b"\xe1\xbd",
    "6.15-concatenated-truncated": b"\xc0\xe0\x80\xf0\x80\x80",
    "6.16-byte-fe": b"\xfe",
    "6.16-byte-ff": b"\xff",
    "6.16-fe-fe-ff-ff": b"\xfe\xfe\xff\xff",
    "6.17-overlong-slash-2-byte": b"\xc0\xaf",
    "6.17-overlong-slash-3-byte": b"\xe0\x80\xaf",
    "6.17-overlong-slash-4-byte": b"\xf0\x80\x80\xaf",
    "6.18-max-overlong-2-byte": b"\xc1\xbf",
    "6.18-max-overlong-3-byte": b"\xe0\x9f\xbf",
    "6.19-overlong-nul": b"\xc0\x80",
    "6.19-high-surrogate": b"\xed\xa0\x80",
    "6.20-low-surrogate": b"\xed\xbf\xbf",
    "6.21-surrogate-pair": b"\xed\xa0\x80\xed\xb0\x80",
}
SHAPES = ("whole", "byte-per-frame", "byte-per-write")


def text_writes(payload: bytes, shape: str) -> list[bytes]:
    """One text message carrying ``payload``, in ``shape``."""
    if shape == "whole":
        return [frame(TEXT, payload)]
    if shape == "byte-per-write":
        return chop(frame(TEXT, payload), 1)
    pieces = chop(payload, 1) or [b""]
    last = len(pieces) - 1
    return [frame(TEXT if i == 0 else 0, p, fin=i == last) for i, p in enumerate(pieces)]


UTF8 = [
    Case(f"{name}-{shape}", text_writes(payload, shape), [(TEXT, payload)])
    for name, payload in VALID_UTF8.items()
    for shape in SHAPES
] + [
    Case(f"{name}-{shape}", text_writes(payload, shape), closes=1007)
    for name, payload in INVALID_UTF8.items()
    for shape in SHAPES
]


@cases_table(*UTF8)
async def test_section_6_utf8(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 7 Close handling and close codes

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]
VALID_CODES += [3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
CLOSING = [
    Case("7.1.1-text-then-close", [frame(TEXT, b"Hello World!")], [(TEXT, b"Hello World!")]),
    Case("7.1.2-close-twice", [close_frame(1000), close_frame(1000)], closes=1000),
    Case("7.1.3-ping-after-close", [close_frame(1000), frame(PING, b"late")], closes=1000),
    Case("7.1.4-text-after-close", [close_frame(1000), frame(TEXT, b"late")], closes=1000),
    Case("7.1.5-fragment-then-close-then-rest",
         [frame(TEXT, b"frag", fin=False), close_frame(1000), frame(0, b"ment")], closes=1000),
    Case("7.1.6-big-text-ping-close",
         [frame(TEXT, b"BAsd7&jh23" * 26214), frame(PING, b"ping"), close_frame(1000)],
         [(TEXT, b"BAsd7&jh23" * 26214), (PONG, b"ping")], closes=1000, any_order=True),
    Case("7.3.1-close-empty", [close_frame(None)], closes=NO_CODE),
    Case("7.3.2-close-1-byte", [frame(CLOSE, b"\x03")], closes=1002),
    Case("7.3.3-close-code-only", [close_frame(1000)], closes=1000),
    Case("7.3.4-close-code-and-reason", [close_frame(1000, b"Hello World!")], closes=1000),
    Case("7.3.5-close-reason-123", [close_frame(1000, b"*" * 123)], closes=1000),
    Case("7.3.6-close-reason-124", [close_frame(1000, b"*" * 124)], closes=1002),
    Case("7.5.1-close-reason-not-utf8", [close_frame(1000, "κόσμε".encode() + b"\xed\xa0\x80")],
         closes=1007),
] + [
    Case(f"7.7-valid-code-{code}", [close_frame(code)], closes=code) for code in VALID_CODES
] + [
    Case(f"7.9-invalid-code-{code}", [close_frame(code)], closes=1002) for code in INVALID_CODES
]  # fmt: skip


@cases_table(*CLOSING)
async def test_section_7_close_handling(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


# -- 9 Limits and performance, at moderate sizes (the real suite goes to 16 MiB)

MIB = 1 << 20
LIMITS = [
    Case("9.1-text-1MiB", [frame(TEXT, b"*" * MIB)], [(TEXT, b"*" * MIB)]),
    Case("9.2-binary-1MiB", [frame(BINARY, b"\xfe" * MIB)], [(BINARY, b"\xfe" * MIB)]),
    Case("9.3-text-1MiB-in-64-fragments",
         [frame(TEXT if i == 0 else 0, b"*" * (MIB // 64), fin=i == 63) for i in range(64)],
         [(TEXT, b"*" * MIB)]),
    Case("9.4-binary-1MiB-in-4KiB-writes", chop(frame(BINARY, b"\xfe" * MIB), 4096),
         [(BINARY, b"\xfe" * MIB)]),
    Case("9.7-1000-text-messages", [b"".join(frame(TEXT, b"m%04d" % i) for i in range(1000))],
         [(TEXT, b"m%04d" % i) for i in range(1000)]),
    Case("9.8-1000-binary-messages",
         [b"".join(frame(BINARY, b"\xfe%04d" % i) for i in range(1000))],
         [(BINARY, b"\xfe%04d" % i) for i in range(1000)]),
    Case("10.1.1-text-65536-in-1300-byte-fragments",
         [frame(TEXT if i == 0 else 0, p, fin=i == 50)
          for i, p in enumerate(chop(b"*" * 65536, 1300))], [(TEXT, b"*" * 65536)]),
]  # fmt: skip


@cases_table(*LIMITS)
async def test_section_9_limits(echo_server: EchoServer, case: Case) -> None:
    await play(echo_server, case)


async def test_section_9_message_over_max_msg_size_is_1009(echo_server: EchoServer) -> None:
    # Autobahn's 9.x pass only with a limit above 16 MiB; the default limit must still hold.
    server, record = await echo_server(max_msg_size=MIB)
    client = await RawClient.connect(server.port)
    client.send(frame(TEXT, b"*" * (MIB // 2), fin=False) + frame(0, b"*" * (MIB // 2 + 1)))
    got = await asyncio.wait_for(client.read_close(), BOUND)
    assert got.close_code == 1009
    await record.finished()
    assert record.close_code == 1009


# -- 12/13 permessage-deflate: payload sizes and negotiated parameters


def deflate_client(offer: dict[str, object]) -> ClientPerMessageDeflateFactory:
    return ClientPerMessageDeflateFactory(**offer)  # type: ignore[arg-type]


OFFERS = {
    "13.1-defaults": {},
    "13.2-client-no-context-takeover": {"client_no_context_takeover": True},
    "13.3-client-max-window-bits-9": {"client_max_window_bits": 9},
    "13.4-client-max-window-bits-15": {"client_max_window_bits": 15},
    "13.5-no-context-takeover-and-bits-9": {
        "client_no_context_takeover": True,
        "client_max_window_bits": 9,
    },
    "13.x-server-no-context-takeover": {"server_no_context_takeover": True},
    "13.x-server-max-window-bits-9": {"server_max_window_bits": 9},
}
SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]


@pytest.mark.parametrize("offer", OFFERS.values(), ids=OFFERS.keys())
async def test_sections_12_13_permessage_deflate(
    echo_server: EchoServer, offer: dict[str, object]
) -> None:
    server, record = await echo_server()
    async with connect(
        ws_url(server), extensions=[deflate_client(offer)], compression=None, max_size=None
    ) as ws:
        answer = ws.response.headers["Sec-WebSocket-Extensions"]
        assert answer.startswith("permessage-deflate")
        for name in ("server_no_context_takeover", "server_max_window_bits"):
            assert (name in answer) == (name in offer)
        for size in SIZES:
            # 12.1 text, 12.2 binary; compressible but not trivially (words and counters).
            text = "".join(f"{i} the quick brown fox " for i in range(size // 20 + 1))[:size]
            for _ in range(3):
                await ws.send(text)
                assert await ws.recv() == text
                await ws.send(text.encode())
                assert await ws.recv() == text.encode()
    await record.finished()
    assert record.close_code == 1000 and record.exception is None


async def test_section_12_compressed_fragmented_message_and_rsv1_on_continuation(
    echo_server: EchoServer,
) -> None:
    # The websockets client fragments a compressed message: RSV1 on the first frame only.
    server, _ = await echo_server()
    async with connect(ws_url(server), compression="deflate", max_size=None) as ws:
        parts = [f"part {i} of a compressed fragmented message; " * 50 for i in range(5)]
        await ws.send(parts)
        assert await ws.recv() == "".join(parts)
    # RSV1 on a continuation frame is a protocol error even with deflate negotiated.
    client = await RawClient.connect(server.port, Sec_WebSocket_Extensions="permessage-deflate")
    assert b"permessage-deflate" in client.head
    client.send(frame(TEXT, b"\x00\x00", fin=False, rsv=4) + frame(0, b"\x00", rsv=4))
    assert (await client.read_close()).close_code == 1002
