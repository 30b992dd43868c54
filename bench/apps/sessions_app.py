"""Benchmark contender for ``bench/sessions.py``: one handler reading and writing a session value.

``--framework jackfield`` serves it with ``jackfield.plugins.sessions`` (``--form setup``,
the default, or ``--form middleware``); ``--framework aiohttp`` with aiohttp and
aiohttp_session, the anchor. ``--storage encrypted`` keeps the session in a Fernet
cookie, ``--storage redis`` in Redis at ``--redis-url``. Both frameworks run the
same handler: read ``n``, store ``n + 1``, answer it as text.

Two ceilings for the Redis storage, no framework at all: ``--framework raw``
is a bare ``asyncio.Protocol`` that finds the cookie in the request head,
GETs the record, SETs it back with ``n + 1`` and answers; ``--form plain``
sends each command on its own through ``redis.asyncio`` (as aiohttp_session
does), ``--form pipelined`` through the same per-loop-pass batching as
jackfield's RedisStorage. ``--framework redis-loop`` is no server: 64 tasks
doing GET+SET as fast as they can for ``--duration`` seconds, printing
``pairs/s`` and CPU microseconds per pair: what the client itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

# One fixed key, so that a cookie from one run of a contender opens in the next.
SECRET = base64.urlsafe_b64decode(b"ZmVybmV0LWtleS1mb3ItdGhlLWJlbmNobWFyay0zMiE=")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="session benchmark server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--framework", choices=("jackfield", "aiohttp", "raw", "redis-loop"), required=True
    )
    parser.add_argument("--storage", choices=("encrypted", "redis"), required=True)
    parser.add_argument(
        "--form", choices=("setup", "middleware", "plain", "pipelined"), default="setup"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="redis-loop seconds")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    return parser.parse_args()


def jackfield_app(args: argparse.Namespace) -> Any:
    import redis.asyncio

    from jackfield import web
    from jackfield.plugins import sessions

    storage: sessions.AbstractStorage
    if args.storage == "encrypted":
        storage = sessions.EncryptedCookieStorage(SECRET)
    else:
        storage = sessions.RedisStorage(redis.asyncio.Redis.from_url(args.redis_url))

    async def handler(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        n = session.get("n", 0) + 1
        session["n"] = n
        return web.Response(text=str(n))

    if args.form == "setup":
        app = web.Application()
        sessions.setup(app, storage)
    else:
        app = web.Application(middlewares=[sessions.session_middleware(storage)])
    app.router.add_get("/", handler)
    return web, app


def aiohttp_app(args: argparse.Namespace) -> Any:
    import aiohttp_session
    import redis.asyncio
    from aiohttp import web
    from aiohttp_session.cookie_storage import EncryptedCookieStorage
    from aiohttp_session.redis_storage import RedisStorage

    storage: aiohttp_session.AbstractStorage
    if args.storage == "encrypted":
        storage = EncryptedCookieStorage(SECRET)
    else:
        storage = RedisStorage(redis.asyncio.Redis.from_url(args.redis_url))

    async def handler(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        n = session.get("n", 0) + 1
        session["n"] = n
        return web.Response(text=str(n))

    app = web.Application()
    aiohttp_session.setup(app, storage)
    app.router.add_get("/", handler)
    return web, app


RedisCall = Callable[..., Awaitable[Any]]
RAW_COOKIE = "RAW_SESSION"
RAW_TTL = 14 * 24 * 3600


def redis_calls(args: argparse.Namespace) -> tuple[Any, RedisCall, RedisCall]:
    """The client, and GET and SET (key, text, create) sent one by one or pipelined."""
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(args.redis_url)
    if args.form == "pipelined":
        from jackfield.plugins.sessions._batch import CommandBatcher

        batcher = CommandBatcher(client, timeout=2.0)

        def get(key: str) -> Awaitable[Any]:
            return batcher.call("GET", key)

        def put(key: str, text: str, create: bool) -> Awaitable[Any]:
            return batcher.call("SET", key, text, "EX", RAW_TTL, "NX" if create else "XX")

        return client, get, put

    def put_plain(key: str, text: str, create: bool) -> Awaitable[Any]:
        return client.set(key, text, ex=RAW_TTL, nx=create, xx=not create)

    return client, client.get, put_plain


class RawSessionProtocol(asyncio.Protocol):
    """HTTP/1.1 reduced to what wrk sends: each head is answered after one GET and one SET."""

    def __init__(self, get: RedisCall, put: RedisCall) -> None:
        self._get, self._put = get, put
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._tail: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        heads = self._buffer.split(b"\r\n\r\n")
        self._buffer = heads.pop()
        for head in heads:  # answered in order, one after the other
            self._tail = asyncio.ensure_future(self._answer(head, self._tail))

    async def _answer(self, head: bytes, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await before
        sid = None
        marker = head.lower().find(f"\r\ncookie: {RAW_COOKIE.lower()}=".encode())
        if marker >= 0:
            start = marker + len(RAW_COOKIE) + 11
            end = head.find(b";", start)
            end = head.find(b"\r\n", start) if end < 0 else min(end, head.find(b"\r\n", start))
            sid = head[start : end if end >= 0 else len(head)].decode()
        record = await self._get(f"raw:{sid}") if sid else None
        n = json.loads(record)["n"] + 1 if record else 1
        create = record is None
        if create:
            sid = secrets.token_urlsafe(32)
        await self._put(f"raw:{sid}", json.dumps({"n": n}), create)
        body = str(n).encode()
        cookie = f"Set-Cookie: {RAW_COOKIE}={sid}; Path=/; HttpOnly\r\n" if create else ""
        response = (
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: text/plain\r\n{cookie}\r\n"
        ).encode() + body
        if self._transport is not None:
            self._transport.write(response)


def serve_raw(args: argparse.Namespace) -> None:
    async def serve() -> None:
        _client, get, put = redis_calls(args)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: RawSessionProtocol(get, put), "127.0.0.1", args.port, backlog=1024
        )
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def redis_loop(args: argparse.Namespace) -> None:
    async def run() -> None:
        client, get, put = redis_calls(args)
        await client.ping()
        pairs = 0
        stop = time.monotonic() + args.duration

        async def worker(i: int) -> None:
            nonlocal pairs
            key = f"loop:{i}"
            await put(key, json.dumps({"n": 0}), True)
            while time.monotonic() < stop:
                record = await get(key)
                await put(key, json.dumps({"n": json.loads(record)["n"] + 1}), False)
                pairs += 1

        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(worker(i) for i in range(64)))
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        print(f"{pairs / elapsed:.1f} {cpu / pairs * 1e6:.2f}")
        await client.aclose()

    asyncio.run(run())


def main() -> None:
    args = parse_args()
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.framework == "raw":
        return serve_raw(args)
    if args.framework == "redis-loop":
        return redis_loop(args)
    web, app = (jackfield_app if args.framework == "jackfield" else aiohttp_app)(args)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
