"""Form bodies for ``await request.post()``: urlencoded pairs and multipart/form-data fields.

Owns ``FileField`` (an uploaded file and its metadata), the parsing of both
form encodings into a ``MultiDict``, and the spooled temporary files that hold
uploads: each file stays in memory up to ``MultipartLimits.spool_threshold``,
then moves to a temporary file, and is closed (its disk space freed) when the
request ends, by ``Request._cleanup()`` or, failing that, when the request is
garbage collected.

Invariants: the decoded size of everything ``post()`` keeps counts against the
request's ``client_max_size`` while it is read (413 past it); the number of
fields against ``MultipartLimits.max_fields``. Field names and values are
decoded text; a part with a file name (or a non-text type) is not.
"""

from __future__ import annotations

import contextlib
import tempfile
import weakref
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import attrs
from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy

from ._decoding import BytesSource, LimitedSource, Readable
from ._mime import MultipartError, decode_text
from .multipart import BodyPartReader, MultipartLimits, MultipartReader, PartDecoder
from .urlencoded import parse_urlencoded, too_many_fields

if TYPE_CHECKING:
    from ..requests.request import Request

__all__ = ["FileField", "FormFiles", "parse_urlencoded", "read_multipart_form", "read_post"]

_FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

_READ_SIZE = 2**16


@attrs.frozen(slots=True)
class FileField:
    """An uploaded file from a multipart form: ``data["field"]`` after ``await request.post()``.

    ``file`` is open for reading at its start; it is closed when the request
    ends, so copy what you need before the handler returns.
    """

    name: str
    """The form field's name."""
    filename: str
    """The file name the client gave (never trust it as a path)."""
    file: IO[bytes]
    """The content: a ``tempfile.SpooledTemporaryFile``, rewound."""
    content_type: str
    """The part's media type (``application/octet-stream`` when unsaid)."""
    headers: CIMultiDictProxy[str]
    """All the part's headers."""


class FormFiles:
    """The temporary files of one request's form; ``close()`` frees them all (idempotent).

    A ``weakref.finalize`` on the request closes them too if the request is
    collected first, so a file is never leaked by a server that does not call
    ``close()``.
    """

    __slots__ = ("_files", "_finalizer")

    def __init__(self, owner: object) -> None:
        self._files: list[IO[bytes]] = []
        self._finalizer = weakref.finalize(owner, _close_all, self._files)

    def new(self, threshold: int) -> IO[bytes]:
        """Return a new spooled file that is closed with the others."""
        file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=threshold, mode="w+b")  # noqa: SIM115
        self._files.append(file)
        return file

    def close(self) -> None:
        """Close every file (temporary files on disk are removed)."""
        self._finalizer()

    def __len__(self) -> int:
        return len(self._files)


async def read_post(request: Request, limits: MultipartLimits | None) -> MultiDictProxy[Any]:
    """Do the work of ``request.post()`` (see its docstring) and return the form."""
    ctype, params = request._content_type_parts()
    if request.method not in _FORM_METHODS or ctype not in _FORM_TYPES:
        return MultiDictProxy(MultiDict())
    max_size = request.client_max_size
    request._check_declared(max_size)  # 413 before a read could send 100 Continue
    limits = limits or request._multipart_limits()
    charset = params.get("charset") or "utf-8"
    if ctype == "application/x-www-form-urlencoded":
        body = await request.read()
        return MultiDictProxy(parse_urlencoded(body, charset, limits.max_fields))
    source: Readable
    if request._body is not None:  # read() came first: parse what it kept
        source = BytesSource(request._body)
    elif max_size:
        source = LimitedSource(request._decoded(), max_size, request._too_large)
    else:
        source = request._decoded()
    reader = MultipartReader(request.headers, source, limits=limits)
    form = await read_multipart_form(
        reader,
        limits=limits,
        files=request._form_files,
        charset=charset,
        max_size=max_size,
        too_large=request._too_large,
    )
    return MultiDictProxy(form)


def _close_all(files: list[IO[bytes]]) -> None:
    while files:
        with contextlib.suppress(Exception):  # closing must go on for the others
            files.pop().close()


class _Budget:
    """Decoded bytes kept so far, against the request's ``client_max_size``."""

    __slots__ = ("limit", "size", "too_large")

    def __init__(self, limit: int, too_large: Callable[[int], Exception]) -> None:
        self.limit = limit
        self.too_large = too_large
        self.size = 0

    def add(self, n: int) -> None:
        self.size += n
        if self.limit and self.size > self.limit:
            raise self.too_large(self.size)


async def read_multipart_form(
    reader: MultipartReader,
    *,
    limits: MultipartLimits,
    files: Callable[[], FormFiles],
    charset: str,
    max_size: int,
    too_large: Callable[[int], Exception],
) -> MultiDict[Any]:
    """Read every part of a ``multipart/form-data`` body into a ``MultiDict``.

    Text fields become ``str``; parts with a file name become ``FileField``
    (spooled through ``files()``); other non-text parts stay ``bytes``. A
    nested ``multipart/mixed`` part (several files for one field, RFC 2388)
    adds each file under the outer field's name.
    """
    out: MultiDict[Any] = MultiDict()
    budget = _Budget(max_size, too_large)
    while (part := await reader.next()) is not None:
        if limits.max_fields and len(out) >= limits.max_fields:
            raise too_many_fields(limits.max_fields)
        name = _field_name(part)
        if isinstance(part, MultipartReader):
            async for inner in part:
                if limits.max_fields and len(out) >= limits.max_fields:
                    raise too_many_fields(limits.max_fields)
                if not isinstance(inner, BodyPartReader):
                    raise MultipartError("multipart/mixed parts nested in form-data go one level")
                out.add(name, await _read_file(inner, name, limits, files, budget))
            continue
        if part.name == "_charset_" and part.filename is None:
            # HTML: a field named _charset_ gives the encoding of the fields after it.
            value = (await _read_value(part, budget)).decode("ascii", "replace").strip()
            charset = value or charset
            out.add(name, value)
        elif part.filename is not None:
            out.add(name, await _read_file(part, name, limits, files, budget))
        else:
            data = await _read_value(part, budget)
            ctype = part.headers.get("Content-Type")
            if ctype is None or part.content_type.startswith("text/"):
                out.add(name, _as_text(data, part.get_charset(charset), name))
            else:
                out.add(name, data)
    return out


def _field_name(part: BodyPartReader | MultipartReader) -> str:
    disposition = part.headers.get("Content-Disposition")
    if disposition is None:
        raise MultipartError(
            "a multipart/form-data part has no Content-Disposition header; each part "
            "needs 'Content-Disposition: form-data; name=\"...\"'"
        )
    name = part.name
    if name is None:
        raise MultipartError(
            f"a multipart/form-data part's Content-Disposition {disposition[:100]!r} has "
            "no name parameter"
        )
    return name


def _as_text(data: bytes, charset: str, name: str) -> str:
    return decode_text(data, charset, f"form field {name!r}")


async def _read_value(part: BodyPartReader, budget: _Budget) -> bytes:
    decoder = PartDecoder(part.headers)
    pieces = []
    while chunk := await part.read_chunk(_READ_SIZE):
        for piece in decoder.feed(chunk):
            budget.add(len(piece))
            pieces.append(piece)
    for piece in decoder.finish():
        budget.add(len(piece))
        pieces.append(piece)
    return b"".join(pieces)


async def _read_file(
    part: BodyPartReader,
    name: str,
    limits: MultipartLimits,
    files: Callable[[], FormFiles],
    budget: _Budget,
) -> FileField:
    decoder = PartDecoder(part.headers)
    file = files().new(limits.spool_threshold)
    # Writes are synchronous: below the threshold they go to memory, above it
    # to the page cache, and the whole form is bounded by client_max_size.
    while chunk := await part.read_chunk(_READ_SIZE):
        if decoder.identity:
            budget.add(len(chunk))
            file.write(chunk)
            continue
        for piece in decoder.feed(chunk):
            budget.add(len(piece))
            file.write(piece)
    for piece in decoder.finish():
        budget.add(len(piece))
        file.write(piece)
    file.seek(0)
    ctype = part.headers.get("Content-Type")
    return FileField(
        name=name,
        filename=part.filename or "",
        file=file,
        content_type=part.content_type if ctype else "application/octet-stream",
        headers=part.headers,
    )
