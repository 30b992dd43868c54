"""One part of a multipart body: ``BodyPartReader``, and the removal of a part's codings.

A part reads its bytes through the ``MultipartReader`` that produced it
(``reader._read_body``), which owns the buffer and knows where the part ends;
the part only remembers whether it reached that end. ``PartDecoder`` removes
Content-Transfer-Encoding (base64, quoted-printable) and then Content-Encoding
(gzip, deflate, br) as a stream of bounded pieces.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy

from ._decoding import OUT_CHUNK, content_decoder, transfer_decoder
from ._mime import (
    MultipartError,
    MultipartLimitError,
    content_disposition,
    decode_text,
    parse_params,
)
from .urlencoded import parse_urlencoded

if TYPE_CHECKING:
    from .multipart import MultipartReader

__all__ = ["BodyPartReader", "PartDecoder", "PartSource"]


class PartSource:
    """The body of a part as a ``readany()`` source (for a nested reader)."""

    __slots__ = ("_part",)

    def __init__(self, part: BodyPartReader) -> None:
        self._part = part

    async def readany(self) -> bytes:
        return await self._part.read_chunk(OUT_CHUNK)


class BodyPartReader:
    """One part of a multipart body: its headers, and its bytes read in chunks or whole."""

    def __init__(self, reader: MultipartReader, headers: CIMultiDictProxy[str]) -> None:
        self._reader = reader
        self.headers = headers
        self._disposition = content_disposition(headers.get("Content-Disposition"))
        self._eof = False

    def __repr__(self) -> str:
        return f"<BodyPartReader name={self.name!r} filename={self.filename!r}>"

    @property
    def name(self) -> str | None:
        """The field name from Content-Disposition (``None`` without one)."""
        return self._disposition[1].get("name")

    @property
    def filename(self) -> str | None:
        """The file name from Content-Disposition (``filename*`` wins), or ``None``."""
        return self._disposition[1].get("filename")

    @property
    def disposition(self) -> str | None:
        """The Content-Disposition type (``form-data``, ``attachment``…), or ``None``."""
        return self._disposition[0]

    @property
    def content_type(self) -> str:
        """The part's media type (``text/plain`` when unsaid, RFC 7578 §4.4)."""
        return parse_params(self.headers.get("Content-Type", "text/plain"))[0]

    def get_charset(self, default: str = "utf-8") -> str:
        """The charset parameter of the part's Content-Type, or ``default``."""
        return parse_params(self.headers.get("Content-Type", ""))[1].get("charset", default)

    def at_eof(self) -> bool:
        """True once every byte of the part was read."""
        return self._eof

    async def read_chunk(self, size: int = 8192) -> bytes:
        """Return up to ``size`` raw bytes of the part (codings kept); ``b""`` at its end."""
        if size <= 0:
            raise ValueError(f"read_chunk() needs a size > 0, got {size}")
        if self._eof:
            return b""
        data = await self._reader._read_body(size)
        if not self._reader._part_open:
            self._eof = True
        return data

    async def read(self, *, decode: bool = False) -> bytes:
        """Return the whole part; ``decode=True`` removes its transfer and content codings.

        Decoded data over ``MultipartLimits.max_decoded_part_size`` is a 413.
        """
        chunks = []
        while chunk := await self.read_chunk(OUT_CHUNK):
            chunks.append(chunk)
        data = b"".join(chunks)
        return self.decode(data) if decode else data

    def decode(self, data: bytes) -> bytes:
        """Remove the part's Content-Transfer-Encoding and Content-Encoding from ``data``."""
        limit = self._reader._budget.limits.max_decoded_part_size
        out = []
        size = 0
        decoder = PartDecoder(self.headers)
        for piece in itertools.chain(decoder.feed(data), decoder.finish()):
            size += len(piece)
            if limit and size > limit:
                raise MultipartLimitError(
                    f"part {self.name!r} decodes to more than max_decoded_part_size={limit} "
                    "bytes; raise MultipartLimits.max_decoded_part_size"
                )
            out.append(piece)
        return b"".join(out)

    async def text(self, *, encoding: str | None = None) -> str:
        """Return the decoded part as text (its charset, else ``encoding``, else utf-8)."""
        data = await self.read(decode=True)
        return decode_text(data, encoding or self.get_charset(), f"part {self.name!r}")

    async def json(self, *, encoding: str | None = None) -> Any:
        """Return the part parsed as JSON (``None`` for an empty part)."""
        text = await self.text(encoding=encoding)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise MultipartError(f"part {self.name!r} is not valid JSON: {exc}") from None

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """Return the part parsed as ``application/x-www-form-urlencoded`` pairs."""
        data = await self.read(decode=True)
        limits = self._reader._budget.limits
        pairs = parse_urlencoded(data, encoding or self.get_charset(), limits.max_fields)
        return list(pairs.items())

    async def release(self) -> None:
        """Read and drop the rest of the part."""
        while await self.read_chunk(OUT_CHUNK):
            pass


class PartDecoder:
    """Streaming removal of a part's Content-Transfer-Encoding, then Content-Encoding."""

    __slots__ = ("_content", "_transfer")

    def __init__(self, headers: Mapping[str, str]) -> None:
        what = "a multipart part"
        self._transfer = transfer_decoder(headers.get("Content-Transfer-Encoding"), what=what)
        self._content = content_decoder(headers.get("Content-Encoding"), what=what)

    @property
    def identity(self) -> bool:
        """True when the part has no coding to remove."""
        return self._transfer is None and self._content is None

    def _then(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        content = self._content
        if content is None:
            yield from pieces
            return
        for piece in pieces:
            yield from content.feed(piece)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Yield decoded pieces of ``data``."""
        transfer = self._transfer
        return self._then(transfer.feed(data) if transfer is not None else iter((data,)))

    def finish(self) -> Iterator[bytes]:
        """Yield what the decoders still hold; raise if the coded data was cut short."""
        if self._transfer is not None:
            yield from self._then(self._transfer.finish())
        if self._content is not None:
            yield from self._content.finish()
