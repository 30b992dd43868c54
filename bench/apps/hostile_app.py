"""Server for bench/hostile.py: the same four routes on jackfield or aiohttp, access log off.

``python bench/apps/hostile_app.py jackfield --port 8080 [--body-timeout 10] [--send-timeout 5]``

* ``GET /``: a short text answer (the probe, and the request an idle
  keep-alive connection made).
* ``POST /upload``: reads the whole body, answers its length.
* ``POST /sleepy``: sleeps ``--sleep`` seconds before reading the body in
  64 KiB reads, then answers its length: the body waits in the server.
* ``GET /big``: ``Response(body=BIG)``, ``BIG`` a module-level bytes object of
  ``--big-mib`` MiB made at start-up, so a response costs no new body bytes.

The deadline options go to jackfield's ``run_app`` only (aiohttp has none of
them); without them jackfield keeps its defaults. The process raises its
open-file limit to the hard limit first: 2,000 held connections need more
than the usual 1,024 descriptors.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import resource
from typing import Any


def raise_fd_limit() -> int:
    """Raise this process's soft open-file limit to its hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def build_app(web: Any, big: bytes, sleep: float) -> Any:
    """Return the application: the routes above on the ``web`` module of either framework."""

    async def hello(request: Any) -> Any:
        return web.Response(text="ok")

    async def upload(request: Any) -> Any:
        return web.Response(text=str(len(await request.read())))

    async def sleepy(request: Any) -> Any:
        await asyncio.sleep(sleep)
        size = 0
        while True:
            piece = await request.content.read(65536)
            if not piece:
                return web.Response(text=str(size))
            size += len(piece)

    async def big_body(request: Any) -> Any:
        return web.Response(body=big, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/upload", upload)
    app.router.add_post("/sleepy", sleepy)
    app.router.add_get("/big", big_body)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("framework", choices=("jackfield", "aiohttp"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--big-mib", type=int, default=50, help="size of GET /big")
    parser.add_argument("--sleep", type=float, default=5.0, help="POST /sleepy's wait (s)")
    parser.add_argument("--body-timeout", type=float, help="jackfield's body_timeout (s)")
    parser.add_argument("--send-timeout", type=float, help="jackfield's send_timeout (s)")
    args = parser.parse_args()
    jackfield_only = {"body_timeout": args.body_timeout, "send_timeout": args.send_timeout}
    options = {name: value for name, value in jackfield_only.items() if value is not None}
    if options and args.framework != "jackfield":
        parser.error(f"{', '.join(options)}: jackfield options, aiohttp has no such setting")
    raise_fd_limit()
    web: Any = importlib.import_module(f"{args.framework}.web")
    big = b"x" * (args.big_mib * 1024 * 1024)
    web.run_app(
        build_app(web, big, args.sleep),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        shutdown_timeout=1.0,
        backlog=4096,
        **options,
    )


if __name__ == "__main__":
    main()
