"""The request a handler receives.

A ``Request`` wraps one parsed head (``jackfield.http.RequestHead``), the
connection it arrived on and its body stream. Everything derived from the head
(URL objects, query, cookies, dates) is computed on first use and cached, so a
handler that only looks at ``match_info`` pays for nothing else.

Body helpers (``read``, ``text``, ``json``, ``post``) read the whole body and
enforce ``client_max_size`` while reading: a declared Content-Length over the
limit fails before a byte is read, a chunked body fails as soon as it passes the
limit. They remove the body's Content-Encoding (gzip, deflate, br with brotli
installed; anything else is 415) and the decoded size counts against the same
limit. ``multipart()`` streams, decoded but without that limit (its bounds are
``MultipartLimits``). ``content`` is the raw stream, still coded, with no limit.

``client_max_size`` resolves innermost first: the matched route's own
``client_max_size`` attribute when it has one that is not ``None`` (the
extension point a router uses for ``add_route(..., client_max_size=N)``),
then each application from the route's owner out to the root, skipping
applications whose ``client_max_size`` is ``None``.

Uploaded files ``post()`` spools are closed by ``_cleanup()``, which the
connection calls once the response is sent.
"""

from __future__ import annotations

import asyncio
import json
from collections import ChainMap, namedtuple
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from ..bodies._decoding import DecodedSource, Readable, content_decoder
from ..bodies._mime import decode_text
from ..bodies.forms import FormFiles, read_post
from ..bodies.multipart import MultipartLimits, MultipartReader, limits_for
from ..http import RequestHead, parse_cookies, parse_http_date
from ..responses._params import parse_params
from ..responses.exceptions import HTTPRequestEntityTooLarge
from ._continue import ContinueWatch

if TYPE_CHECKING:
    from ..app.abc import AbstractMatchInfo
    from ..app.app import Application
    from ..bodies.streams import BodyStream
    from ..responses.response import StreamResponse
    from ..server.protocol import HttpProtocol

__all__ = ["HttpVersion", "HttpVersion10", "HttpVersion11", "Request"]

HttpVersion = namedtuple("HttpVersion", ["major", "minor"])
HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)
_VERSIONS = {(1, 0): HttpVersion10, (1, 1): HttpVersion11}

_UNSET: Any = object()
_DEFAULT_MAX_SIZE = 1024**2


def _split_target(target: str) -> tuple[str, str]:
    """Return (raw path, query string) for any request-target form."""
    if target[0] != "/":
        if target == "*":
            return "*", ""
        # absolute-form (RFC 9112 §3.2.2): the path starts after the authority
        start = target.find("://")
        if start != -1:
            rest = target[start + 3 :]
            cut = len(rest)
            for sep in "/?":
                i = rest.find(sep)
                if i != -1 and i < cut:
                    cut = i
            target = rest[cut:]
            if not target.startswith("/"):
                target = "/" + target
    path, _, query = target.partition("?")
    return path, query


def _authority(target: str) -> str:
    """The authority of an absolute-form target (the parser checked its form)."""
    rest = target[target.index("://") + 3 :]
    for sep in "/?":
        rest = rest.partition(sep)[0]
    return rest


class Request(MutableMapping[str, Any]):
    """An HTTP request, with dict-like storage for per-request data."""

    # The attributes every request sets are slots; the lazy ones (None until
    # first used) live in ``__dict__`` with their default on the class, so a
    # request that never uses them stores nothing for them and has no dict
    # (bench/, issue 2).
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_client_max_size",
        "_head",
        "_match_info",
        "_payload",
        "_protocol",
        "_query_string",
        "_root_app",
        "_task",
        "method",
        "raw_path",
    )
    _state: dict[str, Any] | None = None
    _rel_url: URL | None = None
    _url: URL | None = None
    _query: MultiDictProxy[str] | None = None
    _cookies: Mapping[str, str] | None = None
    _body: bytes | None = None
    _post: MultiDictProxy[Any] | None = None
    _files: FormFiles | None = None

    method: str
    """The request method, as sent (case-sensitive)."""
    raw_path: str
    """The path as sent, percent-encoded, without the query (an attribute, not a
    property: routing reads it for every request)."""

    def __init__(
        self,
        head: RequestHead,
        payload: BodyStream,
        protocol: HttpProtocol,
        app: Application,
        task: asyncio.Task[Any] | None = None,
        client_max_size: int | None = None,
    ) -> None:
        self._head = head
        self._payload = payload
        self._protocol = protocol
        self._root_app = app
        self._client_max_size = client_max_size  # None: resolve from route and apps
        self._task = task
        self.method = head.method
        target = head.target
        if target[0] == "/":  # origin-form, the usual one: no call
            self.raw_path, _, self._query_string = target.partition("?")
        else:
            self.raw_path, self._query_string = _split_target(target)
        self._match_info: AbstractMatchInfo | None = None

    # -- dict-like storage
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
        return f"<Request {self.method} {self._head.target[:80]} >"

    # -- request line
    @property
    def version(self) -> HttpVersion:
        """The HTTP version as ``HttpVersion(major, minor)``."""
        v = self._head.version
        return _VERSIONS.get(v) or HttpVersion(*v)

    @property
    def path(self) -> str:
        """The percent-decoded path (undecodable bytes become U+FFFD)."""
        return unquote(self.raw_path)

    @property
    def query_string(self) -> str:
        """The query as sent, without the ``?``."""
        return self._query_string

    @property
    def path_qs(self) -> str:
        """Decoded path plus ``?query`` when there is one."""
        qs = self._query_string
        return f"{self.path}?{qs}" if qs else self.path

    @property
    def raw_target(self) -> str:
        """The request-target exactly as received."""
        return self._head.target

    @property
    def rel_url(self) -> URL:
        """The relative URL (path and query) as a ``yarl.URL``."""
        if self._rel_url is None:
            self._rel_url = URL.build(
                path=self.raw_path, query_string=self._query_string, encoded=True
            )
        return self._rel_url

    @property
    def url(self) -> URL:
        """The absolute URL, built from scheme, Host and the target."""
        if self._url is None:
            try:
                self._url = URL.build(scheme=self.scheme, authority=self.host, encoded=True).join(
                    self.rel_url
                )
            except ValueError:
                self._url = self.rel_url
        return self._url

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters, decoded."""
        if self._query is None:
            self._query = MultiDictProxy(
                MultiDict(parse_qsl(self._query_string, keep_blank_values=True))
            )
        return self._query

    GET = query

    # -- headers
    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, multi-valued)."""
        return self._head.headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The header fields as received, in order."""
        return self._head.raw_headers

    @property
    def host(self) -> str:
        """The host (and port) the request is for.

        The authority of an absolute-form target (``GET http://a.example/x``)
        when there is one: RFC 9112 §3.2.2 says it wins over the Host header.
        Else the Host header, else the server's own address.
        """
        target = self._head.target
        if target[0] != "/" and "://" in target:
            return _authority(target)
        host = self._head.headers.get("Host")
        if host:
            return host
        sockname = self._protocol.sockname
        if isinstance(sockname, tuple):
            return f"{sockname[0]}:{sockname[1]}"
        return "localhost"

    @property
    def scheme(self) -> str:
        """``https`` over TLS, else ``http``."""
        return "https" if self._protocol.secure else "http"

    @property
    def secure(self) -> bool:
        """True over TLS."""
        return self._protocol.secure

    @property
    def remote(self) -> str | None:
        """The peer's address (IP for TCP), or ``None``."""
        return self._protocol.remote

    @property
    def keep_alive(self) -> bool:
        """Whether the client asked to keep the connection open."""
        return self._head.keep_alive

    @property
    def cookies(self) -> Mapping[str, str]:
        """Cookies sent by the client, by name.

        Read as browsers send them (RFC 6265 §5.4): a malformed pair is skipped
        without losing the others, and of two cookies with one name the first
        (the one set for the most specific path) is kept.
        """
        if self._cookies is None:
            parsed: dict[str, str] = {}
            parse_cookies(self._head.headers.getall("Cookie", ()), parsed)
            self._cookies = MappingProxyType(parsed)
        return self._cookies

    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        raw = self._head.headers.get("Content-Type")
        if raw is None:
            return "application/octet-stream", {}
        mime, params = parse_params(raw)
        return mime or "application/octet-stream", params

    @property
    def content_type(self) -> str:
        """The media type of the body (``application/octet-stream`` if unsaid)."""
        return self._content_type_parts()[0]

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, or ``None``."""
        return self._content_type_parts()[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """The declared body length, or ``None`` (chunked or absent)."""
        return self._head.content_length

    def _date_header(self, name: str) -> datetime | None:
        value = self._head.headers.get(name)
        return parse_http_date(value) if value is not None else None

    @property
    def if_modified_since(self) -> datetime | None:
        """``If-Modified-Since`` as an aware datetime, or ``None``."""
        return self._date_header("If-Modified-Since")

    @property
    def if_unmodified_since(self) -> datetime | None:
        """``If-Unmodified-Since`` as an aware datetime, or ``None``."""
        return self._date_header("If-Unmodified-Since")

    @property
    def if_range(self) -> datetime | None:
        """``If-Range`` as an aware datetime when it is a date, else ``None``."""
        return self._date_header("If-Range")

    @property
    def if_match(self) -> tuple[str, ...] | None:
        """Entity tags of ``If-Match`` (``("*",)`` for any), or ``None``."""
        return self._etags("If-Match")

    @property
    def if_none_match(self) -> tuple[str, ...] | None:
        """Entity tags of ``If-None-Match`` (``("*",)`` for any), or ``None``."""
        return self._etags("If-None-Match")

    def _etags(self, name: str) -> tuple[str, ...] | None:
        value = self._head.headers.get(name)
        if value is None:
            return None
        return tuple(tag.strip() for tag in value.split(",") if tag.strip())

    # -- routing and application
    @property
    def match_info(self) -> AbstractMatchInfo:
        """What the router matched: the path's variable parts and the route."""
        if self._match_info is None:
            raise RuntimeError("match_info is set once the request has been routed")
        return self._match_info

    @property
    def app(self) -> Application:
        """The application that owns the matched route."""
        mi = self._match_info
        return mi.current_app if mi is not None else self._root_app

    @property
    def config_dict(self) -> Mapping[Any, Any]:
        """The state of every app in the chain, innermost first."""
        apps = self._match_info.apps if self._match_info is not None else (self._root_app,)
        return ChainMap(*(a._state for a in reversed(apps)))

    # -- connection
    @property
    def protocol(self) -> HttpProtocol:
        """The connection this request arrived on."""
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (``None`` once closed).

        While the client waits for ``100 Continue`` (see ``expects_continue``)
        this is a thin wrapper that notices a handler writing
        ``HTTP/1.1 100 Continue`` itself, as the spec's custom expect handler
        does, so the connection does not send a second one.
        """
        protocol = self._protocol
        protocol.flush()  # bytes written to it directly must follow earlier responses
        transport = protocol.transport
        if transport is not None and self.expects_continue:
            return ContinueWatch(transport, self._protocol)
        return transport

    @property
    def expects_continue(self) -> bool:
        """True while the client waits for ``100 Continue`` before sending the body.

        The connection sends it when the body is first read; a handler may send
        it earlier (``request.transport.write(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")``).
        """
        # RFC 9110 §10.1.1: only requests with content expect it.
        return self._head.has_body and bool(getattr(self._protocol, "expects_continue", False))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop serving the request."""
        return self._protocol.loop

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The task running the handler."""
        return self._task

    # -- body
    @property
    def client_max_size(self) -> int:
        """Largest body ``read()``/``post()`` accept, in bytes (0: no limit).

        Innermost wins: the route's ``client_max_size``, then the apps from the
        route's owner out to the root (see the module docstring).
        """
        if self._client_max_size is not None:
            return self._client_max_size
        mi = self._match_info
        if mi is None:
            size = self._root_app._client_max_size
            return _DEFAULT_MAX_SIZE if size is None else size
        route_size = getattr(mi.route, "client_max_size", None)
        if route_size is not None:
            return int(route_size)
        for app in reversed(mi.apps or (self._root_app,)):
            size = app._client_max_size
            if size is not None:
                return size
        return _DEFAULT_MAX_SIZE

    @property
    def content(self) -> BodyStream:
        """The body as a stream (no size limit: the caller bounds what it keeps)."""
        return self._payload

    @property
    def body_exists(self) -> bool:
        """True when the request announces a body."""
        return self._head.has_body

    @property
    def can_read_body(self) -> bool:
        """True while body bytes remain to be read."""
        return not self._payload.at_eof()

    @property
    def has_body(self) -> bool:
        """Deprecated alias of ``can_read_body``."""
        return self.can_read_body

    def _too_large(self, actual: int | None) -> Exception:
        return HTTPRequestEntityTooLarge(max_size=self.client_max_size, actual_size=actual)

    def _check_declared(self, limit: int) -> None:
        # Before any read: a read would send 100 Continue and invite the body.
        declared = self._head.content_length
        if limit and declared is not None and declared > limit:
            raise self._too_large(declared)

    def _decoded(self) -> Readable:
        """The body as a source with its Content-Encoding removed (415 if unknown)."""
        coding = self._head.headers.get("Content-Encoding")
        if not coding:
            return self._payload
        decoder = content_decoder(coding)
        return self._payload if decoder is None else DecodedSource(self._payload, decoder)

    async def read(self) -> bytes:
        """Read the whole body, its Content-Encoding removed (413 over ``client_max_size``)."""
        if self._body is not None:
            return self._body
        limit = self.client_max_size
        self._check_declared(limit)
        parts: list[bytes] = []
        size = 0
        stream = self._decoded()
        while True:
            piece = await stream.readany()
            if not piece:
                break
            size += len(piece)
            if limit and size > limit:
                raise self._too_large(size)
            parts.append(piece)
        self._body = b"".join(parts)
        return self._body

    async def text(self) -> str:
        """Read the body and decode it with its charset (utf-8 by default).

        A charset that is unknown, is not a text encoding, or does not fit the
        bytes raises ``HTTPBadRequest`` (also a ``ValueError``): the client chose it.
        """
        body = await self.read()
        return decode_text(body, self.charset or "utf-8", "the request body")

    async def json(self, *, loads: Callable[[str], Any] = json.loads) -> Any:
        """Read the body and parse it as JSON."""
        return loads(await self.text())

    async def post(self, *, limits: MultipartLimits | None = None) -> MultiDictProxy[Any]:
        """Read a form body into a ``MultiDictProxy`` (cached: later calls return it).

        ``application/x-www-form-urlencoded`` gives ``str`` values;
        ``multipart/form-data`` gives ``str`` for text fields, ``web.FileField``
        for files (spooled to a temporary file past
        ``MultipartLimits.spool_threshold``, closed when the request ends) and
        ``bytes`` for other non-text parts. Any other type, or a method without
        a body, gives an empty mapping; GET forms are in ``query``.

        Over ``client_max_size`` (decoded size included) it raises
        ``HTTPRequestEntityTooLarge`` (413), which is also a ``ValueError``;
        a declared Content-Length over it fails before anything is read.
        Malformed bodies raise ``MultipartError`` (400, also a ``ValueError``).
        ``limits`` overrides the application's ``MultipartLimits``.
        """
        if self._post is None:
            self._post = await read_post(self, limits)
        return self._post

    async def multipart(self, *, limits: MultipartLimits | None = None) -> MultipartReader:
        """Return a reader streaming the parts of a ``multipart/*`` body.

        No ``client_max_size`` here: the reader keeps only the part being read;
        ``MultipartLimits`` bound part counts and header sizes (the app's, or
        ``limits``). Raises ``MultipartError`` (400) without a valid boundary
        and 415 for an unknown Content-Encoding, before reading anything.
        """
        return MultipartReader(
            self._head.headers, self._decoded(), limits=limits or self._multipart_limits()
        )

    def _multipart_limits(self) -> MultipartLimits:
        mi = self._match_info
        return limits_for(mi.apps if mi is not None else (self._root_app,))

    def _form_files(self) -> FormFiles:
        if self._files is None:
            self._files = FormFiles(self)
        return self._files

    def _cleanup(self) -> None:
        """Close the temporary files of uploaded form fields (the request is over).

        The connection calls this after the response is sent; it is idempotent.
        """
        files = self._files
        if files is not None:
            files.close()

    async def release(self) -> None:
        """Read and drop what is left of the body."""
        while await self._payload.readany():
            pass

    def clone(
        self,
        *,
        method: str = _UNSET,
        rel_url: URL | str = _UNSET,
        headers: Mapping[str, str] = _UNSET,
    ) -> Request:
        """Return a copy with some of method, URL or headers replaced."""
        head = self._head
        changes: dict[str, Any] = {}
        if method is not _UNSET:
            changes["method"] = method
        if rel_url is not _UNSET:
            url = URL(rel_url) if isinstance(rel_url, str) else rel_url
            if url.is_absolute():
                raise ValueError(f"rel_url must be relative, got {url}")
            changes["target"] = str(url)
        if headers is not _UNSET:
            changes["headers"] = CIMultiDictProxy(CIMultiDict(headers))
            changes["raw_fields"] = b"\r\n".join(
                f"{k}: {v}".encode("latin-1") for k, v in headers.items()
            )
        new = Request(
            head._replace(**changes),
            self._payload,
            self._protocol,
            self._root_app,
            client_max_size=self._client_max_size,
            task=self._task,
        )
        new._match_info = self._match_info
        new._state = self._state
        # Uploads read through a clone end with this request, not with the clone.
        new._files = self._form_files()
        return new

    # -- used by responses
    async def _send_prepare_signal(self, response: StreamResponse) -> None:
        mi = self._match_info
        if mi is None or not self._root_app._has_prepare_receivers:
            return
        for app in mi.apps:
            await app._on_response_prepare.send(self, response)
