"""Tests for jackfield.bodies.streams: reading, back-pressure, limits and errors of BodyStream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from jackfield.bodies.streams import EMPTY_STREAM, BodyStream


class Valve:
    """Records the pause/resume calls a stream makes, like the connection would."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.paused = False

    def pause(self) -> None:
        assert not self.paused, "paused twice without a resume"
        self.paused = True
        self.events.append("pause")

    def resume(self) -> None:
        assert self.paused, "resumed without a pause"
        self.paused = False
        self.events.append("resume")


@pytest.fixture
def valve() -> Valve:
    return Valve()


def make_stream(valve: Valve | None = None, **kwargs: Any) -> BodyStream:
    if valve is not None:
        kwargs.setdefault("on_pause", valve.pause)
        kwargs.setdefault("on_resume", valve.resume)
    return BodyStream(**kwargs)


def fed(*chunks: bytes, eof: bool = True, **kwargs: Any) -> BodyStream:
    """A stream already holding ``chunks`` (and at its end unless ``eof=False``)."""
    stream = make_stream(**kwargs)
    for chunk in chunks:
        stream.feed_data(chunk)
    if eof:
        stream.feed_eof()
    return stream


async def started(coro: Awaitable[Any]) -> asyncio.Task[Any]:
    """Run ``coro`` as a task up to its first suspension (it is waiting for data)."""
    task = asyncio.ensure_future(coro)
    for _ in range(3):
        await asyncio.sleep(0)
    assert not task.done(), "the reader should be waiting for data"
    return task


async def feed_later(stream: BodyStream, chunks: list[bytes]) -> None:
    """Feed chunks from another task, yielding to the reader between them."""
    for chunk in chunks:
        await asyncio.sleep(0)
        stream.feed_data(chunk)
    await asyncio.sleep(0)
    stream.feed_eof()


# -- reading


async def test_reader_waits_for_data_fed_by_another_task() -> None:
    stream = make_stream()
    reader = await started(stream.read())
    feeder = asyncio.create_task(feed_later(stream, [b"hel", b"lo ", b"world"]))
    assert await reader == b"hello world"
    await feeder
    assert stream.at_eof()
    assert stream.total_bytes == 11


async def test_read_n_slices_across_chunks() -> None:
    stream = fed(b"abc", b"defg", b"h")
    assert await stream.read(2) == b"ab"
    assert await stream.read(3) == b"cde"
    assert await stream.read(10) == b"fgh"
    assert await stream.read(10) == b""


async def test_read_n_returns_what_is_buffered_without_waiting_for_n() -> None:
    stream = fed(b"ab", eof=False)
    assert await stream.read(100) == b"ab"


async def test_read_zero_returns_empty_at_once() -> None:
    stream = make_stream()
    assert await stream.read(0) == b""


async def test_readany_returns_everything_buffered() -> None:
    stream = fed(b"ab", b"cd", eof=False)
    assert await stream.readany() == b"abcd"
    reader = await started(stream.readany())
    stream.feed_eof()
    assert await reader == b""


async def test_readexactly_waits_until_enough() -> None:
    stream = fed(b"ab", eof=False)
    reader = await started(stream.readexactly(5))
    stream.feed_data(b"cd")
    await asyncio.sleep(0)
    assert not reader.done()
    stream.feed_data(b"efg")
    assert await reader == b"abcde"
    stream.feed_eof()
    assert await stream.read() == b"fg"


async def test_readexactly_raises_incomplete_at_end() -> None:
    stream = fed(b"abc")
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await stream.readexactly(5)
    assert info.value.partial == b"abc"
    assert info.value.expected == 5


async def test_readexactly_refuses_negative() -> None:
    with pytest.raises(ValueError, match="n >= 0"):
        await make_stream().readexactly(-1)


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"one\ntwo\nthree"], id="one-chunk"),
        pytest.param([b"on", b"e\ntw", b"o", b"\nthree"], id="split-lines"),
        pytest.param([bytes([c]) for c in b"one\ntwo\nthree"], id="byte-by-byte"),
    ],
)
async def test_readline_across_chunk_boundaries(chunks: list[bytes]) -> None:
    stream = fed(*chunks)
    assert await stream.readline() == b"one\n"
    assert await stream.readline() == b"two\n"
    assert await stream.readline() == b"three"
    assert await stream.readline() == b""


async def test_readline_while_data_trickles_in() -> None:
    stream = make_stream()
    feeder = asyncio.create_task(feed_later(stream, [b"a", b"b", b"\nc", b"d\n"]))
    assert [line async for line in stream] == [b"ab\n", b"cd\n"]
    await feeder


@pytest.mark.parametrize(
    ("chunks", "head"),
    [
        pytest.param([b"head\r\n\r\nbody"], b"head", id="one-chunk"),
        pytest.param([b"head\r", b"\n\r\nbody"], b"head", id="split-after-cr"),
        pytest.param([b"head\r\n", b"\r", b"\nbody"], b"head", id="split-in-three"),
        pytest.param([bytes([c]) for c in b"head\r\n\r\nbody"], b"head", id="byte-by-byte"),
        pytest.param([b"he\r\nad\r", b"\n\r", b"\nbody"], b"he\r\nad", id="false-start"),
    ],
)
async def test_readuntil_multibyte_separator_across_chunks(
    chunks: list[bytes], head: bytes
) -> None:
    stream = fed(*chunks)
    assert await stream.readuntil(b"\r\n\r\n") == head + b"\r\n\r\n"
    assert await stream.read() == b"body"


async def test_readuntil_raises_incomplete_at_end() -> None:
    stream = fed(b"no separator")
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await stream.readuntil(b"--")
    assert info.value.partial == b"no separator"


async def test_readuntil_refuses_empty_separator() -> None:
    with pytest.raises(ValueError, match="non-empty separator"):
        await fed(b"x").readuntil(b"")


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"x" * 20 + b"\n"], id="one-chunk"),
        pytest.param([b"x" * 8, b"x" * 8, b"x" * 8], id="no-newline-yet"),
        pytest.param([b"x" * 8, b"x" * 8, b"xxxx\n"], id="newline-too-late"),
    ],
)
async def test_readline_longer_than_limit_raises_and_keeps_the_bytes(
    chunks: list[bytes],
) -> None:
    stream = fed(*chunks, limit=16)
    with pytest.raises(ValueError, match="longer than the stream limit of 16"):
        await stream.readline()
    assert await stream.read() == b"".join(chunks)


async def test_readline_at_exactly_the_limit_is_fine() -> None:
    stream = fed(b"x" * 7, b"x" * 8 + b"\n", limit=16)
    assert await stream.readline() == b"x" * 15 + b"\n"


async def test_cancelled_readuntil_keeps_partial_bytes() -> None:
    stream = fed(b"par", b"tial", eof=False)
    reader = await started(stream.readuntil(b"\n"))
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    stream.feed_data(b" line\n")
    assert await stream.readline() == b"partial line\n"


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1, [1] * 7), (2, [2, 2, 2, 1]), (3, [3, 3, 1]), (100, [7])],
    ids=["one-byte", "two", "three", "larger-than-body"],
)
async def test_iter_chunked_sizes(size: int, expected: list[int]) -> None:
    # Buffered bytes fill each piece up to n, whatever the chunks they came in.
    stream = fed(b"abc", b"defg")
    pieces = [piece async for piece in stream.iter_chunked(size)]
    assert b"".join(pieces) == b"abcdefg"
    assert [len(p) for p in pieces] == expected


async def test_iter_chunked_exact_sizes_from_one_chunk() -> None:
    stream = fed(b"0123456789")
    assert [p async for p in stream.iter_chunked(4)] == [b"0123", b"4567", b"89"]


async def test_iter_chunked_refuses_zero() -> None:
    with pytest.raises(ValueError, match="chunk size > 0"):
        make_stream().iter_chunked(0)


async def test_iter_any_yields_pieces_as_they_arrive() -> None:
    stream = make_stream()
    seen: list[bytes] = []

    async def consume() -> None:
        async for piece in stream.iter_any():
            seen.append(piece)

    task = await started(consume())
    stream.feed_data(b"a")
    await asyncio.sleep(0)
    stream.feed_data(b"b")
    stream.feed_data(b"c")
    await asyncio.sleep(0)
    stream.feed_eof()
    await task
    assert seen == [b"a", b"bc"]


async def test_eof_state() -> None:
    stream = fed(b"ab", eof=False)
    assert not stream.is_eof() and not stream.at_eof()
    stream.feed_eof()
    assert stream.is_eof() and not stream.at_eof()
    await stream.read()
    assert stream.at_eof()


async def test_feed_after_eof_is_an_error() -> None:
    stream = fed(b"ab")
    with pytest.raises(RuntimeError, match="after feed_eof"):
        stream.feed_data(b"more")


# -- callbacks


@pytest.mark.parametrize(
    "first_read",
    [
        lambda s: s.read(),
        lambda s: s.read(1),
        lambda s: s.readany(),
        lambda s: s.readexactly(1),
        lambda s: s.readline(),
        lambda s: s.readuntil(b"x"),
        lambda s: s.iter_any().__anext__(),
        lambda s: s.iter_chunked(1).__anext__(),
        lambda s: s.__aiter__().__anext__(),
    ],
    ids=[
        "read",
        "read-n",
        "readany",
        "readexactly",
        "readline",
        "readuntil",
        "iter_any",
        "iter_chunked",
        "aiter",
    ],
)
async def test_on_first_read_called_exactly_once(
    first_read: Callable[[BodyStream], Awaitable[Any]],
) -> None:
    calls: list[int] = []
    stream = make_stream(on_first_read=lambda: calls.append(1))
    stream.feed_data(b"abcx\n")
    assert calls == []  # feeding is not reading
    stream.feed_eof()
    await first_read(stream)
    assert calls == [1]
    await stream.read()
    await stream.readline()
    assert calls == [1]


async def test_on_first_read_called_before_waiting() -> None:
    calls: list[int] = []
    stream = make_stream(on_first_read=lambda: calls.append(1))
    reader = await started(stream.read())
    assert calls == [1]  # the kernel sends 100 Continue here, so the client sends the body
    stream.feed_eof()
    await reader


async def test_pause_when_buffer_exceeds_limit_and_resume_when_read_back(valve: Valve) -> None:
    # A piece costs its bytes plus 64 (its object and deque slot): limit 200
    # holds one piece of 136 bytes exactly.
    stream = make_stream(valve, limit=200)
    stream.feed_data(b"x" * 136)
    assert valve.events == []  # at the limit is still fine
    stream.feed_data(b"y")
    assert valve.events == ["pause"]  # 137 bytes in 2 pieces: 265
    stream.feed_data(b"z" * 5)
    assert valve.events == ["pause"]  # once
    assert await stream.read(5) == b"x" * 5
    assert valve.events == ["pause"]  # 137 bytes in 3 pieces: 329, still over
    assert await stream.read(131) == b"x" * 131
    assert valve.events == ["pause", "resume"]  # 6 bytes in 2 pieces: 134


async def test_tiny_pieces_pause_by_their_memory_not_their_bytes(valve: Valve) -> None:
    """2-byte pieces used to reach a 64 KiB limit only after 32,768 objects (issue 20)."""
    stream = make_stream(valve, limit=2**16)
    fed = 0
    while not valve.paused:
        stream.feed_data(b"ab")
        fed += 1
        assert fed < 2**16, "never paused"
    assert fed == 2**16 // 66 + 1  # the first piece that takes it over 64 KiB of memory
    # Reading them back brings it under the limit again.
    assert await stream.read(2) == b"ab"
    assert valve.events == ["pause", "resume"]


async def test_readany_releases_the_pause(valve: Valve) -> None:
    stream = make_stream(valve, limit=4)
    stream.feed_data(b"0123456789")
    assert valve.paused
    await stream.readany()
    assert valve.events == ["pause", "resume"]


async def test_no_pause_while_a_reader_waits(valve: Valve) -> None:
    stream = make_stream(valve, limit=4)
    reader = await started(stream.readexactly(12))
    stream.feed_data(b"0123456789")  # over the limit, but the reader wants it all
    assert valve.events == []
    stream.feed_data(b"ab")
    assert await reader == b"0123456789ab"


async def test_reader_needing_more_than_limit_resumes_reading(valve: Valve) -> None:
    stream = make_stream(valve, limit=4)
    stream.feed_data(b"0123456")
    assert valve.paused
    reader = await started(stream.readexactly(10))
    assert valve.events == ["pause", "resume"]  # else reader and socket wait forever
    stream.feed_data(b"789")
    assert await reader == b"0123456789"


async def test_long_body_streams_through_small_buffer(valve: Valve) -> None:
    stream = make_stream(valve, limit=8)
    data = bytes(range(256)) * 8
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]

    async def feed() -> None:
        for chunk in chunks:
            while valve.paused:  # the protocol stops reading the socket while paused
                await asyncio.sleep(0)
            stream.feed_data(chunk)
            await asyncio.sleep(0)
        stream.feed_eof()

    feeder = asyncio.create_task(feed())
    got = []
    async for piece in stream.iter_chunked(3):
        got.append(piece)
        for _ in range(3):  # a slow reader: the feeder outpaces it and fills the buffer
            await asyncio.sleep(0)
    await feeder
    assert b"".join(got) == data
    assert "pause" in valve.events
    assert not valve.paused


# -- errors and limits


async def test_set_exception_wakes_the_waiting_reader() -> None:
    stream = make_stream()
    reader = await started(stream.read())
    stream.set_exception(ConnectionResetError("client disconnected"))
    with pytest.raises(ConnectionResetError, match="client disconnected"):
        await reader


@pytest.mark.parametrize(
    "read",
    [
        lambda s: s.read(),
        lambda s: s.read(3),
        lambda s: s.readany(),
        lambda s: s.readexactly(2),
        lambda s: s.readline(),
        lambda s: s.readuntil(b"--"),
    ],
    ids=["read", "read-n", "readany", "readexactly", "readline", "readuntil"],
)
async def test_exception_wins_over_buffered_data(
    read: Callable[[BodyStream], Awaitable[Any]],
) -> None:
    stream = fed(b"buffered", eof=False)
    error = ConnectionResetError("gone")
    stream.set_exception(error)
    with pytest.raises(ConnectionResetError):
        await read(stream)
    assert stream.exception() is error
    stream.feed_data(b"late bytes are dropped")
    with pytest.raises(ConnectionResetError):
        await stream.read()


async def test_set_exception_releases_the_pause(valve: Valve) -> None:
    stream = make_stream(valve, limit=2)
    stream.feed_data(b"abc")
    stream.set_exception(ConnectionResetError())
    assert valve.events == ["pause", "resume"]


class TooBig(Exception):
    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


async def test_max_size_error_raised_while_streaming() -> None:
    stream = make_stream(max_size=10, on_too_large=TooBig)
    assert await _read_some(stream, b"0123456789") == b"0123456789"
    reader = await started(stream.read())
    stream.feed_data(b"X")  # byte 11: the body is refused before it ends
    with pytest.raises(TooBig) as info:
        await reader
    assert info.value.total == 11
    assert not stream.is_eof()


async def _read_some(stream: BodyStream, data: bytes) -> bytes:
    stream.feed_data(data)
    return await stream.readany()


async def test_max_size_default_error_is_value_error() -> None:
    stream = fed(b"abc", eof=False, max_size=2)
    with pytest.raises(ValueError, match="max_size=2"):
        await stream.read()


async def test_max_size_exactly_reached_is_fine() -> None:
    stream = fed(b"ab", b"cd", max_size=4, on_too_large=TooBig)
    assert await stream.read() == b"abcd"


async def test_second_waiting_reader_is_refused() -> None:
    stream = make_stream()
    first = await started(stream.read())
    with pytest.raises(RuntimeError, match="another coroutine is already waiting"):
        await stream.readany()
    stream.feed_data(b"ok")
    stream.feed_eof()
    assert await first == b"ok"


async def test_cancelled_reader_frees_the_stream() -> None:
    stream = make_stream()
    first = await started(stream.readany())
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    second = await started(stream.readany())
    stream.feed_data(b"ok")
    assert await second == b"ok"


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": 0}, {"limit": -1}, {"max_size": -1}],
    ids=["zero-limit", "negative-limit", "negative-max-size"],
)
def test_bad_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BodyStream(**kwargs)


# -- the shared empty stream


async def test_empty_stream_is_always_at_eof() -> None:
    assert EMPTY_STREAM.at_eof()
    assert await EMPTY_STREAM.read() == b""
    assert await EMPTY_STREAM.readany() == b""
    assert await EMPTY_STREAM.readline() == b""
    assert [p async for p in EMPTY_STREAM.iter_chunked(10)] == []
    assert EMPTY_STREAM.total_bytes == 0


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.feed_data(b"x"),
        lambda s: s.feed_eof(),
        lambda s: s.set_exception(ValueError()),
    ],
    ids=["feed_data", "feed_eof", "set_exception"],
)
def test_empty_stream_cannot_be_fed(mutate: Callable[[BodyStream], None]) -> None:
    with pytest.raises(RuntimeError, match="shared by every request"):
        mutate(EMPTY_STREAM)
    assert EMPTY_STREAM.at_eof()
    assert EMPTY_STREAM.exception() is None


async def test_iter_chunked_does_not_wait_to_fill_a_piece() -> None:
    stream = fed(b"abc", eof=False)
    pieces = stream.iter_chunked(10)
    assert await pieces.__anext__() == b"abc"
    stream.feed_data(b"de")
    stream.feed_eof()
    assert [p async for p in pieces] == [b"de"]
