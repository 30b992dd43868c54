"""RequestParser under hypothesis (issue 20): any bytes, split anywhere.

Three promises of ``jackfield.http.parser`` are checked on generated input:
only ``ProtocolError`` escapes, with a status it documents; what stays
buffered while the parser waits is bounded by the limits; and the same bytes
give the same events, and fail with the same status and reason, however they
are split. Inputs are random bytes, plausible-but-tricky requests
(``request_strategies``) and those requests slightly damaged.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jackfield.http import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

from ...fuzzing import PROFILE
from .conftest import SMALL, Rejected, parse_checked, run
from .request_strategies import mutated, splits, tricky_requests

assert PROFILE  # importing tests.fuzzing loaded the hypothesis profile

# The statuses ProtocolError documents.
STATUSES = {400, 413, 414, 431, 501, 505}
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

limits = st.sampled_from([Limits(), SMALL])
inputs = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=120).map(lambda body: CHUNKED_HEAD + body),
    tricky_requests().map(lambda wire: wire.data),
    mutated(tricky_requests().map(lambda wire: wire.data)),
    mutated(
        st.lists(tricky_requests(), min_size=2, max_size=3).map(
            lambda ws: b"".join(w.data for w in ws)
        )
    ),
)


def _bound(limits: Limits) -> int:
    """Most bytes the parser may hold while it waits for more (see its limits)."""
    chunk_line = 16 + limits.max_chunk_ext_size + 2
    return max(limits.max_headers_size, limits.max_trailer_size, chunk_line) + 4


def _feed_checked(pieces: list[bytes], limits: Limits) -> None:
    """Feed ``pieces``; only ProtocolError may escape, and buffering stays bounded."""
    parser = RequestParser(limits)
    owed: int | None = None
    try:
        for piece in pieces:
            parser.feed(piece)
            while (event := parser.next_event()) is not NEED_DATA:
                if event is PAUSED:
                    parser.start_next()
                elif isinstance(event, RequestHead):
                    owed = event.content_length
                elif isinstance(event, Data):
                    assert event.data, "empty Data"
                    if owed is not None:
                        owed -= len(event.data)
                        assert owed >= 0, "Data past the Content-Length"
                else:
                    assert event is END_OF_MESSAGE
                    assert not owed, "END_OF_MESSAGE before the whole body"
                    owed = None
            assert parser.buffered <= _bound(limits), "the parser holds too much while waiting"
    except ProtocolError as exc:
        assert exc.status in STATUSES, exc
        assert isinstance(exc.reason, str) and 0 < len(exc.reason) < 200
        with pytest.raises(ProtocolError) as again:
            parser.next_event()
        assert again.value is exc, "after a ProtocolError the parser must raise it again"


@given(data=inputs, limits=limits, st_data=st.data())
def test_any_bytes_split_anywhere_raise_only_documented_protocol_errors(
    data: bytes, limits: Limits, st_data: st.DataObject
) -> None:
    pieces = st_data.draw(splits(data))
    _feed_checked(pieces, limits)


@given(data=inputs, limits=limits, st_data=st.data())
def test_the_same_events_and_errors_however_the_bytes_are_split(
    data: bytes, limits: Limits, st_data: st.DataObject
) -> None:
    whole, whole_parser = run([data], limits)
    pieces = st_data.draw(splits(data))
    assert run(pieces, limits)[0] == whole
    if whole and whole[-1] is END_OF_MESSAGE and not whole_parser.buffered:
        # A second copy repeats the first's field sections (read from memory).
        assert run(pieces + pieces, limits)[0] == whole + whole
    bytewise = [data[i : i + 1] for i in range(len(data))]
    assert run(bytewise, limits)[0] == whole


# -- regressions found by the properties above (each failed before its fix)


def _chunked(body: bytes) -> bytes:
    return CHUNKED_HEAD + body


@pytest.mark.parametrize(
    ("data", "limits", "reason"),
    [
        pytest.param(
            _chunked(b"5;a\rb\r\n"),
            None,
            "chunk-size line does not end in CRLF: b'5;a\\rb'",
            id="bare-cr-in-extension",
        ),
        pytest.param(
            _chunked(b"5;" + b"a" * 4200 + b"\r\n"),
            None,
            "chunk extension (what follows the chunk size) longer than 4096 bytes",
            id="extension-too-long",
        ),
        pytest.param(
            _chunked(b"zz" + b"a" * 4200 + b"\r\n"),
            None,
            "invalid chunk size b'z'",
            id="long-garbage-size",
        ),
        pytest.param(
            _chunked(b"5;" + b"a" * 16 + b"\rX\r\n"),
            SMALL,
            "chunk extension (what follows the chunk size) longer than 16 bytes",
            id="extension-limit-before-bare-cr",
        ),
        pytest.param(
            _chunked(b"5\r\nabcdeXY\r\n"),
            None,
            "chunk data not followed by CRLF: b'X'",
            id="chunk-end-excerpt",
        ),
        pytest.param(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            None,
            "invalid start of request b'\\x16'",
            id="start-of-request-excerpt",
        ),
    ],
)
def test_a_chunk_or_head_defect_has_one_reason_however_split(
    data: bytes, limits: Limits | None, reason: str
) -> None:
    events = parse_checked(data, limits)  # whole, byte by byte, followed: reasons must agree
    assert events[-1] == Rejected(400, reason)


@given(st.binary(min_size=1, max_size=40))
@example(b"\r\r")
@example(b"5\r")
def test_chunk_size_lines_fail_alike_whole_and_bytewise(line: bytes) -> None:
    data = _chunked(line + b"\r\n")
    whole, _ = run([data], SMALL)
    bytewise, _ = run(
        [CHUNKED_HEAD, *(line[i : i + 1] for i in range(len(line))), b"\r", b"\n"], SMALL
    )
    assert bytewise == whole
