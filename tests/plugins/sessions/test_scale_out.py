"""Two server processes behind one "load balancer" (a client alternating) share Redis sessions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from jackfield.plugins import sessions

from .conftest import RedisProcess, free_port

APP = textwrap.dedent(
    """
    import os

    import redis.asyncio

    from jackfield import web
    from jackfield.plugins import sessions


    def init_func(argv):
        (url,) = argv
        storage = sessions.RedisStorage(redis.asyncio.Redis.from_url(url))
        app = web.Application()
        sessions.setup(app, storage)

        async def count(request):
            session = await sessions.get_session(request)
            session["n"] = session.get("n", 0) + 1
            return web.json_response({"pid": os.getpid(), "n": session["n"]})

        async def login(request):
            session = await sessions.new_session(request)
            session.identity = request.query["user"]
            session["user"] = request.query["user"]
            return web.json_response({"pid": os.getpid()})

        async def rotate(request):
            (await sessions.get_session(request)).rotate()
            return web.json_response({"pid": os.getpid()})

        async def peek(request):
            session = await sessions.get_session(request)
            return web.json_response(
                {"pid": os.getpid(), "new": session.new, "data": dict(session),
                 "identity": session.identity}
            )

        app.router.add_get("/", count)
        app.router.add_get("/login", login)
        app.router.add_get("/rotate", rotate)
        app.router.add_get("/peek", peek)
        return app
    """
)


@pytest.fixture
def two_servers(tmp_path: Path, redis_server: RedisProcess) -> Iterator[list[str]]:
    (tmp_path / "scaleout_app.py").write_text(APP)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    procs, urls = [], []
    log = (tmp_path / "servers.log").open("wb")
    try:
        for _ in range(2):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "jackfield.web", "-H", "127.0.0.1", "-P", str(port),
                     "scaleout_app:init_func", redis_server.url],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        for url, proc in zip(urls, procs, strict=True):
            while True:
                try:
                    httpx.get(url + "/peek", timeout=1)
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = (tmp_path / "servers.log").read_text(errors="replace")
                        raise RuntimeError(f"server process did not start: {err}") from None
                    time.sleep(0.05)
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


async def test_two_processes_share_sessions_through_redis(
    two_servers: list[str], redis_client: aioredis.Redis
) -> None:
    a, b = two_servers
    async with httpx.AsyncClient(timeout=5) as client:  # one cookie jar: one browser
        answers = [(await client.get((a, b)[i % 2] + "/")).json() for i in range(8)]
        assert [x["n"] for x in answers] == list(range(1, 9))
        pids = [x["pid"] for x in answers]
        assert len(set(pids)) == 2 and all(pids[i] != pids[i + 1] for i in range(7))

        await client.get(a + "/login?user=carol")
        seen = (await client.get(b + "/peek")).json()
        assert seen["data"] == {"user": "carol"} and seen["identity"] == "carol"
        old = client.cookies["JACKFIELD_SESSION"]

        await client.get(b + "/rotate")
        assert client.cookies["JACKFIELD_SESSION"] != old
        assert (await client.get(a + "/peek")).json()["data"] == {"user": "carol"}
        async with httpx.AsyncClient(timeout=5) as thief:
            stale = await thief.get(a + "/peek", headers={"Cookie": f"JACKFIELD_SESSION={old}"})
            assert stale.json()["new"] is True

        # Revoked from a third process (this one): both servers see it at once.
        revoked = await sessions.RedisStorage(redis_client).revoke_identity("carol")
        assert revoked == 1
        assert (await client.get(a + "/peek")).json()["new"] is True
        assert (await client.get(b + "/peek")).json()["new"] is True
