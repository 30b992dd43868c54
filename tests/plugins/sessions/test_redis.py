"""RedisStorage against a real redis-server: ids, TTLs, rotation, revocation, failures."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from jackfield import web
from jackfield.plugins import sessions
from jackfield.testing.testing import TestClient

from .conftest import RedisProcess, counter_app

PREFIX = "jackfield:session:"


def auth_app(storage: sessions.RedisStorage) -> web.Application:
    """``/login?user=`` (new session), ``/rotate``, ``/logout``, ``/`` counts, ``/peek``."""
    app = counter_app(storage)

    async def login(request: web.Request) -> web.Response:
        session = await sessions.new_session(request)
        session.identity = request.query["user"]
        session["user"] = request.query["user"]
        return web.Response(text="in")

    async def rotate(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session.rotate()
        return web.Response(text="rotated")

    async def logout(request: web.Request) -> web.Response:
        (await sessions.get_session(request)).invalidate()
        return web.Response(text="out")

    app.router.add_get("/login", login)
    app.router.add_get("/rotate", rotate)
    app.router.add_get("/logout", logout)
    return app


def session_id(client: TestClient) -> str:
    return str(client._client.cookies["JACKFIELD_SESSION"])  # type: ignore[union-attr]


async def test_the_cookie_holds_only_a_random_id_and_redis_the_data(
    redis_client: aioredis.Redis,
) -> None:
    storage = sessions.RedisStorage(redis_client, idle_timeout=600)
    async with TestClient(counter_app(storage)) as client:
        assert [(await client.get("/")).text for _ in range(3)] == ["1", "2", "3"]
        sid = session_id(client)
        assert len(sid) == 43  # 256 bits, url-safe base64
        raw = await redis_client.get(PREFIX + sid)
        assert json.loads(raw)["session"] == {"n": 3}
        assert 590 <= await redis_client.ttl(PREFIX + sid) <= 600
        async with TestClient(counter_app(storage)) as other:
            await other.get("/")
            assert session_id(other) != sid


async def test_the_ttl_is_capped_by_what_is_left_of_the_lifetime(
    redis_client: aioredis.Redis,
) -> None:
    storage = sessions.RedisStorage(redis_client, idle_timeout=3600, lifetime=120)
    async with TestClient(counter_app(storage)) as client:
        await client.get("/")
        assert 110 <= await redis_client.ttl(PREFIX + session_id(client)) <= 120


async def test_rotate_keeps_the_data_under_a_new_id_and_deletes_the_old(
    redis_client: aioredis.Redis,
) -> None:
    storage = sessions.RedisStorage(redis_client)
    async with TestClient(auth_app(storage)) as client:
        await client.get("/")
        await client.get("/")
        old = session_id(client)
        await client.get("/rotate")
        new = session_id(client)
        assert new != old
        assert await redis_client.exists(PREFIX + old) == 0
        assert (await client.get("/")).text == "3"
        replay = await client.get("/peek", headers={"Cookie": f"JACKFIELD_SESSION={old}"})
        assert replay.json()["new"] is True


async def test_login_with_new_session_keeps_nothing_and_deletes_the_old_id(
    redis_client: aioredis.Redis,
) -> None:
    storage = sessions.RedisStorage(redis_client)
    async with TestClient(auth_app(storage)) as client:
        await client.get("/")
        before = session_id(client)
        await client.get("/login?user=alice")
        after = session_id(client)
        assert after != before
        assert await redis_client.exists(PREFIX + before) == 0
        peek = (await client.get("/peek")).json()
        assert peek == {"new": False, "data": {"user": "alice"}, "identity": "alice"}


async def test_invalidate_deletes_the_record_and_the_cookie(redis_client: aioredis.Redis) -> None:
    storage = sessions.RedisStorage(redis_client)
    async with TestClient(auth_app(storage)) as client:
        await client.get("/login?user=alice")
        sid = session_id(client)
        response = await client.get("/logout")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert await redis_client.exists(PREFIX + sid) == 0
        assert await redis_client.smembers(PREFIX + "user:alice") == set()
        replay = await client.get("/peek", headers={"Cookie": f"JACKFIELD_SESSION={sid}"})
        assert replay.json()["new"] is True


async def test_revoke_identity_ends_every_session_of_one_user(
    redis_client: aioredis.Redis,
) -> None:
    storage = sessions.RedisStorage(redis_client)
    app = auth_app(storage)
    async with (
        TestClient(app) as laptop,
        TestClient(laptop.server) as phone,
        TestClient(laptop.server) as bob,
    ):
        for client, user in ((laptop, "alice"), (phone, "alice"), (bob, "bob")):
            await client.get(f"/login?user={user}")
            await client.get("/")
        assert await storage.revoke_identity("alice") == 2
        assert await storage.revoke_identity("alice") == 0
        assert (await laptop.get("/peek")).json()["new"] is True
        assert (await phone.get("/peek")).json()["new"] is True
        assert (await bob.get("/peek")).json()["data"] == {"user": "bob", "n": 1}


async def command_calls(client: aioredis.Redis, *names: str) -> dict[str, int]:
    stats = await client.info("commandstats")
    return {name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in names}


@pytest.mark.parametrize(
    ("lifetime", "index_writes"),
    [
        pytest.param(3600, 1, id="with-a-lifetime-only-the-login-indexes"),
        pytest.param(None, 4, id="without-a-lifetime-every-save-extends-the-index"),
    ],
)
async def test_saves_of_a_logged_in_session_write_the_index_only_when_needed(
    lifetime: int | None, index_writes: int, redis_client: aioredis.Redis
) -> None:
    storage = sessions.RedisStorage(redis_client, idle_timeout=600, lifetime=lifetime)
    async with TestClient(auth_app(storage)) as client:
        await redis_client.config_resetstat()
        await client.get("/login?user=alice")
        for expected in ("1", "2", "3"):
            assert (await client.get("/")).text == expected
        calls = await command_calls(redis_client, "sadd", "expire", "set", "multi")
        assert calls["set"] == 4
        assert calls["sadd"] == calls["expire"] == calls["multi"] == index_writes
        record_ttl = await redis_client.ttl(PREFIX + session_id(client))
        index_ttl = await redis_client.ttl(PREFIX + "user:alice")
        assert 0 < record_ttl <= 600 < index_ttl
        assert await storage.revoke_identity("alice") == 1
        assert (await client.get("/peek")).json()["new"] is True


async def test_a_read_only_request_writes_nothing_until_the_access_time_is_due_a_refresh(
    redis_client: aioredis.Redis,
) -> None:
    # idle_timeout=10: the access time is refreshed once it is a second old.
    storage = sessions.RedisStorage(redis_client, idle_timeout=10, lifetime=None)
    async with TestClient(counter_app(storage)) as client:
        assert (await client.get("/")).text == "1"
        key = PREFIX + session_id(client)
        await redis_client.config_resetstat()
        await redis_client.expire(key, 5)  # as if time had passed since the write
        assert (await client.get("/peek")).json()["data"] == {"n": 1}
        assert (await command_calls(redis_client, "set"))["set"] == 0
        assert await redis_client.ttl(key) <= 5
        await asyncio.sleep(2.1)  # the recorded access time (whole seconds) is now due
        assert (await client.get("/peek")).json()["data"] == {"n": 1}
        assert (await command_calls(redis_client, "set"))["set"] == 1
        assert await redis_client.ttl(key) > 5
        assert (await client.get("/")).text == "2"


async def test_a_revocation_wins_over_a_request_in_flight(redis_client: aioredis.Redis) -> None:
    storage = sessions.RedisStorage(redis_client)
    app = auth_app(storage)
    loaded, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        loaded.set()
        await release.wait()
        session["after"] = "revocation"
        return web.Response(text="late")

    app.router.add_get("/slow", slow)
    async with TestClient(app) as client:
        await client.get("/login?user=alice")
        sid = session_id(client)
        pending = asyncio.ensure_future(client.get("/slow"))
        await asyncio.wait_for(loaded.wait(), 5)
        assert await storage.revoke_identity("alice") == 1
        release.set()
        response = await pending
        assert response.text == "late"
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert await redis_client.exists(PREFIX + sid) == 0


async def test_an_idle_session_expires_in_redis(redis_client: aioredis.Redis) -> None:
    storage = sessions.RedisStorage(redis_client, idle_timeout=1, lifetime=None)
    async with TestClient(counter_app(storage)) as client:
        assert (await client.get("/")).text == "1"
        assert (await client.get("/")).text == "2"
        await asyncio.sleep(1.2)
        assert (await client.get("/")).text == "1"


async def test_an_old_record_is_refused_on_load_and_deleted(redis_client: aioredis.Redis) -> None:
    storage = sessions.RedisStorage(redis_client, lifetime=3600)
    sid = sessions.new_session_id()
    then = int(time.time()) - 7200
    record = {"created": then, "access": int(time.time()), "identity": None, "session": {"n": 9}}
    await redis_client.set(PREFIX + sid, json.dumps(record), ex=600)
    async with TestClient(counter_app(storage)) as client:
        response = await client.get("/peek", headers={"Cookie": f"JACKFIELD_SESSION={sid}"})
        assert response.json()["new"] is True
        assert await redis_client.exists(PREFIX + sid) == 0


# -- bad input


async def _store(client: aioredis.Redis, key: str, kind: str) -> None:
    if kind == "hash":
        await client.hset(key, "a", "b")
    elif kind == "list":
        await client.rpush(key, "x")
    else:
        await client.set(key, kind.encode("latin-1"))


REDIS_GARBAGE = [
    pytest.param("garbage", id="not-json"),
    pytest.param("\xff\xfe", id="not-utf8"),
    pytest.param('{"session": {}}', id="json-without-times"),
    pytest.param("[1, 2, 3]", id="json-list"),
    pytest.param("hash", id="a-hash"),
    pytest.param("list", id="a-list"),
]


@pytest.mark.parametrize("kind", REDIS_GARBAGE)
async def test_a_key_holding_garbage_gives_a_fresh_session(
    kind: str, redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jackfield.sessions")
    storage = sessions.RedisStorage(redis_client)
    sid = sessions.new_session_id()
    await _store(redis_client, PREFIX + sid, kind)
    async with TestClient(counter_app(storage)) as client:
        response = await client.get("/", headers={"Cookie": f"JACKFIELD_SESSION={sid}"})
        assert response.status_code == 200 and response.text == "1"
        assert session_id(client) != sid
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(
        r.name == "jackfield.sessions" and r.levelno == logging.DEBUG for r in caplog.records
    )


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param("short", id="too-short"),
        pytest.param("a" * 300, id="too-long"),
        pytest.param("has:colon-and-more-chars", id="bad-character"),
        pytest.param("x" * 100 * 1024, id="100-KiB"),
        pytest.param(sessions.new_session_id(), id="unknown-id"),
    ],
)
async def test_a_bad_id_cookie_gives_a_fresh_session(
    cookie: str, redis_client: aioredis.Redis
) -> None:
    storage = sessions.RedisStorage(redis_client)
    limits = web.Limits(max_field_size=200_000, max_headers_size=300_000)
    async with TestClient(counter_app(storage), limits=limits) as client:
        response = await client.get("/peek", headers={"Cookie": f"JACKFIELD_SESSION={cookie}"})
        assert response.status_code == 200
        assert response.json() == {"new": True, "data": {}, "identity": None}


# -- Redis unavailable


async def test_redis_down_is_a_503_and_a_log_line(
    private_redis: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    client = aioredis.Redis.from_url(private_redis.url)
    storage = sessions.RedisStorage(client, timeout=1.0)
    async with TestClient(counter_app(storage)) as http:
        assert (await http.get("/")).text == "1"
        private_redis.stop()
        started = time.monotonic()
        response = await http.get("/")
        assert response.status_code == 503
        assert "session store" in response.text
        assert time.monotonic() - started < 5
    await client.aclose()
    assert any(
        r.levelno == logging.ERROR and "session store unavailable" in r.getMessage()
        for r in caplog.records
    )


async def test_redis_that_stops_answering_is_a_503_within_the_timeout(
    private_redis: RedisProcess,
) -> None:
    client = aioredis.Redis.from_url(private_redis.url)
    storage = sessions.RedisStorage(client, timeout=0.5)
    async with TestClient(counter_app(storage)) as http:
        assert (await http.get("/")).text == "1"
        private_redis.pause()
        try:
            started = time.monotonic()
            response = await http.get("/")
            elapsed = time.monotonic() - started
        finally:
            private_redis.resume()
        assert response.status_code == 503
        assert 0.4 < elapsed < 3, elapsed
    await client.aclose()


@pytest.mark.parametrize(("streamed", "status"), [(False, 503), (True, 500)])
async def test_redis_lost_between_load_and_save(
    streamed: bool, status: int, private_redis: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """A plain response becomes a 503; a streamed one, whose status is chosen, a 500."""
    client = aioredis.Redis.from_url(private_redis.url)
    storage = sessions.RedisStorage(client, timeout=1.0)
    app = counter_app(storage)

    async def doomed(request: web.Request) -> web.StreamResponse:
        session = await sessions.get_session(request)
        private_redis.stop()
        session["n"] = 99
        if not streamed:
            return web.Response(text="saved?")
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"saved?")
        return response

    app.router.add_get("/doomed", doomed)
    async with TestClient(app) as http:
        assert (await http.get("/")).text == "1"
        response = await http.get("/doomed")
        assert response.status_code == status
        assert "set-cookie" not in response.headers
    await client.aclose()
    errors = [
        r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "")
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]
    assert any("Redis could not save a session" in text for text in errors), errors


# -- set-up mistakes


def test_a_synchronous_client_is_refused() -> None:
    with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        sessions.RedisStorage(redis.Redis())  # type: ignore[arg-type]


def test_records_must_expire() -> None:
    with pytest.raises(ValueError, match="idle_timeout or lifetime"):
        sessions.RedisStorage(aioredis.Redis(), idle_timeout=None, lifetime=None)


@pytest.mark.parametrize("timeout", [0, -1])
def test_the_timeout_must_be_positive(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        sessions.RedisStorage(aioredis.Redis(), timeout=timeout)


@pytest.mark.parametrize("made", ["bad id!", "short", 12345])
def test_a_bad_key_factory_is_refused_at_set_up(made: Any) -> None:
    with pytest.raises(ValueError, match="key_factory returned"):
        sessions.RedisStorage(aioredis.Redis(), key_factory=lambda: made)
