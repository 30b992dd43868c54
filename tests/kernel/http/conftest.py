"""Fixtures for codec tests: bytes in, events out, no event loop.

``parse(data)`` is the one helper every parser test goes through. It feeds
``data`` whole, then one byte at a time, then followed by the start of another
request, and checks that all three give the same events before returning them.
A complete request is also fed twice in a row: the second copy repeats the
first one's field section, which the parser may read from memory
(``HeadReader.read``), and must give the same events again.
``Data`` events are merged first, because how a body is cut depends on how the
bytes arrived. A ``ProtocolError`` shows up as a final ``Rejected(status, reason)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeAlias

import attrs
import pytest

from jackfield.http import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

NEXT_REQUEST_START = b"GET /next HTTP/1.1\r\nHost: nex"


@attrs.frozen
class Rejected:
    """The parser raised ``ProtocolError`` with this status and reason.

    Both count when events are compared: the same input must fail with the
    same words however it is split (issue 20), not only with the same status.
    """

    status: int
    reason: str


Outcome: TypeAlias = RequestHead | Data | EndOfMessage | Rejected
Parse: TypeAlias = Callable[..., list[Outcome]]


def _merge(events: list[Outcome]) -> list[Outcome]:
    merged: list[Outcome] = []
    for event in events:
        if isinstance(event, Data) and merged and isinstance(merged[-1], Data):
            merged[-1] = Data(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def run(pieces: Iterable[bytes], limits: Limits) -> tuple[list[Outcome], RequestParser]:
    """Feed ``pieces`` in turn, draining events after each; return merged events."""
    parser = RequestParser(limits)
    events: list[Outcome] = []
    for piece in pieces:
        parser.feed(piece)
        while True:
            try:
                event = parser.next_event()
            except ProtocolError as exc:
                events.append(Rejected(exc.status, exc.reason))
                return _merge(events), parser
            if event is NEED_DATA:
                break
            assert event is not PAUSED, "PAUSED before END_OF_MESSAGE"
            if isinstance(event, Data):
                assert event.data, "the parser emitted an empty Data"
                assert type(event.data) is bytes
            events.append(event)
            if event is END_OF_MESSAGE:
                assert parser.next_event() is PAUSED
                assert parser.next_event() is PAUSED
                parser.start_next()
    return _merge(events), parser


def parse_checked(data: bytes, limits: Limits | None = None) -> list[Outcome]:
    """Return the events of ``data``, checking that any split gives the same ones."""
    limits = limits or Limits()
    whole, whole_parser = run([data], limits)
    bytewise, _ = run([data[i : i + 1] for i in range(len(data))], limits)
    assert bytewise == whole, "feeding byte by byte changed the events"
    complete = whole and whole[-1] is END_OF_MESSAGE and not whole_parser.buffered
    if complete or (whole and isinstance(whole[-1], Rejected)):
        followed, parser = run([data + NEXT_REQUEST_START], limits)
        assert followed == whole, "a following request changed the events"
        if complete:
            assert parser.trailing_data == NEXT_REQUEST_START
            assert parser.buffered == len(NEXT_REQUEST_START)
    if complete:
        twice, _ = run([data, data], limits)
        assert twice == whole + whole, "the same request read again gave other events"
    return whole


@pytest.fixture
def parse() -> Parse:
    """``parse(data, limits=None) -> events``, fed whole, byte by byte and with a follower."""
    return parse_checked


@pytest.fixture
def parser() -> RequestParser:
    """A fresh parser with the default limits."""
    return RequestParser()


def rejection_of(data: bytes, limits: Limits | None = None) -> Rejected:
    """Return how ``data`` was rejected (checked like ``parse``); fail if it was not."""
    events = parse_checked(data, limits)
    assert events, "no events at all"
    last = events[-1]
    assert isinstance(last, Rejected), f"expected a ProtocolError, got {events!r}"
    return last


@pytest.fixture
def rejection() -> Callable[..., Rejected]:
    """``rejection(data, limits=None) -> Rejected``: ``.status`` and ``.reason`` of the error."""
    return rejection_of


# Small limits, so over-limit cases stay a few bytes (bad-input table and fuzzing).
SMALL = Limits(
    max_request_line=64,
    max_field_size=64,
    max_headers_size=256,
    max_header_count=5,
    max_chunk_size=100,
    max_chunk_ext_size=16,
    max_trailer_size=64,
    max_trailer_count=2,
)
