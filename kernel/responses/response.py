"""Responses: ``StreamResponse`` (streamed), ``Response`` (whole body), ``json_response``.

A response is inert until ``prepare(request)``: that sends ``on_response_prepare``
to every application in the route's chain, fixes the framing (Content-Length,
chunked, or close-delimited for HTTP/1.0), and sends the head through the
``Connection`` it was prepared on. The server sends every response the same way,
``prepare()`` then ``write_eof()``; the connection holds what is written until the
end of the loop turn, so a whole ``Response`` leaves in one write.

Framing rules (RFC 9112 §6): HEAD, 1xx, 204 and 304 never carry a body; a
declared Content-Length is enforced (writing more is an error); HTTP/1.1 without
a length is chunked; HTTP/1.0 without a length closes the connection.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr

from ..http import LAST_CHUNK, chunk, reason_phrase
from ._head import encode_head, implied_fields
from ._json import dumps as _json_dumps
from ._params import parse_params
from .connection import Connection

if TYPE_CHECKING:
    from ..requests.request import Request

__all__ = ["ContentCoding", "Response", "StreamResponse", "json_response"]

_CONTENT_TYPE = istr("Content-Type")
_CONTENT_LENGTH = istr("Content-Length")
_TRANSFER_ENCODING = istr("Transfer-Encoding")
_CONTENT_ENCODING = istr("Content-Encoding")
_VARY = istr("Vary")


class ContentCoding:
    """Names of the codings ``enable_compression`` accepts."""

    gzip = "gzip"
    deflate = "deflate"
    identity = "identity"


# Response(text=...) without a charset of its own: the Content-Type to send.
_TEXT_TYPES = {
    None: "text/plain; charset=utf-8",
    "text/plain": "text/plain; charset=utf-8",
    "text/html": "text/html; charset=utf-8",
    "application/json": "application/json; charset=utf-8",
}


def _accepted_codings(header: str) -> set[str]:
    """Codings an Accept-Encoding value allows (RFC 9110 §12.5.3: ``q=0`` refuses)."""
    accepted = set()
    for item in header.lower().split(","):
        name, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, eq, value = param.partition("=")
            if eq and key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            accepted.add(name.strip())
    return accepted


class StreamResponse(MutableMapping[str, Any]):
    """A response whose body is written piece by piece after ``prepare()``.

    A subclass that defines ``__init__`` calls ``super().__init__(...)``: the
    response's state is set there, on the instance.
    """

    _cookies: SimpleCookie | None
    _chunked: bool
    _compression: str | None
    _compression_applied: bool
    _compressor: Any
    _keep_alive: bool | None
    _prepared_on: Connection | None  # set when the head is sent
    _send_body: bool
    _eof_sent: bool
    _body_length: int
    _remaining: int | None
    # A body known whole before the head goes (a Response's, compressed if it
    # is to be): the head declares its length and write_eof() sends it first.
    _owed: bytes | None
    _state: dict[str, Any] | None
    # A response made without headers= has no header dict until someone asks
    # for ``headers``: only ``_ctype``, its Content-Type (bench/, issue 2).
    _headers: CIMultiDict[str] | None
    _ctype: str | None
    _status: int
    _reason: str

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._init(status, reason, headers)

    def _init(self, status: int, reason: str | None, headers: Mapping[str, str] | None) -> None:
        """Set every attribute of a new response (its ``__init__``, and ``Response``'s)."""
        # Every attribute the sending path reads is set here, on the instance,
        # not left as a class-level default: on Python 3.11 reading an
        # attribute found only on the class misses the interpreter's attribute
        # cache every time. Measured on GET / (bench/inproc.py --instructions,
        # issue 17): pure 92.3k -> 90.0k, compiled 65.5k -> 63.2k.
        self._status = 200
        self._reason = "OK"
        self._headers = CIMultiDict(headers) if headers is not None else None
        self._ctype = None
        self._cookies = None
        self._chunked = False
        self._compression = None
        self._compression_applied = False
        self._compressor = None
        self._keep_alive = None
        self._prepared_on = None
        self._send_body = True
        self._eof_sent = False
        self._body_length = 0
        self._remaining = None
        self._owed = None
        self._state = None
        if status != 200 or reason is not None:
            self.set_status(status, reason)

    # -- status line
    @property
    def status(self) -> int:
        """The status code."""
        return self._status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status (and reason) before the response is prepared."""
        if self._prepared_on is not None:
            raise RuntimeError("cannot change the status: the headers were already sent")
        status = int(status)
        if not 100 <= status <= 999:
            raise ValueError(f"status must be a three-digit code, got {status}")
        if reason is not None and ("\r" in reason or "\n" in reason):
            raise ValueError(f"reason must not contain CR or LF: {reason!r}")
        self._status = status
        self._reason = reason if reason is not None else reason_phrase(status)

    # -- headers
    @property
    def headers(self) -> CIMultiDict[str]:
        """The response headers (change them before ``prepare()``)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = self._lazy_headers()
        return headers

    def _lazy_headers(self) -> CIMultiDict[str]:
        """The header dict of a response made without ``headers=``, made on first use.

        Holds what the response has so far: its Content-Type and, once its
        head declared one, the Content-Length.
        """
        length = self._length() if self._remaining is not None else None
        headers: CIMultiDict[str] = CIMultiDict(implied_fields(self._ctype, length))
        self._ctype = None
        return headers

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, or ``None``."""
        value = self.headers.get(_CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.pop(_CONTENT_LENGTH, None)
            return
        value = int(value)
        if value < 0:
            raise ValueError(f"content_length must be >= 0, got {value}")
        if self._chunked:
            raise RuntimeError("content_length cannot be set when chunked encoding is enabled")
        self.headers[_CONTENT_LENGTH] = str(value)

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters."""
        return parse_params(self.headers.get(_CONTENT_TYPE, "application/octet-stream"))[0]

    @content_type.setter
    def content_type(self, value: str) -> None:
        charset = self.charset
        self.headers[_CONTENT_TYPE] = (
            f"{value}; charset={charset}" if charset is not None else str(value)
        )

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, or ``None``."""
        value = self.headers.get(_CONTENT_TYPE)
        if value is None:
            return None
        return parse_params(value)[1].get("charset")

    @charset.setter
    def charset(self, value: str | None) -> None:
        mime = self.content_type
        if value is None:
            self.headers[_CONTENT_TYPE] = mime
        else:
            self.headers[_CONTENT_TYPE] = f"{mime}; charset={value.lower()}"

    # -- cookies
    @property
    def cookies(self) -> SimpleCookie:
        """Cookies to send, as a ``http.cookies.SimpleCookie``."""
        if self._cookies is None:
            self._cookies = SimpleCookie()
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Add a ``Set-Cookie`` with the given attributes."""
        cookies = self.cookies
        cookies[name] = value
        morsel: Morsel[str] = cookies[name]
        if expires is not None:
            morsel["expires"] = expires
        if domain is not None:
            morsel["domain"] = domain
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        if path is not None:
            morsel["path"] = path
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("strict", "lax", "none"):
                raise ValueError(f"samesite must be Strict, Lax or None, got {samesite!r}")
            morsel["samesite"] = samesite
        if partitioned:
            with contextlib.suppress(Exception):  # Morsel knows it from Python 3.14 on
                morsel["partitioned"] = True

    def del_cookie(self, name: str, *, domain: str | None = None, path: str = "/") -> None:
        """Ask the client to delete cookie ``name``."""
        self.cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            domain=domain,
            path=path,
        )

    # -- connection
    @property
    def keep_alive(self) -> bool | None:
        """Whether the connection stays open after this response."""
        return self._keep_alive

    def force_close(self) -> None:
        """Close the connection after this response."""
        self._keep_alive = False

    @property
    def chunked(self) -> bool:
        """True when chunked transfer coding was requested."""
        return self._chunked

    def enable_chunked_encoding(self) -> None:
        """Send the body with chunked transfer coding (HTTP/1.1)."""
        if _CONTENT_LENGTH in self.headers:
            raise RuntimeError("cannot enable chunked encoding when Content-Length is set")
        self._chunked = True

    @property
    def compression(self) -> bool:
        """True when compression was requested."""
        return self._compression is not None

    def enable_compression(self, force: str | None = None) -> None:
        """Compress the body with gzip or deflate, as the client accepts.

        ``force`` names a coding to use whatever the client said.
        """
        if force is not None and force not in ("gzip", "deflate", "identity"):
            raise ValueError(f"force must be 'gzip', 'deflate' or 'identity', got {force!r}")
        self._compression = force or "auto"

    @property
    def tcp_nodelay(self) -> bool:
        """Whether Nagle's algorithm is off on the connection."""
        return self._prepared_on.tcp_nodelay if self._prepared_on is not None else True

    def set_tcp_nodelay(self, value: bool) -> None:
        """Turn Nagle's algorithm off (True) or on."""
        if self._prepared_on is None:
            raise RuntimeError("set_tcp_nodelay() needs a prepared response")
        self._prepared_on.set_tcp_nodelay(value)

    @property
    def tcp_cork(self) -> bool:
        """Whether partial frames are held back (TCP_CORK/TCP_NOPUSH)."""
        return self._prepared_on.tcp_cork if self._prepared_on is not None else False

    def set_tcp_cork(self, value: bool) -> None:
        """Hold back partial frames (True) until cleared."""
        if self._prepared_on is None:
            raise RuntimeError("set_tcp_cork() needs a prepared response")
        self._prepared_on.set_tcp_cork(value)

    # -- state
    @property
    def prepared(self) -> bool:
        """True once the head was sent."""
        return self._prepared_on is not None

    @property
    def body_length(self) -> int:
        """Body bytes written to the connection so far."""
        return self._body_length

    def __getitem__(self, key: str) -> Any:
        if self._state is None:
            raise KeyError(key)
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if self._state is None:
            self._state = {}
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        if self._state is None:
            raise KeyError(key)
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state) if self._state else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._state or ())

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._status} {self._reason}>"

    # -- sending
    async def prepare(self, request: Request) -> Connection | None:
        """Send ``on_response_prepare`` and the head; return the connection.

        ``None`` when the response was already sent in full.
        """
        if self._eof_sent:
            return None
        if self._prepared_on is not None:
            return self._prepared_on
        if request._root_app._has_prepare_receivers:  # else no coroutine to make
            await request._send_prepare_signal(self)
        return self._start(request)

    def _start(self, request: Request) -> Connection:
        """Decide the framing and persistence, and send the head.

        RFC 9112 §6: 1xx, 204 and 304 carry no body and no framing; a declared
        length is kept (and enforced by ``_frame``); HTTP/1.1 without a length
        is chunked; HTTP/1.0 without one ends the connection. HEAD keeps what
        the GET would have said.
        """
        conn: Connection = request._protocol
        version = request._head.version
        status = self._status
        framed = status >= 200 and status != 204 and status != 304
        self._send_body = framed and request.method != "HEAD"
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request._head.keep_alive and not conn.closing
        if status == 101:
            keep_alive = True  # the connection now belongs to the upgraded protocol
        # One method asks a subclass for a whole body, rather than overriding
        # _start and _end: two calls fewer per Response (bench/inproc.py, issue 17).
        body = self._whole_body()
        if self._compression is not None and not self._compression_applied:
            self._start_compression(request)
            if body is not None and self._compressor is not None:
                body = self._compressor.compress(body) + self._compressor.flush()
                self._compressor = None
                self._chunked = False  # its length is known now
        if body is not None:
            self._owed = body
            length = None if self._chunked else len(body)
        else:
            length = self._length()
        if not framed:
            if self._headers is not None:
                self._headers.pop(_TRANSFER_ENCODING, None)
        elif length is not None and not self._chunked:
            self._remaining = length
            if self._headers is not None:  # else _lazy_headers() adds it when asked
                self._headers[_CONTENT_LENGTH] = str(length)
        elif not self._send_body:
            pass  # HEAD: keep whatever the GET would have said
        elif version >= (1, 1):
            self._chunked = True
            self.headers[_TRANSFER_ENCODING] = "chunked"
        else:
            keep_alive = False
        if self._chunked and version < (1, 1):
            raise RuntimeError(
                f"chunked encoding is not possible over HTTP/{version[0]}.{version[1]}"
            )
        self._keep_alive = keep_alive
        head = encode_head(
            version,
            status,
            self._reason,
            keep_alive,
            conn.server_header,
            self._remaining,
            self._headers,
            self._ctype,
            self._cookies,
        )
        conn.start_response(head)
        self._prepared_on = conn
        return conn

    def _whole_body(self) -> bytes | None:
        """The whole body when it is known before the head goes; ``None``: it is streamed."""
        return None

    def _length(self) -> int | None:
        """The body's length as the head will declare it; ``None`` when unknown."""
        headers = self._headers
        if headers is None:
            return None
        value = headers.get(_CONTENT_LENGTH)
        return int(value) if value is not None else None

    def _start_compression(self, request: Request) -> None:
        coding = self._compression
        if coding == "auto":
            accepted = _accepted_codings(request.headers.get("Accept-Encoding", ""))
            coding = "gzip" if "gzip" in accepted else "deflate" if "deflate" in accepted else None
        if coding is None or coding == "identity":
            self._compression = None
            return
        self._compression = coding
        self._compression_applied = True
        wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        self._compressor = zlib.compressobj(wbits=wbits)
        self.headers[_CONTENT_ENCODING] = coding
        self.headers.add(_VARY, "Accept-Encoding")
        self.headers.pop(_CONTENT_LENGTH, None)
        self._chunked = request._head.version >= (1, 1)

    def _frame(self, data: bytes) -> bytes:
        """Compress, count and frame ``data`` for the wire."""
        if self._compressor is not None:
            data = self._compressor.compress(data)
        if self._remaining is not None:
            if len(data) > self._remaining:
                raise RuntimeError(
                    f"response body exceeds the declared Content-Length by "
                    f"{len(data) - self._remaining} bytes"
                )
            self._remaining -= len(data)
        self._body_length += len(data)
        return chunk(data) if self._chunked else data

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send a piece of the body, waiting while the client reads slowly."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, bytearray or memoryview, got {type(data)!r}")
        conn = self._prepared_on
        if conn is None:
            raise RuntimeError("call prepare() before write()")
        if self._eof_sent:
            raise RuntimeError("cannot write() after write_eof()")
        if not data or not self._send_body:
            return
        conn.write(self._frame(bytes(data)))
        await conn.drain()

    async def drain(self) -> None:
        """Wait until the connection's write buffer drains."""
        if self._prepared_on is not None:
            await self._prepared_on.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the last piece of the body and end the response."""
        self._end(data)

    def _end(self, data: bytes) -> None:
        """``write_eof``'s work, which needs no awaiting (a subclass adds its body)."""
        if self._eof_sent:
            return
        conn = self._prepared_on
        if conn is None:
            raise RuntimeError("call prepare() before write_eof()")
        owed = self._owed
        if owed and self._body_length == 0:  # a whole body not yet sent
            data = owed + bytes(data) if data else owed
        out = self._frame(bytes(data)) if data and self._send_body else b""
        if self._compressor is not None and self._send_body:
            tail = self._compressor.flush()
            self._body_length += len(tail)
            out += chunk(tail) if self._chunked else tail
        if self._chunked and self._send_body:
            out += LAST_CHUNK
        if out:
            conn.write(out)
        self._eof_sent = True
        if self._remaining and self._send_body:
            # Fewer bytes than Content-Length announced: the client would wait for
            # the rest and misread the next response, so this connection must end.
            logging.getLogger("jackfield.server").warning(
                "response ended %d bytes short of its Content-Length; closing the connection",
                self._remaining,
            )
            self._keep_alive = False
            conn.close_when_idle()
        # No drain() here: the response is over once its bytes are handed to the
        # connection, which waits for a slow reader before it serves the next
        # request, and closes one that never reads when its keep-alive time is up.


class Response(StreamResponse):
    """A response with the whole body in memory (``text=`` or ``body=``).

    Sent like any response (``prepare()``, then ``write_eof()`` with the
    body); the connection holds the head until the end of the loop turn, so
    head and body leave in one write.
    """

    _body: bytes | None

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        charset: str | None = None,
    ) -> None:
        self._init(status, reason, headers)
        self._body = None
        if (
            (content_type or charset)
            and self._headers is not None
            and _CONTENT_TYPE in self._headers
        ):
            raise ValueError("pass Content-Type in headers or with content_type=, not both")
        if text is not None:
            if body is not None:
                raise ValueError("pass body= or text=, not both")
            if text.__class__ is not str and not isinstance(text, str):
                raise TypeError(f"text must be str, got {type(text)!r}")
            if charset is None:
                # The usual case: Content-Type is one of a few ready-made strings.
                ctype = _TEXT_TYPES.get(content_type)
                charset = "utf-8"
            else:
                ctype = None
            if ctype is None:
                if content_type is not None and "charset" in content_type:
                    raise ValueError("pass the charset with charset=, not inside content_type")
                ctype = f"{content_type or 'text/plain'}; charset={charset}"
            self._body = text.encode(charset)
        else:
            ctype = content_type
            if ctype is not None and charset is not None:
                ctype += f"; charset={charset}"
            if body is not None:
                self.body = body
                if ctype is None:
                    ctype = "application/octet-stream"
        if ctype is None:
            return
        if self._headers is None:
            self._ctype = ctype  # the header dict is made when asked for (_lazy_headers)
        elif _CONTENT_TYPE not in self._headers:
            self._headers[_CONTENT_TYPE] = ctype

    @property
    def body(self) -> bytes | None:
        """The body bytes, or ``None``."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        if value is None:
            self._body = None
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self._body = bytes(value)
        elif isinstance(value, str):
            raise TypeError("body must be bytes; for a str use text=")
        else:
            raise TypeError(f"body must be bytes, bytearray or memoryview, got {type(value)!r}")

    @property
    def text(self) -> str | None:
        """The body decoded with the charset (utf-8 by default), or ``None``."""
        if self._body is None:
            return None
        return self._body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"text must be str, got {type(value)!r}")
        if _CONTENT_TYPE not in self.headers:
            self.headers[_CONTENT_TYPE] = "text/plain; charset=utf-8"
        self._body = value.encode(self.charset or "utf-8")

    @property
    def content_length(self) -> int | None:
        """The body's length (or the Content-Length header when set)."""
        if self._headers is not None and _CONTENT_LENGTH in self._headers:
            return int(self._headers[_CONTENT_LENGTH])
        if self._chunked or self._compression is not None:
            return None
        return len(self._body) if self._body is not None else 0

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("a Response's content length comes from its body; set body or text")

    def _whole_body(self) -> bytes | None:
        return self._body or b""

    def _length(self) -> int | None:
        if self._chunked:
            return None
        return len(self._owed if self._owed is not None else self._body or b"")


_NO_DATA: Any = object()


def json_response(
    data: Any = _NO_DATA,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
    dumps: Callable[[Any], str] = _json_dumps,
) -> Response:
    """Return a ``Response`` whose body is ``data`` serialised by ``dumps``.

    The default ``dumps`` gives the same text as ``json.dumps(data)``, faster.
    """
    if data is not _NO_DATA:
        if text is not None or body is not None:
            raise ValueError("pass data, text or body, only one of them")
        text = dumps(data)
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )
