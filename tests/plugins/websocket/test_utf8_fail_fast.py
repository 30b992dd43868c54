"""Bad UTF-8 fails the connection as soon as it arrives, even inside a frame still arriving.

Autobahn|Testsuite 6.4.3 and 6.4.4 send one text frame in three writes with the
bad sequence in the second, and expect the close (1007) before the third. The
server must check the part of a large text frame that has arrived, without
taking a character cut between two writes (or two frames) for an error.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jackfield.plugins.websocket import WebSocketError
from jackfield.plugins.websocket._assembler import MessageAssembler
from jackfield.plugins.websocket._frames import FrameParser

from ...fuzzing import PROFILE
from .conftest import EchoServer
from .test_frames_fuzz import client_frame, cut
from .wsraw import BOUND, RawClient, close_frame, frame

assert PROFILE  # importing tests.fuzzing loaded the hypothesis profile

GAP = 0.05
"""Seconds between two writes, so the server reads them one by one."""

GREEK = "κόσμε".encode()  # cebae1bdb9cf83cebcceb5, the text of Autobahn's 6.4.x cases


def head_size(data: bytes) -> int:
    """Bytes before the payload of one masked client frame built by ``wsraw.frame``."""
    n = data[1] & 0x7F
    return (2 if n < 126 else 4 if n == 126 else 10) + 4


async def send_in_pieces(client: RawClient, data: bytes, cuts: list[int]) -> None:
    """Write ``data`` cut at the ``cuts`` offsets, one write per piece, ``GAP`` apart."""
    edges = [0, *cuts, len(data)]
    for start, stop in itertools.pairwise(edges):
        client.send(data[start:stop])
        await client.writer.drain()
        await asyncio.sleep(GAP)


async def nothing_arrives(client: RawClient) -> bool:
    """True if the server sends nothing for a moment (it is waiting for more bytes)."""
    try:
        await asyncio.wait_for(client.reader.read(1), GAP * 2)
    except asyncio.TimeoutError:
        return True
    return False  # a byte, or the end of the stream


async def test_bad_utf8_in_the_middle_of_an_arriving_frame_fails_at_once(
    echo_server: EchoServer,
) -> None:
    # Autobahn 6.4.3: head, then valid text, then the bad sequence; the rest never comes.
    server, record = await echo_server()
    client = await RawClient.connect(server.port)
    data = frame(0x1, GREEK + b"\xf4\x90\x80\x80" + b"edited", fin=False)
    head = head_size(data)
    await send_in_pieces(client, data[: head + len(GREEK) + 4], [head, head + len(GREEK)])
    close = await asyncio.wait_for(client.read_close(), BOUND)
    assert close.close_code == 1007
    assert await client.ends()
    await record.finished()
    assert record.close_code == 1007


async def test_a_bad_byte_after_a_valid_lead_byte_fails_at_once(echo_server: EchoServer) -> None:
    # Autobahn 6.4.4: the first piece ends with 0xF4 (may start a character); 0x90 cannot
    # follow it. The frame is announced longer than what is sent.
    server, _ = await echo_server()
    client = await RawClient.connect(server.port)
    data = frame(0x1, GREEK + b"\xf4\x90" + b"." * 40)
    head = head_size(data)
    await send_in_pieces(client, data[: head + len(GREEK) + 2], [head + len(GREEK) + 1])
    assert (await asyncio.wait_for(client.read_close(), BOUND)).close_code == 1007


async def test_bad_utf8_in_an_arriving_continuation_frame_fails_at_once(
    echo_server: EchoServer,
) -> None:
    server, _ = await echo_server()
    client = await RawClient.connect(server.port)
    client.send(frame(0x1, GREEK, fin=False))
    data = frame(0x0, b"ok" + b"\xed\xa0\x80" + b"." * 200)  # a surrogate: never valid
    head = head_size(data)
    await send_in_pieces(client, data[: head + 5], [head + 2])
    assert (await asyncio.wait_for(client.read_close(), BOUND)).close_code == 1007


async def test_characters_cut_between_writes_and_frames_are_not_errors(
    echo_server: EchoServer,
) -> None:
    server, _ = await echo_server()
    client = await RawClient.connect(server.port)
    text = GREEK * 7000  # 77,000 bytes: a 64-bit length, unmasked in big pieces
    # The first frame ends inside a character (κ is 2 bytes); its second byte starts
    # the next frame, which arrives in pieces cut inside characters, not at multiples of 4.
    first = frame(0x1, text[:1], fin=False)
    second = frame(0x0, text[1:])
    head = head_size(second)
    client.send(first)
    assert await nothing_arrives(client)
    await send_in_pieces(client, second, [head + 1, head + 1002, head + 30_001, head + 60_003])
    echoed = await client.read_frame()
    assert echoed is not None and (echoed.opcode, echoed.payload) == (0x1, text)
    # A second message right after: the check starts afresh for each frame.
    small = frame(0x1, "é".encode() * 100)
    await send_in_pieces(client, small, [head_size(small) + 1, head_size(small) + 51])
    echoed = await client.read_frame()
    assert echoed is not None and echoed.payload == "é".encode() * 100
    client.send(close_frame(1000))
    assert (await client.read_close()).close_code == 1000


async def test_binary_frames_arriving_in_pieces_are_not_checked_as_text(
    echo_server: EchoServer,
) -> None:
    server, _ = await echo_server()
    client = await RawClient.connect(server.port)
    payload = b"\xff\xfe\xf4\x90" * 100
    data = frame(0x2, payload)
    await send_in_pieces(client, data, [head_size(data) + 3])
    echoed = await client.read_frame()
    assert echoed is not None and (echoed.opcode, echoed.payload) == (0x2, payload)


# -- the same rules sans-IO, under hypothesis: any text, cut into frames, cut into writes

texts = st.one_of(
    st.text(max_size=200).map(str.encode),
    # Valid text with one stray byte put somewhere: often invalid, sometimes not.
    st.tuples(st.text(max_size=200), st.integers(0, 255), st.integers(0, 800)).map(
        lambda t: t[0].encode()[: t[2]] + bytes([t[1]]) + t[0].encode()[t[2] :]
    ),
    st.binary(max_size=300),
)


@given(texts, st.binary(min_size=4, max_size=4), st.data())
def test_checking_arriving_text_agrees_with_checking_it_whole(
    payload: bytes, mask: bytes, data: st.DataObject
) -> None:
    """Bad text is refused as soon as it arrives, good text never is, however it is cut.

    The text is cut into frames and the frames into writes. After each write,
    ``FrameParser.partial()`` has handed out exactly the payload bytes of the
    incomplete frame that arrived, each once, and the message is refused iff
    what arrived of it is already known to be bad UTF-8.
    """
    edges = sorted(data.draw(st.lists(st.integers(0, len(payload)), max_size=3)))
    parts = [payload[a:b] for a, b in zip([0, *edges], [*edges, len(payload)], strict=True)]
    frames = [
        client_frame((0x80 if i == len(parts) - 1 else 0) | (0 if i else 0x1), part, mask)
        for i, part in enumerate(parts)
    ]
    # Where each frame's payload starts on the wire.
    starts, offset = [], 0
    for wire_frame, part in zip(frames, parts, strict=True):
        starts.append(offset + len(wire_frame) - len(part))
        offset += len(wire_frame)
    parser = FrameParser()
    assembler = MessageAssembler()
    message: str | None = None
    refused = False
    done = 0  # frames complete
    arrived = b""  # what partial() handed out of the frame in progress
    fed = 0
    for piece in data.draw(cut(b"".join(frames))):
        fed += len(piece)
        try:
            for b0, whole in parser.feed(piece):
                assert whole == parts[done] and whole.startswith(arrived)
                arrived = b""
                done += 1
                msg = assembler.frame(b0, whole)
                if msg is not None:
                    message = msg.data
            got = parser.partial()
            if got is not None:
                b0, chunk, first = got
                assert first == (not arrived)
                arrived += chunk
                assembler.partial(b0, chunk, first)
        except WebSocketError as exc:
            assert exc.code == 1007
            refused = True
            break
        if done < len(parts):
            assert arrived == parts[done][: max(0, fed - starts[done])]
        known = b"".join(parts[:done]) + arrived
        try:
            codecs.getincrementaldecoder("utf-8")().decode(known, done == len(parts))
        except UnicodeDecodeError:
            raise AssertionError(f"{known!r} arrived and is bad UTF-8, but was accepted") from None
    assert parser.error is None
    try:
        expected: str | None = payload.decode("utf-8")
    except UnicodeDecodeError:
        expected = None
    assert refused == (expected is None)
    assert message == expected


@pytest.mark.parametrize("size", [0, 1, 125, 126, 200, 65535, 65536], ids=str)
def test_partial_byte_by_byte_hands_out_the_payload_once(size: int) -> None:
    # One byte per read: headers cut inside their extended length (a 126-length
    # header once made partial() read past the bytes that had arrived).
    payload = (GREEK * (size // len(GREEK) + 1))[:size]
    wire = client_frame(0x81, payload, b"\x9a\x01\xfe\x37")
    parser = FrameParser()
    handed = b""
    frames = []
    for i in range(len(wire)):
        frames += parser.feed(wire[i : i + 1])
        got = parser.partial()
        if got is not None:
            assert got[0] == 0x81 and got[2] == (not handed)
            handed += got[1]
    assert frames == [(0x81, payload)]
    assert handed == payload[: len(payload) - 1]  # all but the byte that completed it
