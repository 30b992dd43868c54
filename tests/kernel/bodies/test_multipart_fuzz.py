"""The multipart reader and the urlencoded parser under hypothesis (issue 20).

Any body, cut into any pieces, either parses or fails with the 400, 413 or
415 the modules document; a well-formed body gives back exactly the parts it
was built from, however it is cut. The reader's source never suspends here,
so each coroutine is driven to its end without an event loop.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Coroutine
from typing import Any, TypeVar

import attrs
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from jackfield.bodies.forms import FormFiles, parse_urlencoded, read_multipart_form
from jackfield.bodies.multipart import BodyPartReader, MultipartLimits, MultipartReader
from jackfield.responses import HTTPException

from ...fuzzing import PROFILE

assert PROFILE  # importing tests.fuzzing loaded the hypothesis profile

T = TypeVar("T")
BOUNDARY = "b0und'ary"
STATUSES = {400, 413, 415}
SMALL = MultipartLimits(
    max_parts=6,
    max_fields=5,
    max_part_header_size=200,
    max_part_headers=4,
    max_depth=2,
    max_decoded_part_size=4096,
)


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine whose awaits never suspend (the sources below never wait)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise AssertionError("the coroutine suspended; the source must never wait")


class Pieces:
    """A ``readany()`` source handing out the given pieces, then ``b""``."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = [p for p in pieces if p]

    async def readany(self) -> bytes:
        return self._pieces.pop(0) if self._pieces else b""


@st.composite
def cut(draw: st.DrawFn, data: bytes) -> list[bytes]:
    points = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@attrs.frozen
class Part:
    name: str
    content: bytes
    coding: str  # "", "base64" (transfer) or "gzip" (content)

    def encoded(self) -> bytes:
        headers = f'Content-Disposition: form-data; name="{self.name}"\r\n'
        body = self.content
        if self.coding == "base64":
            headers += "Content-Transfer-Encoding: base64\r\n"
            body = base64.b64encode(body)
        elif self.coding == "gzip":
            headers += "Content-Encoding: gzip\r\n"
            body = gzip.compress(body, mtime=0)
        return headers.encode() + b"\r\n" + body


def multipart_body(parts: list[Part], preamble: bytes = b"") -> bytes:
    out = preamble + b"".join(b"\r\n--" + BOUNDARY.encode() + b"\r\n" + p.encoded() for p in parts)
    return (out + b"\r\n--" + BOUNDARY.encode() + b"--\r\n").removeprefix(b"\r\n")


names = st.text("abcxyz_-", min_size=1, max_size=8)
# Content that looks like a boundary now and then, so delimiter search is tested.
contents = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"--" + BOUNDARY.encode(), b"\r\n--" + BOUNDARY.encode()[:-1], b"\r\n\r\n"]),
)
parts_lists = st.lists(
    st.builds(Part, names, contents, st.sampled_from(["", "", "base64", "gzip"])), max_size=5
)
HEADERS = CIMultiDict({"Content-Type": f'multipart/form-data; boundary="{BOUNDARY}"'})


async def read_all(reader: MultipartReader) -> list[Any]:
    out: list[Any] = []
    async for part in reader:
        if isinstance(part, BodyPartReader):
            out.append((part.name, await part.read(decode=True)))
        else:
            out.append(await read_all(part))
    return out


@given(parts_lists, st.binary(max_size=8).map(lambda p: p.replace(b"-", b"")), st.data())
def test_a_well_formed_body_gives_its_parts_however_it_is_cut(
    parts: list[Part], preamble: bytes, data: st.DataObject
) -> None:
    body = multipart_body(parts, preamble and preamble + b"\r\n")
    reader = MultipartReader(HEADERS, Pieces(data.draw(cut(body))))
    assert drive(read_all(reader)) == [(p.name, p.content) for p in parts]


def _damage(body: bytes, at: int, byte: int, op: str) -> bytes:
    at = min(at, len(body))
    if op == "insert":
        return body[:at] + bytes([byte]) + body[at:]
    if op == "delete":
        return body[:at] + body[at + 1 :]
    return body[:at] + bytes([byte]) + body[at + 1 :]


bodies = st.one_of(
    st.binary(max_size=300),
    parts_lists.map(multipart_body),
    st.builds(
        _damage,
        parts_lists.map(multipart_body),
        st.integers(0, 400),
        st.sampled_from(b"\r\n-: ;=\"'\x00" + BOUNDARY.encode()),
        st.sampled_from(["insert", "delete", "replace"]),
    ),
    st.builds(  # a nested multipart/mixed part inside form-data
        lambda inner, outer: (
            outer.replace(
                b'name="',
                b"Content-Type: multipart/mixed; boundary="
                + BOUNDARY.encode()
                + b"x\r\n"
                + b'name="',
                1,
            )
            + inner
        ),
        parts_lists.map(multipart_body),
        parts_lists.map(multipart_body),
    ),
)


def _only_documented_errors(coro: Coroutine[Any, Any, Any]) -> None:
    try:
        drive(coro)
    except HTTPException as exc:
        assert exc.status_code in STATUSES, exc
        assert exc.text and len(exc.text) < 600, "an error must not echo much of the input"


@given(bodies, st.sampled_from([MultipartLimits(), SMALL]), st.data())
def test_any_body_cut_anywhere_fails_only_with_400_413_or_415(
    body: bytes, limits: MultipartLimits, data: st.DataObject
) -> None:
    pieces = data.draw(cut(body))
    _only_documented_errors(read_all(MultipartReader(HEADERS, Pieces(pieces), limits=limits)))
    files = FormFiles(Pieces([]))  # any object a weak reference can point at
    try:
        _only_documented_errors(
            read_multipart_form(
                MultipartReader(HEADERS, Pieces(pieces), limits=limits),
                limits=limits,
                files=lambda: files,
                charset="utf-8",
                max_size=2048,
                too_large=lambda size: HTTPException(status_code=413, text=f"413: {size}"),
            )
        )
    finally:
        files.close()


# -- application/x-www-form-urlencoded

pairs = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6)


@given(pairs, st.sampled_from(["utf-8", "latin-1", "UTF-8"]))
def test_urlencoded_pairs_round_trip(fields: list[tuple[str, str]], charset: str) -> None:
    from urllib.parse import urlencode

    try:
        body = urlencode(fields, encoding=charset).encode("ascii")
    except UnicodeEncodeError:
        return  # the text has characters this charset cannot carry
    got = list(parse_urlencoded(body, charset, 0).items())
    assert got == fields


@given(
    st.binary(max_size=120),
    st.sampled_from(["utf-8", "latin-1", "ascii", "utf-16", "base64", "nope", "x" * 50, ""]),
    st.integers(0, 4),
)
def test_any_urlencoded_body_fails_only_with_400_or_413(
    body: bytes, charset: str, max_fields: int
) -> None:
    try:
        form = parse_urlencoded(body, charset, max_fields)
    except HTTPException as exc:
        assert exc.status_code in {400, 413}, exc
    else:
        assert not max_fields or len(form) <= max_fields
