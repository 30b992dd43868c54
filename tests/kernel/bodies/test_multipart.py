"""The streaming multipart reader: structure, chunking, nesting, codings, limits, bad input."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import attrs
import pytest
from multidict import CIMultiDict

from jackfield.app.app import Application
from jackfield.bodies.multipart import (
    MULTIPART_LIMITS,
    BodyPartReader,
    MultipartError,
    MultipartLimitError,
    MultipartLimits,
    MultipartReader,
    set_multipart_limits,
)
from jackfield.testing.testing import make_mocked_request

B = "b0undary"
CT = {"Content-Type": f"multipart/form-data; boundary={B}"}


def part(headers: str, body: bytes) -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"


def body_of(*parts: bytes, close: bytes = f"--{B}--\r\n".encode()) -> bytes:
    return b"".join(parts) + close


FORM = body_of(
    part('Content-Disposition: form-data; name="title"', b"Hello"),
    part(
        'Content-Disposition: form-data; name="upload"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream",
        bytes(range(256)) * 40 + b"\r\n--b0undar",  # near-miss of the delimiter inside
    ),
    part('Content-Disposition: form-data; name="empty"', b""),
)


class Chunked:
    """A source that hands out ``data`` in ``step``-byte pieces."""

    def __init__(self, data: bytes, step: int | None = None) -> None:
        self.data = data
        self.step = step or max(1, len(data))
        self.pos = 0

    async def readany(self) -> bytes:
        piece = self.data[self.pos : self.pos + self.step]
        self.pos += len(piece)
        return piece


def reader_for(
    data: bytes, step: int | None = None, *, headers: dict[str, str] | None = None, **limits: Any
) -> MultipartReader:
    return MultipartReader(
        CIMultiDict(headers or CT), Chunked(data, step), limits=MultipartLimits(**limits)
    )


async def collect(reader: MultipartReader, chunk: int = 8192) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    async for p in reader:
        if isinstance(p, MultipartReader):
            out.append(("nested", p.name, await collect(p, chunk)))
            continue
        data = b""
        while piece := await p.read_chunk(chunk):
            data += piece
        assert p.at_eof()
        out.append((p.name, p.filename, data))
    assert reader.at_eof()
    return out


EXPECTED_FORM = [
    ("title", None, b"Hello"),
    ("upload", "a.bin", bytes(range(256)) * 40 + b"\r\n--b0undar"),
    ("empty", None, b""),
]


@pytest.mark.parametrize("step", [None, 1, 2, 7, 13, 4096], ids=lambda s: f"step-{s}")
@pytest.mark.parametrize("chunk", [1, 100, 8192])
async def test_parts_are_the_same_however_the_body_is_chunked(step: int | None, chunk: int) -> None:
    if step == 1 and chunk == 1:
        chunk = 3  # one byte both ways is slow and adds nothing
    assert await collect(reader_for(FORM, step), chunk) == EXPECTED_FORM


async def test_next_returns_parts_then_none_and_skips_unread_data() -> None:
    reader = reader_for(FORM, 5)
    first = await reader.next()
    assert isinstance(first, BodyPartReader) and first.name == "title"
    second = await reader.next()  # the unread "Hello" is skipped
    assert isinstance(second, BodyPartReader)
    assert await second.read_chunk(3) == b"\x00\x01\x02"
    third = await reader.next()
    assert isinstance(third, BodyPartReader) and third.name == "empty"
    assert first.at_eof() and second.at_eof()
    assert await reader.next() is None
    assert await reader.next() is None


async def test_preamble_epilogue_and_padding_are_ignored() -> None:
    data = (
        b"This is the preamble.\r\n"
        + f"--{B}   \t\r\n".encode()
        + b"Content-Disposition: form-data; name=a\r\n\r\nA\r\n"
        + f"--{B}--\r\nThis is the epilogue, ignored.\r\n".encode()
    )
    assert await collect(reader_for(data, 3)) == [("a", None, b"A")]


async def test_a_part_without_headers_is_allowed() -> None:
    data = f"--{B}\r\n\r\nno headers\r\n--{B}--".encode()
    reader = reader_for(data)
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    assert p.name is None and p.filename is None and not p.headers
    assert p.content_type == "text/plain"
    assert await p.read() == b"no headers"


async def test_headers_filename_star_and_quoting() -> None:
    data = body_of(
        part(
            'Content-Disposition: form-data; name="f"; filename="C:\\dir\\old.txt"; '
            "filename*=UTF-8''na%C3%AFve%20file.txt\r\n"
            "X-Folded: first\r\n  second\r\n"
            "Content-Type: text/plain; charset=latin-1",
            "é".encode("latin-1"),
        ),
        part('Content-Disposition: form-data; name="q\\"uote"; filename="C:\\dir\\f.txt"', b""),
    )
    reader = reader_for(data)
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    assert p.filename == "naïve file.txt"
    assert p.disposition == "form-data"
    assert p.headers["X-Folded"] == "first second"
    assert await p.text() == "é"
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    assert p.name == 'q"uote'
    assert p.filename == "C:\\dir\\f.txt"  # backslashes of Windows paths survive


async def test_text_json_and_form_helpers() -> None:
    data = body_of(
        part("Content-Type: application/json", b'{"a": [1, 2]}'),
        part("Content-Type: application/json", b""),
        part("Content-Type: application/x-www-form-urlencoded", b"x=1&y=a+b&x=%C3%A9"),
    )
    reader = reader_for(data)
    first = await reader.next()
    assert isinstance(first, BodyPartReader)
    assert await first.json() == {"a": [1, 2]}
    second = await reader.next()
    assert isinstance(second, BodyPartReader)
    assert await second.json() is None
    third = await reader.next()
    assert isinstance(third, BodyPartReader)
    assert await third.form() == [("x", "1"), ("y", "a b"), ("x", "é")]


@pytest.mark.parametrize(
    ("headers", "coded"),
    [
        pytest.param("Content-Transfer-Encoding: base64", base64.encodebytes(b"x" * 300), id="b64"),
        pytest.param(
            "Content-Transfer-Encoding: quoted-printable", b"x=3D=\r\n" * 2, id="quoted-printable"
        ),
        pytest.param("Content-Encoding: gzip", gzip.compress(b"x" * 300), id="gzip"),
        pytest.param(
            "Content-Encoding: gzip\r\nContent-Transfer-Encoding: base64",
            base64.b64encode(gzip.compress(b"x" * 300)),
            id="gzip-then-base64",
        ),
    ],
)
async def test_read_decode_removes_part_codings(headers: str, coded: bytes) -> None:
    expected = b"x=x=" if b"=3D" in coded else b"x" * 300
    reader = reader_for(body_of(part(headers, coded)))
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    raw = await p.read()
    assert raw == coded  # decode=False keeps the bytes as sent
    assert p.decode(raw) == expected
    reader = reader_for(body_of(part(headers, coded)), 7)
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    assert await p.read(decode=True) == expected


async def test_nested_multipart_mixed_is_a_reader() -> None:
    inner = (
        b"--inner\r\nContent-Disposition: file; filename=one.txt\r\n\r\nONE\r\n"
        b"--inner\r\nContent-Disposition: file; filename=two.txt\r\n\r\nTWO\r\n"
        b"--inner--\r\nepilogue of the nested body"
    )
    data = body_of(
        part('Content-Disposition: form-data; name="before"', b"1"),
        part(
            'Content-Disposition: form-data; name="files"\r\n'
            "Content-Type: multipart/mixed; boundary=inner",
            inner,
        ),
        part('Content-Disposition: form-data; name="after"', b"2"),
    )
    for step in (None, 1, 5):
        assert await collect(reader_for(data, step)) == [
            ("before", None, b"1"),
            ("nested", "files", [(None, "one.txt", b"ONE"), (None, "two.txt", b"TWO")]),
            ("after", None, b"2"),
        ]
    # An unread nested reader is skipped, epilogue included.
    reader = reader_for(data, 3)
    names = []
    async for p in reader:
        names.append(p.name)
    assert names == ["before", "files", "after"]


async def test_release_reads_everything() -> None:
    reader = reader_for(FORM, 11)
    await reader.release()
    assert reader.at_eof()
    assert await reader.next() is None


async def test_read_chunk_needs_a_positive_size() -> None:
    p = await reader_for(FORM).next()
    assert isinstance(p, BodyPartReader)
    with pytest.raises(ValueError, match="size > 0"):
        await p.read_chunk(0)


async def test_big_part_is_streamed_in_requested_sizes() -> None:
    blob = bytes(range(256)) * 4096  # 1 MiB
    reader = reader_for(body_of(part("Content-Type: application/octet-stream", blob)), 65536)
    p = await reader.next()
    assert isinstance(p, BodyPartReader)
    sizes = []
    got = bytearray()
    while chunk := await p.read_chunk(8192):
        sizes.append(len(chunk))
        got += chunk
    assert got == blob
    assert max(sizes) == 8192


# -- bad input


BAD_BODIES = [
    pytest.param(
        {"Content-Type": "multipart/form-data"}, FORM, MultipartError, "boundary", id="no-boundary"
    ),
    pytest.param(
        {"Content-Type": "multipart/form-data; boundary=" + "x" * 71},
        FORM,
        MultipartError,
        "boundary",
        id="boundary-too-long",
    ),
    pytest.param(
        {"Content-Type": 'multipart/form-data; boundary="bad\\"quote"'},
        FORM,
        MultipartError,
        "boundary",
        id="boundary-bad-char",
    ),
    pytest.param(
        {"Content-Type": "multipart/form-data; boundary="},
        FORM,
        MultipartError,
        "boundary",
        id="boundary-empty",
    ),
    pytest.param(
        {"Content-Type": "text/plain; boundary=x"},
        FORM,
        MultipartError,
        "not multipart",
        id="not-multipart",
    ),
    pytest.param(CT, FORM[:-20], MultipartError, "ends before", id="unterminated"),
    pytest.param(CT, b"", MultipartError, "ends before", id="empty-body"),
    pytest.param(
        CT,
        b"no boundary anywhere in here",
        MultipartError,
        "no multipart boundary",
        id="boundary-never-found",
    ),
    pytest.param(
        CT,
        f"--{B}XYZ\r\n\r\nx\r\n--{B}--".encode(),
        MultipartError,
        "instead of CRLF",
        id="junk-after-boundary",
    ),
    pytest.param(
        CT,
        f"--{B}\r\nNo colon here\r\n\r\nx\r\n--{B}--".encode(),
        MultipartError,
        "malformed header",
        id="header-without-colon",
    ),
    pytest.param(
        CT,
        f"--{B}\r\n  folded first\r\n\r\nx\r\n--{B}--".encode(),
        MultipartError,
        "folded",
        id="header-starts-folded",
    ),
    pytest.param(
        CT,
        f"--{B}\r\nX-Big: {'a' * 9000}\r\n\r\nx\r\n--{B}--".encode(),
        MultipartLimitError,
        "max_part_header_size",
        id="header-block-over-limit",
    ),
    pytest.param(
        CT,
        f"--{B}\r\nX-Big: {'a' * 100000}".encode(),
        MultipartLimitError,
        "max_part_header_size",
        id="endless-header-block",
    ),
    pytest.param(
        CT,
        f"--{B}\r\n".encode() + b"X-A: 1\r\n" * 40 + f"\r\nx\r\n--{B}--".encode(),
        MultipartLimitError,
        "max_part_headers",
        id="too-many-headers",
    ),
    pytest.param(
        CT,
        f"--{B}\r\n\r\nx\r\n--{B}\r\n\r\n\r\n--{B}--   \r\n".encode() + f"--{B}\r\n\r\n".encode(),
        None,
        None,
        id="trailing-junk-after-close-is-ignored",
    ),
    pytest.param(
        CT,
        f"--{B}{' ' * 2000}\r\n\r\nx\r\n--{B}--".encode(),
        MultipartError,
        "padding",
        id="endless-padding",
    ),
]


@pytest.mark.parametrize(("headers", "data", "error", "words"), BAD_BODIES)
@pytest.mark.parametrize("step", [None, 3])
async def test_bad_bodies_are_rejected_with_a_clear_error(
    headers: dict[str, str],
    data: bytes,
    error: type[Exception] | None,
    words: str | None,
    step: int | None,
) -> None:
    if error is None:
        await collect(reader_for(data, step, headers=headers))
        return
    with pytest.raises(error) as info:
        await collect(reader_for(data, step, headers=headers))
    assert words is not None and words in str(info.value)
    status = 413 if error is MultipartLimitError else 400
    assert info.value.status == status  # type: ignore[attr-defined]
    assert isinstance(info.value, ValueError)


async def test_a_hundred_thousand_tiny_parts_stop_at_max_parts_quickly() -> None:
    tiny = f"--{B}\r\n\r\n\r\n".encode()
    data = tiny * 100_000 + f"--{B}--".encode()
    reader = reader_for(data, 65536)
    seen = 0
    with pytest.raises(MultipartLimitError, match="max_parts=1000"):
        async for _ in reader:
            seen += 1
    assert seen == 1000
    # and the limit can be raised (or turned off with 0)
    assert len(await collect(reader_for(data, 65536, max_parts=0))) == 100_000


async def test_max_depth_bounds_nesting() -> None:
    inner = b"--i\r\n\r\nx\r\n--i--"
    data = body_of(part("Content-Type: multipart/mixed; boundary=i", inner))
    with pytest.raises(MultipartLimitError, match="max_depth=1"):
        await collect(reader_for(data, max_depth=1))
    assert await collect(reader_for(data)) == [("nested", None, [(None, None, b"x")])]


async def test_decoded_part_over_its_limit_is_413() -> None:
    data = body_of(part("Content-Encoding: gzip", gzip.compress(b"\0" * 100_000)))
    p = await reader_for(data, max_decoded_part_size=50_000).next()
    assert isinstance(p, BodyPartReader)
    with pytest.raises(MultipartLimitError, match="max_decoded_part_size"):
        await p.read(decode=True)


# -- limits and configuration


def test_limits_are_frozen_and_validated() -> None:
    limits = MultipartLimits()
    assert limits.max_parts == 1000 and limits.max_part_header_size == 8190
    assert limits.max_part_headers == 32 and limits.spool_threshold == 1024**2
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        limits.max_parts = 5  # type: ignore[misc]
    with pytest.raises(ValueError, match="max_parts must be >= 0"):
        MultipartLimits(max_parts=-1)


def test_set_multipart_limits_stores_them_on_the_app() -> None:
    app = Application(plugins=[])
    limits = MultipartLimits(max_parts=3)
    set_multipart_limits(app, limits)
    assert app[MULTIPART_LIMITS] is limits
    with pytest.raises(TypeError, match="MultipartLimits"):
        set_multipart_limits(app, {"max_parts": 3})  # type: ignore[arg-type]
    app.freeze()
    with pytest.raises(RuntimeError, match="after the application has started"):
        set_multipart_limits(app, limits)


async def test_request_multipart_uses_app_limits_or_the_argument() -> None:
    app = Application(plugins=[])
    set_multipart_limits(app, MultipartLimits(max_parts=1))
    data = body_of(part("", b"1"), part("", b"2"))
    request = make_mocked_request("POST", "/", CT, body=data, app=app)
    reader = await request.multipart()
    with pytest.raises(MultipartLimitError, match="max_parts=1"):
        await collect(reader)
    request = make_mocked_request("POST", "/", CT, body=data, app=app)
    reader = await request.multipart(limits=MultipartLimits())
    assert len(await collect(reader)) == 2


async def test_request_multipart_ignores_client_max_size_and_decodes() -> None:
    blob = b"z" * 300_000
    data = body_of(part('Content-Disposition: form-data; name="f"', blob))
    headers = {**CT, "Content-Encoding": "gzip"}
    request = make_mocked_request(
        "POST", "/", headers, body=gzip.compress(data), client_max_size=1000
    )
    reader = await request.multipart()
    assert await collect(reader) == [("f", None, blob)]


async def test_request_multipart_without_boundary_fails_before_reading() -> None:
    request = make_mocked_request("POST", "/", {"Content-Type": "text/plain"}, body=b"x")
    with pytest.raises(MultipartError):
        await request.multipart()
    assert await request.content.read() == b"x"
