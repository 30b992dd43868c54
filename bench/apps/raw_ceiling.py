"""Benchmark ceiling: the least an asyncio HTTP/1.1 server can do per request.

A bare ``asyncio.Protocol`` that parses nothing: every complete request head
(ending in CRLF CRLF) is answered with one precomputed response, so req/s here
is bounded only by the event loop and the socket calls. Pipelined heads that
arrive together get their responses in one write. Requests with a body are
not supported (wrk sends GETs). The Date header is a fixed string on purpose:
the ceiling should not pay for anything a framework could precompute.

``--json`` serves the json_user scenario's body instead of the plain text one,
so that scenario's ceiling sends the same bytes as the frameworks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from typing import cast

TEXT_BODY = b"Hello, world"
JSON_BODY = json.dumps({"name": "alice", "id": 1}).encode()
DATE = "Mon, 24 Nov 2025 08:00:00 GMT"


def make_response(body: bytes, content_type: str) -> bytes:
    """Return the full HTTP/1.1 200 response (head and body) for ``body``."""
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Date: {DATE}\r\n"
        "Server: raw-ceiling\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class CeilingProtocol(asyncio.Protocol):
    """Answers each complete request head with the same precomputed bytes."""

    def __init__(self, response: bytes) -> None:
        self._response = response
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not isinstance: uvloop's TCPTransport does not subclass asyncio.Transport.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        count = buffer.count(b"\r\n\r\n")
        if not count:
            self._buffer = buffer
            return
        # Keep only the bytes after the last complete head: the start of the next request.
        self._buffer = buffer[buffer.rindex(b"\r\n\r\n") + 4 :]
        if self._transport is not None:
            self._transport.write(self._response * count)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(host: str, port: int, response: bytes) -> None:
    """Serve ``response`` on ``host:port`` until cancelled."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: CeilingProtocol(response), host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse the command line, pick the loop and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description="raw asyncio HTTP ceiling")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--json", action="store_true", help="serve the json_user body")
    args = parser.parse_args()
    if args.json:
        response = make_response(JSON_BODY, "application/json; charset=utf-8")
    else:
        response = make_response(TEXT_BODY, "text/plain; charset=utf-8")
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    # SIGTERM's default action ends the process at once, which is all a ceiling needs.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, response))


if __name__ == "__main__":
    main()
