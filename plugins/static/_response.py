"""``FileResponse``: a file as a response, with validators, conditions, ranges and variants.

Everything happens in ``prepare()``: pick the file (or its precompressed
variant), decide the status (200, 206, 304, 412, 416) from the request's
conditional and Range headers, send the head, then the bytes. It talks to
the connection only through ``jackfield.responses.Connection``.

How the bytes go, cheapest first:

* a small file whose bytes ``SmallFiles`` holds (or that is read whole and
  then kept): one write after the head;
* plain TCP: the head, then ``sendfile`` (no copy through Python), as much as
  the socket takes at once, the rest as it drains. No TCP_CORK: holding the
  head back to share frames with the file cost 4 to 6 times the kernel time
  of a 1 MiB file over loopback, even corked for its first 64 KiB only
  (issue 21, measured with bench/static.py: 2,700 against 1,000 requests/s);
* otherwise (TLS, uvloop, a custom transport): ``chunk_size`` reads in a
  thread, each written and drained, so memory stays bounded.

A file that ends early or changes while it is sent (size or mtime moved,
checked between slices) ends the response short and the connection is
closed: the client sees a truncated body, never a wrong length or a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pathlib
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from multidict import istr

from jackfield.responses import StreamResponse

from ._conditions import (
    UNSATISFIABLE,
    Validators,
    check_preconditions,
    if_range_allows,
    parse_ranges,
)
from ._ctype import content_type_for
from ._files import SmallFiles, Target, lstat_variant, open_regular
from ._variants import VARIANTS, accepted_codings

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import Connection

__all__ = ["DEFAULT_CHUNK_SIZE", "SMALL_FILES", "FileResponse"]

log = logging.getLogger("jackfield.static")

DEFAULT_CHUNK_SIZE = 256 * 1024
#: sendfile is asked for at most this much at a time, so a change of the file is
#: noticed between slices; large enough that a 1 MiB file is one call.
_SENDFILE_SLICE = 16 * 1024 * 1024

#: The process-wide cache of small files' bytes (``SmallFiles`` says why it is safe).
SMALL_FILES = SmallFiles()

_CONTENT_ENCODING = istr("Content-Encoding")
_CONTENT_TYPE = istr("Content-Type")
_VARY = istr("Vary")
_SUFFIX = dict(VARIANTS)


class FileResponse(StreamResponse):
    """Send the file at ``path``: ``return web.FileResponse(path)`` from any handler.

    ``chunk_size`` is the read size when the file cannot go with sendfile.
    A missing or unreadable path answers 404, a directory 403. Conditional
    requests, byte ranges, HEAD and precompressed variants (``path.br``,
    ``.zst``, ``.gz``) are handled; ``docs/static.md`` has the details.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        self._path = os.fspath(path)
        self._chunk_size = chunk_size
        # Set by the static resource, which has already found and checked the file.
        self._target: Target | None = None
        self._follow_symlinks = True
        self._conn: Connection | None = None

    @property
    def path(self) -> pathlib.Path:
        """The file's path."""
        return pathlib.Path(self._path)

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not supported: a file response sends its file."""
        raise RuntimeError("a FileResponse sends its file; write() is not available")

    async def write_eof(self, data: bytes = b"") -> None:
        """End the response (its file was sent by ``prepare()``)."""
        if data:
            raise RuntimeError("a FileResponse sends its file; write_eof() takes no data")
        if self._conn is not None:
            self._eof_sent = True

    async def prepare(self, request: Request) -> Any:
        """Decide the answer for ``request``, send the head and the file; return the connection."""
        if self._conn is not None or self._eof_sent:
            return self._conn
        target = self._target
        if target is None:
            try:
                target = Target(self._path, os.stat(self._path))
            except (OSError, ValueError):
                return await self._send_error(request, 404, "Not Found")
        if target.is_dir:
            return await self._send_error(request, 403, "Forbidden")
        if not target.is_file:
            return await self._send_error(request, 404, "Not Found")
        headers = self.headers
        if _CONTENT_TYPE not in headers:
            headers[_CONTENT_TYPE] = content_type_for(self._path)
        if (
            _CONTENT_ENCODING not in headers
            and not self.compression
            and "Accept-Encoding" in request.headers
        ):
            target = self._pick_variant(request.headers["Accept-Encoding"], target)
        return await self._send_file(request, target)

    def _pick_variant(self, accept: str, target: Target) -> Target:
        """The precompressed variant to send instead of ``target``, or ``target``."""
        found = []
        for coding, suffix in VARIANTS:
            st = lstat_variant(target.path + suffix, follow_symlinks=self._follow_symlinks)
            if st is not None:
                found.append(coding)
        if not found:
            return target
        self.headers.add(_VARY, "Accept-Encoding")  # the answer depends on it from now on
        for coding in accepted_codings(accept):
            if coding in found:
                path = target.path + _SUFFIX[coding]
                st = lstat_variant(path, follow_symlinks=self._follow_symlinks)
                if st is not None:
                    self.headers[_CONTENT_ENCODING] = coding
                    return Target(path, st)
        return target

    async def _send_error(self, request: Request, status: int, reason: str) -> Any:
        self.set_status(status)
        body = f"{status}: {reason}".encode()
        for name in ("ETag", "Last-Modified", "Accept-Ranges", _CONTENT_ENCODING):
            self.headers.pop(name, None)  # set for a file that then could not be opened
        self.headers[_CONTENT_TYPE] = "text/plain; charset=utf-8"
        self.content_length = len(body)
        conn: Connection = await self._head(request)
        self._conn = conn
        if request.method != "HEAD":
            conn.write(body)
            self._body_length = len(body)
        return conn

    async def _send_file(self, request: Request, target: Target) -> Any:
        st = target.st
        size = st.st_size
        validators = Validators.of(st.st_mtime_ns, size)
        headers = self.headers
        headers["ETag"] = validators.etag
        headers["Last-Modified"] = validators.last_modified
        headers["Accept-Ranges"] = "bytes"
        get = request.headers.get
        verdict = (
            check_preconditions(
                request.method,
                validators,
                if_match=get("If-Match"),
                if_none_match=get("If-None-Match"),
                if_modified_since=get("If-Modified-Since"),
                if_unmodified_since=get("If-Unmodified-Since"),
            )
            if self.status == 200
            else None
        )
        if verdict is not None:
            return await self._send_empty(request, verdict)
        ranges: list[tuple[int, int]] | None = None
        spec = get("Range")
        if (
            spec is not None
            and request.method == "GET"
            and not self.compression  # a compressed body has no stable byte offsets
            and self.status == 200
            and if_range_allows(get("If-Range"), validators)
        ):
            parsed = parse_ranges(spec, size)
            if parsed is UNSATISFIABLE:
                headers["Content-Range"] = f"bytes */{size}"
                return await self._send_empty(request, 416)
            if isinstance(parsed, list):
                ranges = parsed
        file = None
        data = None
        if self.compression:
            return await self._send_compressed(request, target)
        if request.method != "HEAD" and size:
            if ranges is None:
                data = SMALL_FILES.get(target.path, target.st)
            if data is None:
                file = open_regular(target, follow_symlinks=self._follow_symlinks)
                if file is None:  # gone or swapped since it was found
                    return await self._send_error(request, 404, "Not Found")
                if ranges is None and SMALL_FILES.settled(target.st):
                    data = SMALL_FILES.read_and_keep(target.path, file, target.st)
        try:
            return await self._send_content(request, target, file, ranges, data)
        finally:
            if file is not None:
                file.close()

    async def _send_compressed(self, request: Request, target: Target) -> Any:
        """``enable_compression()`` was called: read the file through the compressing writer."""
        self.headers.pop("Accept-Ranges", None)
        file = None
        if request.method != "HEAD":
            file = open_regular(target, follow_symlinks=self._follow_symlinks)
            if file is None:
                return await self._send_error(request, 404, "Not Found")
        try:
            conn = await self._head(request)
            position = 0
            while file is not None:
                data = await request.loop.run_in_executor(
                    None, os.pread, file.fileno(), self._chunk_size, position
                )
                if not data:
                    break
                position += len(data)
                await StreamResponse.write(self, data)  # compresses and frames
            await StreamResponse.write_eof(self)
            return conn
        finally:
            if file is not None:
                file.close()

    async def _send_empty(self, request: Request, status: int) -> Any:
        self.set_status(status)
        for name in ("Content-Type", "Accept-Ranges") if status == 304 else ():
            self.headers.pop(name, None)
        if status not in (304,):
            self.headers[_CONTENT_TYPE] = "text/plain; charset=utf-8"
            self.headers.pop(_CONTENT_ENCODING, None)
        self.content_length = 0 if status != 304 else None
        self._conn = await self._head(request)
        return self._conn

    async def _send_content(
        self,
        request: Request,
        target: Target,
        file: BinaryIO | None,
        ranges: list[tuple[int, int]] | None,
        data: bytes | None,
    ) -> Any:
        size = target.st.st_size
        headers = self.headers
        parts: list[tuple[bytes, int, int]]  # (bytes before the span, start, stop)
        tail = b""
        if ranges is None:
            parts = [(b"", 0, size)]
            self.content_length = size
        elif len(ranges) == 1:
            start, stop = ranges[0]
            self.set_status(206)
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
            parts = [(b"", start, stop)]
            self.content_length = stop - start
        else:
            self.set_status(206)
            boundary = secrets.token_hex(16)
            ctype = headers[_CONTENT_TYPE]
            headers[_CONTENT_TYPE] = f"multipart/byteranges; boundary={boundary}"
            parts = []
            for i, (start, stop) in enumerate(ranges):
                intro = (
                    ("\r\n" if i else "")
                    + f"--{boundary}\r\nContent-Type: {ctype}\r\n"
                    + f"Content-Range: bytes {start}-{stop - 1}/{size}\r\n\r\n"
                )
                parts.append((intro.encode("latin-1"), start, stop))
            tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
            self.content_length = sum(len(p) + b - a for p, a, b in parts) + len(tail)
        conn: Connection
        if data is not None or file is None:
            conn = self._conn = await self._head(request)
            if data:
                conn.write(data)
                self._body_length = len(data)
            return conn
        conn = self._conn = await self._head(request)
        try:
            complete = await self._send_parts(request, conn, file, parts, target.st)
            if complete and tail:
                conn.write(tail)
                self._body_length += len(tail)
        except OSError as exc:  # the client went away mid-file
            log.debug("sending %s failed: %s", target.path, exc)
            self.force_close()
            conn.abort()
            return conn
        if not complete:
            log.warning(
                "%s changed or shrank while it was sent; closing the connection", target.path
            )
            self.force_close()
            conn.close_when_idle()
        return conn

    async def _head(self, request: Request) -> Connection:
        """Send ``on_response_prepare`` and the head (``StreamResponse.prepare``)."""
        conn = await super().prepare(request)
        if conn is None:  # only after write_eof(), which prepare() rules out
            raise RuntimeError("the FileResponse was already sent")
        self._conn = conn
        return conn

    async def _send_parts(
        self,
        request: Request,
        conn: Connection,
        file: BinaryIO,
        parts: list[tuple[bytes, int, int]],
        st: os.stat_result,
    ) -> bool:
        """Send each span; False as soon as the file ends early or changes."""
        use_sendfile = True
        for intro, start, stop in parts:
            if intro:
                conn.write(intro)
                self._body_length += len(intro)
            position = start
            while position < stop:
                count = min(stop - position, _SENDFILE_SLICE)
                if use_sendfile:
                    try:
                        sent = await conn.sendfile(file, position, count)
                    except asyncio.SendfileNotAvailableError:
                        use_sendfile = False  # nothing was sent; read instead
                        continue
                    self._body_length += sent
                    if sent < count:
                        return False
                    position += sent
                else:
                    count = min(count, self._chunk_size)
                    data = await request.loop.run_in_executor(
                        None, os.pread, file.fileno(), count, position
                    )
                    if not data:
                        return False
                    conn.write(data)
                    self._body_length += len(data)
                    position += len(data)
                    await conn.drain()
                if position < stop and _changed(file, st):
                    return False
        return True


def _changed(file: BinaryIO, st: os.stat_result) -> bool:
    with contextlib.suppress(OSError):
        now = os.fstat(file.fileno())
        return now.st_size != st.st_size or now.st_mtime_ns != st.st_mtime_ns
    return True
