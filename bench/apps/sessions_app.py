"""Benchmark contender for ``bench/sessions.py``: one handler reading and writing a session value.

``--framework jackfield`` serves it with ``jackfield.plugins.sessions`` (``--form setup``,
the default, or ``--form middleware``); ``--framework aiohttp`` with aiohttp and
aiohttp_session, the anchor. ``--storage encrypted`` keeps the session in a Fernet
cookie, ``--storage redis`` in Redis at ``--redis-url``. Both frameworks run the
same handler: read ``n``, store ``n + 1``, answer it as text.
"""

from __future__ import annotations

import argparse
import base64
from typing import Any

# One fixed key, so that a cookie from one run of a contender opens in the next.
SECRET = base64.urlsafe_b64decode(b"ZmVybmV0LWtleS1mb3ItdGhlLWJlbmNobWFyay0zMiE=")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="session benchmark server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--framework", choices=("jackfield", "aiohttp"), required=True)
    parser.add_argument("--storage", choices=("encrypted", "redis"), required=True)
    parser.add_argument("--form", choices=("setup", "middleware"), default="setup")
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


def main() -> None:
    args = parse_args()
    if args.loop == "uvloop":
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web, app = (jackfield_app if args.framework == "jackfield" else aiohttp_app)(args)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
