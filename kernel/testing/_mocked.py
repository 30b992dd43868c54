"""A request without a socket, for unit tests of handlers and middlewares.

``make_mocked_request`` builds a real ``Request`` over a ``RecordingConnection``
that keeps every byte written, so a test can prepare a response and inspect
exactly what would have gone on the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from ..app.app import Application
from ..bodies.streams import BodyStream
from ..http import RequestHead
from ..requests.request import Request

__all__ = ["RecordingConnection", "make_mocked_request"]


class RecordingConnection:
    """Stands in for ``HttpProtocol``: records writes, never blocks.

    Implements ``jackfield.responses.Connection`` (and what ``Request`` reads
    of its connection), so a response sent over it is tested without a socket.
    """

    def __init__(self) -> None:
        self.written = bytearray()
        self.transport = None
        self.closing = False
        self.secure = False
        self.remote: str | None = "127.0.0.1"
        self.sockname: Any = ("127.0.0.1", 8080)
        self.server_header: str | None = "jackfield"
        self.tcp_nodelay = True
        self.tcp_cork = False
        self.response_started = False
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = asyncio.new_event_loop()

    _wants_continue = False
    _continue_sent = False

    # HttpProtocol's 100-Continue book-keeping, stated again: its methods are
    # compiled in a compiled build and do not apply to another class.
    @property
    def expects_continue(self) -> bool:
        """True while the request's client waits for ``100 Continue`` (as ``HttpProtocol``)."""
        return self._wants_continue and not self._continue_sent and not self.response_started

    def mark_continue_sent(self) -> None:
        """Record that ``100 Continue`` went out."""
        self._continue_sent = True

    def start_response(self, head: bytes) -> None:
        """Keep the head; the request has its response."""
        self.response_started = True
        self.write(head)

    def write(self, data: bytes) -> None:
        """Keep ``data``."""
        self.written += data

    def flush(self) -> None:
        """Nothing is held."""

    async def drain(self) -> None:
        """Nothing to wait for."""

    def set_tcp_nodelay(self, value: bool) -> None:
        """Record the setting."""
        self.tcp_nodelay = value

    def set_tcp_cork(self, value: bool) -> None:
        """Record the setting."""
        self.tcp_cork = value

    def close_when_idle(self) -> None:
        """Record that the connection would close."""
        self.closing = True

    def abort(self) -> None:
        """Record that the connection would close."""
        self.closing = True


def make_mocked_request(
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    *,
    app: Application | None = None,
    match_info: Any = None,
    version: tuple[int, int] = (1, 1),
    body: bytes | None = None,
    client_max_size: int | None = None,
) -> Request:
    """Return a ``Request`` for ``method path`` that needs no server.

    ``app`` defaults to a fresh ``Application(plugins=[])`` (no router).
    ``body`` becomes the request's body stream. What responses write ends up
    in ``request.protocol.written``.
    """
    hdrs = CIMultiDict(headers or {})
    if version >= (1, 1) and "Host" not in hdrs:
        hdrs["Host"] = "localhost"
    if body is not None and "Content-Length" not in hdrs:
        hdrs["Content-Length"] = str(len(body))
    connection = [v.lower() for v in hdrs.getall("Connection", ())]
    keep_alive = "close" not in connection if version >= (1, 1) else "keep-alive" in connection
    head = RequestHead(
        method=method,
        target=path,
        version=version,
        headers=CIMultiDictProxy(hdrs),
        raw_fields=b"\r\n".join(f"{k}: {v}".encode("latin-1") for k, v in hdrs.items()),
        keep_alive=keep_alive,
        chunked=False,
        content_length=len(body) if body is not None else None,
        upgrade="upgrade" in connection and "Upgrade" in hdrs,
        expect=hdrs.get("Expect"),
    )
    stream = BodyStream(limit=2**16, on_pause=None, on_resume=None)
    if body:
        stream.feed_data(body)
    stream.feed_eof()
    if app is None:
        app = Application(plugins=[])
    request = Request(
        head,
        stream,
        RecordingConnection(),  # type: ignore[arg-type]
        app,
        client_max_size=client_max_size,
    )
    if match_info is not None:
        request._match_info = match_info
    return request
