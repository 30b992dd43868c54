"""Benchmark reference: the least a pure-Python HTTP/1.1 framework must do per request.

Unlike ``raw_ceiling.py``, which parses nothing, this server does the work
no framework can skip: it checks the request line and header section with
compiled patterns, builds a ``CIMultiDict`` of the headers, looks the route
up in a dict, runs a coroutine handler to completion and serializes its
response. It has no keep-alive rules, no bodies, no timeouts and no error
pages, so it is a floor to measure against, never something to serve with.
It answers ``GET /`` only (the ``hello`` scenario).

    .venv/bin/python bench/apps/floor.py --port 8080

``bench/run.py`` measures it next to the contenders in the ``hello`` scenarios,
as a reference: what a framework written in Python can hope for at best. It
also compiles with mypyc as it is, for the same reference in compiled code:

    mkdir /tmp/floor && cp bench/apps/floor.py /tmp/floor && cd /tmp/floor && mypyc floor.py
    python -c "import sys, floor; sys.argv[1:] = ['--port', '8080']; floor.main()"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

from multidict import CIMultiDict, CIMultiDictProxy

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
REQUEST_LINE = re.compile(f"({_TOKEN}) (/[\\x21-\\x7e]*) HTTP/1\\.([01])")
FIELDS = re.compile(f"(?:{_TOKEN}:[\\t\\x20-\\x7e\\x80-\\xff]*\\r\\n)*")
DATE = "Mon, 24 Nov 2025 08:00:00 GMT"


class Request:
    """Method, path and headers: what a handler needs to be routed."""

    __slots__ = ("headers", "method", "path")

    def __init__(self, method: str, path: str, headers: CIMultiDictProxy[str]) -> None:
        self.method = method
        self.path = path
        self.headers = headers


class Response:
    """A text body and its status."""

    __slots__ = ("body", "status")

    def __init__(self, text: str) -> None:
        self.status = 200
        self.body = text.encode()


async def hello(request: Request) -> Response:
    """The hello scenario's handler."""
    return Response("Hello, world")


ROUTES: dict[tuple[str, str], Callable[[Request], Awaitable[Response]]] = {("GET", "/"): hello}


class FloorProtocol(asyncio.Protocol):
    """Validates, routes and answers each complete request head."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._buffer:
            data, self._buffer = self._buffer + data, b""
        end = data.find(b"\r\n\r\n")
        while end != -1 and self._transport is not None:
            text = data[: end + 2].decode("latin-1")
            eol = text.find("\r\n")
            line = REQUEST_LINE.fullmatch(text, 0, eol)
            if line is None or FIELDS.fullmatch(text, eol + 2) is None:
                self._transport.close()
                return
            headers: CIMultiDict[str] = CIMultiDict()
            for field in text[eol + 2 : -2].split("\r\n"):
                name, _, value = field.partition(":")
                headers.add(name, value.strip(" \t"))
            request = Request(line.group(1), line.group(2), CIMultiDictProxy(headers))
            coro: Any = ROUTES[request.method, request.path](request)  # Any: mypyc builds it
            try:
                coro.send(None)
            except StopIteration as stop:
                response: Response = stop.value
            else:  # pragma: no cover - the handler never suspends
                raise RuntimeError("the floor server runs only handlers that never suspend")
            body = response.body
            self._transport.write(
                (
                    f"HTTP/1.1 {response.status} OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\nDate: {DATE}\r\nServer: floor\r\n\r\n"
                ).encode("latin-1")
                + body
            )
            data = data[end + 4 :]
            end = data.find(b"\r\n\r\n")
        self._buffer = data

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(host: str, port: int) -> None:
    """Serve until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FloorProtocol, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse the command line, pick the loop and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description="pure-Python floor server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    # SIGTERM's default action ends the process at once, which is all a floor needs.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
