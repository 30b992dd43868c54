"""Body sources with codings removed and sizes bounded.

Owns the decoders for ``Content-Encoding`` (gzip, deflate, identity, and br
when the optional ``brotli`` package is installed) and for a multipart part's
``Content-Transfer-Encoding`` (base64, quoted-printable), plus two thin
``readany()`` sources built on them: ``DecodedSource`` (a stream with its
coding removed) and ``LimitedSource`` (413 past a byte count, while streaming).

Invariants:
* A decoder never hands out more than ``OUT_CHUNK`` bytes per piece: zlib
  gets ``max_length`` and keeps the rest of its input as ``unconsumed_tail``,
  brotli is fed small slices. So a small compressed body cannot expand in
  memory by itself; whoever keeps the pieces counts them against a limit
  (``client_max_size`` for whole reads).
* Decoders are generators (``feed(data)`` and ``finish()`` yield pieces):
  callers that stream take one piece at a time, callers that buffer join them.
* Unknown codings are 415 when the decoder is made, before any byte is read;
  corrupt or truncated coded data is 400.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..responses.exceptions import HTTPBadRequest, HTTPUnsupportedMediaType

try:  # optional: br is decoded only when a brotli binding is installed
    import brotli as _brotli  # type: ignore[import-not-found,import-untyped]
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as _brotli  # type: ignore[import-not-found,import-untyped,no-redef]
    except ImportError:
        _brotli = None
# Brotli's ratio is unbounded in practice (200 MiB of zeros fit in 329 bytes), so
# br is offered only by bindings that can cap each output (brotli >= 1.2).
if _brotli is not None and not hasattr(_brotli.Decompressor(), "can_accept_more_data"):
    _brotli = None  # pragma: no cover - depends on the environment

__all__ = [
    "OUT_CHUNK",
    "BytesSource",
    "DecodedSource",
    "Decoder",
    "LimitedSource",
    "Readable",
    "content_decoder",
    "supported_codings",
    "transfer_decoder",
]

#: Largest piece a decoder yields at once.
OUT_CHUNK = 2**16
# Most codings one body may stack ("gzip, gzip" is legal; a hundred is an attack).
_MAX_CODINGS = 3


class Readable(Protocol):
    """Anything with ``async readany() -> bytes`` (``b""`` at the end): a body source."""

    async def readany(self) -> bytes: ...


class Decoder(Protocol):
    """Turns coded bytes into content, yielding pieces of at most ``OUT_CHUNK`` bytes."""

    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


def supported_codings() -> tuple[str, ...]:
    """Return the Content-Encoding names this installation decodes."""
    base = ("gzip", "x-gzip", "deflate", "identity")
    return (*base, "br") if _brotli is not None else base


def _bad(what: str, coding: str, exc: Exception | str) -> HTTPBadRequest:
    return HTTPBadRequest(
        text=f"400: {what} is not valid {coding} data ({exc}); send it encoded as declared"
    )


class _Zlib:
    """gzip (members may follow each other, RFC 1952 §2.2) and deflate (zlib or raw)."""

    __slots__ = ("_coding", "_head", "_obj", "_what")

    def __init__(self, coding: str, what: str) -> None:
        self._coding = coding
        self._what = what
        self._head = b""  # deflate: bytes kept until the zlib header can be checked
        self._obj: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if coding == "gzip" else None

    def _start_deflate(self, data: bytes) -> bytes | None:
        data = self._head + data
        if len(data) < 2:
            self._head = data
            return None
        self._head = b""
        # RFC 9110 §8.4.1.2: "deflate" is the zlib format, but some clients send
        # raw deflate; a zlib header is a multiple of 31 with method 8.
        cmf, flg = data[0], data[1]
        wrapped = cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0
        self._obj = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            started = self._start_deflate(data)
            if started is None:
                return
            data = started
        while data:
            obj = self._obj
            if obj.eof:
                data = self._next_member(obj.unused_data + data)
                continue
            try:
                out = obj.decompress(data, OUT_CHUNK)
            except zlib.error as exc:
                raise _bad(self._what, self._coding, exc) from None
            data = obj.unconsumed_tail
            if obj.eof and obj.unused_data:
                data = self._next_member(obj.unused_data + data)
            if out:
                yield out

    def _next_member(self, rest: bytes) -> bytes:
        if self._coding != "gzip" or rest[:2] != b"\x1f\x8b":
            raise _bad(self._what, self._coding, f"{len(rest)} bytes after the end of the data")
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return rest

    def finish(self) -> Iterator[bytes]:
        obj = self._obj
        if obj is None:
            if self._head:
                raise _bad(self._what, self._coding, "truncated")
            return  # no body at all
        try:
            out = obj.flush()
        except zlib.error as exc:
            raise _bad(self._what, self._coding, exc) from None
        if out:
            yield out
        if not obj.eof:
            raise _bad(self._what, self._coding, "truncated: the data ends early")


class _Brotli:
    __slots__ = ("_obj", "_what")

    def __init__(self, what: str) -> None:
        self._what = what
        self._obj = _brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        obj = self._obj
        try:
            out = obj.process(data, output_buffer_limit=OUT_CHUNK)
            # Output may be pending even once more input is accepted: drain it.
            while out or not obj.can_accept_more_data():
                # The binding may overshoot its limit a little; keep pieces <= OUT_CHUNK.
                for i in range(0, len(out), OUT_CHUNK):
                    yield out[i : i + OUT_CHUNK]
                out = obj.process(b"", output_buffer_limit=OUT_CHUNK)
        except _brotli.error as exc:
            raise _bad(self._what, "br", exc) from None

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")
        if not self._obj.is_finished():
            raise _bad(self._what, "br", "truncated: the data ends early")


class _Chain:
    """Codings applied one after the other; decoded in reverse order."""

    __slots__ = ("_stages",)

    def __init__(self, stages: list[Decoder]) -> None:
        self._stages = stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, self._stages[0].feed(data))

    def _through(self, i: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if i + 1 == len(self._stages):
            yield from pieces
            return
        nxt = self._stages[i + 1]
        for piece in pieces:
            yield from self._through(i + 1, nxt.feed(piece))

    def finish(self) -> Iterator[bytes]:
        for i, stage in enumerate(self._stages):
            yield from self._through(i, stage.finish())


def content_decoder(value: str | None, *, what: str = "the request body") -> Decoder | None:
    """Return a decoder for a ``Content-Encoding`` value, ``None`` for identity.

    Raises ``HTTPUnsupportedMediaType`` (415) for a coding this server cannot
    decode, naming the ones it can.
    """
    if not value:
        return None
    codings = [c.strip().lower() for c in value.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > _MAX_CODINGS:
        raise HTTPUnsupportedMediaType(
            text=f"415: {what} is encoded {len(codings)} times ({value!r}); "
            f"at most {_MAX_CODINGS} codings are decoded"
        )
    stages: list[Decoder] = []
    for coding in reversed(codings):  # the last coding applied is removed first
        if coding in ("gzip", "x-gzip"):
            stages.append(_Zlib("gzip", what))
        elif coding == "deflate":
            stages.append(_Zlib("deflate", what))
        elif coding == "br" and _brotli is not None:
            stages.append(_Brotli(what))
        else:
            raise HTTPUnsupportedMediaType(
                text=f"415: Content-Encoding {coding!r} of {what} is not supported; "
                f"use one of {', '.join(supported_codings())}"
            )
    return stages[0] if len(stages) == 1 else _Chain(stages)


class _Base64:
    __slots__ = ("_rest", "_what")

    _WS = b" \t\r\n"

    def __init__(self, what: str) -> None:
        self._what = what
        self._rest = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        data = self._rest + data.translate(None, self._WS)
        cut = len(data) - len(data) % 4
        self._rest = data[cut:]
        if cut:
            yield self._decode(data[:cut])

    def _decode(self, data: bytes) -> bytes:
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise _bad(self._what, "base64", exc) from None

    def finish(self) -> Iterator[bytes]:
        if self._rest:
            raise _bad(self._what, "base64", "its length is not a multiple of 4")
        return iter(())


class _QuotedPrintable:
    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        data = self._rest + data
        # An escape ("=XX") or a soft line break ("=\r\n") may be cut by the
        # chunking: keep an '=' among the last two bytes for the next piece.
        cut = data.rfind(b"=", max(0, len(data) - 2))
        if cut == -1:
            cut = len(data)
        self._rest = data[cut:]
        if cut:
            yield binascii.a2b_qp(data[:cut])

    def finish(self) -> Iterator[bytes]:
        if self._rest:
            yield binascii.a2b_qp(self._rest)


_TRANSFER: dict[str, Callable[[str], Decoder] | None] = {
    "base64": _Base64,
    "quoted-printable": lambda what: _QuotedPrintable(),
    "binary": None,
    "7bit": None,
    "8bit": None,
}


def transfer_decoder(value: str | None, *, what: str = "a multipart part") -> Decoder | None:
    """Return a decoder for a part's ``Content-Transfer-Encoding``, ``None`` for none."""
    if not value:
        return None
    key = value.strip().lower()
    if key not in _TRANSFER:
        raise HTTPUnsupportedMediaType(
            text=f"415: Content-Transfer-Encoding {value!r} of {what} is not supported; "
            f"use one of {', '.join(_TRANSFER)}"
        )
    make = _TRANSFER[key]
    return None if make is None else make(what)


class DecodedSource:
    """A ``readany()`` source with a decoder applied to another source's bytes."""

    __slots__ = ("_decoder", "_done", "_pending", "_source")

    def __init__(self, source: Readable, decoder: Decoder) -> None:
        self._source = source
        self._decoder = decoder
        self._pending: Iterator[bytes] | None = None
        self._done = False

    async def readany(self) -> bytes:
        """Return the next decoded piece (at most ``OUT_CHUNK`` bytes), ``b""`` at the end."""
        while True:
            if self._pending is not None:
                piece = next(self._pending, None)
                if piece is not None:
                    return piece
                self._pending = None
            if self._done:
                return b""
            data = await self._source.readany()
            if data:
                self._pending = self._decoder.feed(data)
            else:
                self._done = True
                self._pending = self._decoder.finish()


class LimitedSource:
    """A ``readany()`` source raising ``too_large(total)`` once over ``limit`` bytes."""

    __slots__ = ("_limit", "_source", "_too_large", "_total")

    def __init__(self, source: Readable, limit: int, too_large: Callable[[int], Exception]) -> None:
        self._source = source
        self._limit = limit
        self._too_large = too_large
        self._total = 0

    async def readany(self) -> bytes:
        """Return the next piece; raise as soon as the running total passes the limit."""
        data = await self._source.readany()
        self._total += len(data)
        if self._total > self._limit:
            raise self._too_large(self._total)
        return data


class BytesSource:
    """A ``readany()`` source over bytes already in memory (a body that was read)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def readany(self) -> bytes:
        """Return everything on the first call, then ``b""``."""
        data, self._data = self._data, b""
        return data
