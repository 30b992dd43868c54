"""Cookie storages through a real server: round trips, keys, and bad cookies."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, MultiFernet

from jackfield import web
from jackfield.plugins import sessions
from jackfield.testing.testing import TestClient

from .conftest import counter_app

KEY = os.urandom(32)
FERNET = Fernet(base64.urlsafe_b64encode(KEY))


def sealed(record: Any, fernet: Fernet = FERNET) -> str:
    return fernet.encrypt(json.dumps(record).encode()).decode()


def record(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"created": now, "access": now, "identity": None, "session": {"n": 41}, **changes}


async def visit(client: TestClient, path: str = "/", cookie: str | None = None) -> httpx.Response:
    headers = {"Cookie": f"JACKFIELD_SESSION={cookie}"} if cookie is not None else {}
    return await client.get(path, headers=headers)


# -- keys


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(KEY, id="32-raw-bytes"),
        pytest.param(base64.urlsafe_b64encode(KEY), id="fernet-key-bytes"),
        pytest.param(base64.urlsafe_b64encode(KEY).decode(), id="fernet-key-str"),
        pytest.param(FERNET, id="fernet"),
        pytest.param(MultiFernet([FERNET]), id="multifernet"),
    ],
)
def test_encrypted_storage_accepts_each_key_form(key: Any) -> None:
    storage = sessions.EncryptedCookieStorage(key)
    text = storage._open(storage._seal("hello"))
    assert text == "hello"
    assert FERNET.decrypt(storage._seal("same key").encode()) == b"same key"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(os.urandom(31), id="31-bytes"),
        pytest.param(os.urandom(33), id="33-bytes"),
        pytest.param("not a key", id="short-str"),
        pytest.param("x" * 44, id="44-chars-not-base64"),
        pytest.param(12345, id="int"),
        pytest.param(None, id="none"),
    ],
)
def test_encrypted_storage_refuses_bad_keys_naming_the_forms(key: Any) -> None:
    with pytest.raises(ValueError, match="32 raw bytes") as info:
        sessions.EncryptedCookieStorage(key)
    assert "Fernet.generate_key()" in str(info.value)


# -- round trips


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: sessions.EncryptedCookieStorage(KEY), id="encrypted"),
        pytest.param(sessions.SimpleCookieStorage, id="simple"),
    ],
)
async def test_cookie_storage_keeps_the_session_across_requests(
    make: Any, client_for_storage: Any
) -> None:
    client = await client_for_storage(make())
    assert [(await client.get("/")).text for _ in range(3)] == ["1", "2", "3"]
    first = await client.get("/peek")
    assert first.json() == {"new": False, "data": {"n": 3}, "identity": None}


async def test_encrypted_cookie_is_opaque_and_has_the_attributes(client_for_storage: Any) -> None:
    client = await client_for_storage(sessions.EncryptedCookieStorage(KEY, max_age=600))
    response = await client.get("/")
    header = response.headers["set-cookie"]
    assert header.startswith("JACKFIELD_SESSION=gAAAA")  # a Fernet token
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age=600" in header
    token = header.split(";")[0].split("=", 1)[1]
    opened = json.loads(FERNET.decrypt(token.encode()))
    assert opened["session"] == {"n": 1}
    assert b'"n"' not in token.encode()


async def test_simple_cookie_is_readable_json(client_for_storage: Any) -> None:
    client = await client_for_storage(sessions.SimpleCookieStorage())
    await client.get("/")
    value = client._client.cookies["JACKFIELD_SESSION"]  # type: ignore[union-attr]
    decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert decoded["session"] == {"n": 1}


async def test_unchanged_session_sends_no_cookie(client_for_storage: Any) -> None:
    client = await client_for_storage(sessions.EncryptedCookieStorage(KEY))
    await client.get("/")
    response = await client.get("/peek")
    assert response.json()["data"] == {"n": 1}
    assert "set-cookie" not in response.headers


async def test_a_multifernet_opens_cookies_of_the_old_key(client_for_storage: Any) -> None:
    new = Fernet(Fernet.generate_key())
    client = await client_for_storage(sessions.EncryptedCookieStorage(MultiFernet([new, FERNET])))
    response = await visit(client, "/", sealed(record()))
    assert response.text == "42"
    token = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert json.loads(new.decrypt(token.encode()))["session"] == {"n": 42}


# -- bad input: a fresh empty session, logged at debug, never an error


def _tampered() -> str:
    token = bytearray(sealed(record()).encode())
    token[40] = ord("A") if token[40] != ord("A") else ord("B")
    return token.decode()


def _reordered() -> str:
    token = sealed(record())
    return token[20:] + token[:20]


BAD_COOKIES = [
    pytest.param(_tampered(), id="tampered"),
    pytest.param(sealed(record())[:-10], id="truncated"),
    pytest.param(_reordered(), id="re-ordered"),
    pytest.param(sealed(record(), Fernet(Fernet.generate_key())), id="wrong-key"),
    pytest.param("not*base64!", id="non-base64"),
    pytest.param("", id="empty"),
    pytest.param(sealed(record(created=int(time.time()) - 40 * 86400)), id="past-lifetime"),
    pytest.param(
        sealed(record(created=int(time.time()) - 16 * 86400, access=int(time.time()) - 15 * 86400)),
        id="idle-too-long",
    ),
    pytest.param(sealed(record(created=int(time.time()) + 3600)), id="created-in-future"),
    pytest.param(sealed(["a", "list"]), id="not-a-mapping"),
    pytest.param(sealed(record(session=[1, 2])), id="data-not-a-mapping"),
    pytest.param(sealed(record(identity=7)), id="identity-not-a-str"),
    pytest.param(sealed({"session": {}}), id="no-times"),
    pytest.param(FERNET.encrypt(b"\xff\xfe not utf-8").decode(), id="not-utf8"),
    pytest.param(FERNET.encrypt(b"{not json").decode(), id="not-json"),
    pytest.param("A" * 100 * 1024, id="100-KiB"),
]


@pytest.mark.parametrize("cookie", BAD_COOKIES)
async def test_bad_encrypted_cookie_gives_a_fresh_session(
    cookie: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = counter_app(sessions.EncryptedCookieStorage(KEY))
    limits = web.Limits(max_field_size=200_000, max_headers_size=300_000)
    caplog.set_level(logging.DEBUG, logger="jackfield.sessions")
    async with TestClient(app, limits=limits) as client:
        response = await visit(client, "/peek", cookie)
        assert response.status_code == 200
        assert response.json() == {"new": True, "data": {}, "identity": None}
        response = await visit(client, "/", cookie)
        assert response.text == "1"
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors
    if cookie:
        assert any(r.name == "jackfield.sessions" for r in caplog.records)


async def test_a_valid_cookie_next_to_the_bad_table_loads() -> None:
    """The table's good twin: the same kind of cookie, unmodified, is accepted."""
    app = counter_app(sessions.EncryptedCookieStorage(KEY))
    async with TestClient(app) as client:
        response = await visit(client, "/", sealed(record()))
        assert response.text == "42"


async def test_bad_cookie_is_deleted_when_the_session_is_not_used_for_data() -> None:
    app = counter_app(sessions.EncryptedCookieStorage(KEY))
    async with TestClient(app) as client:
        response = await visit(client, "/peek", _tampered())
        header = response.headers["set-cookie"]
        assert header.startswith('JACKFIELD_SESSION=""') or header.startswith("JACKFIELD_SESSION=;")
        assert "Max-Age=0" in header


@pytest.mark.parametrize("cookie", ["not base64 !", base64.urlsafe_b64encode(b"[1]").decode()])
async def test_bad_simple_cookie_gives_a_fresh_session(cookie: str) -> None:
    app = counter_app(sessions.SimpleCookieStorage())
    async with TestClient(app) as client:
        response = await visit(client, "/peek", cookie)
        assert response.json()["new"] is True


# -- expiry on the server


async def test_idle_timeout_is_enforced_by_the_server() -> None:
    storage = sessions.EncryptedCookieStorage(KEY, idle_timeout=1, lifetime=None)
    async with TestClient(counter_app(storage)) as client:
        assert (await client.get("/")).text == "1"
        assert (await client.get("/")).text == "2"
        await asyncio.sleep(1.1)
        assert (await client.get("/")).text == "1"


async def test_lifetime_is_enforced_however_active_the_session() -> None:
    storage = sessions.EncryptedCookieStorage(KEY, idle_timeout=None, lifetime=2)
    async with TestClient(counter_app(storage)) as client:
        assert (await client.get("/")).text == "1"
        deadline = time.monotonic() + 3.5
        counts = []
        while time.monotonic() < deadline:
            counts.append(int((await client.get("/")).text))
            await asyncio.sleep(0.3)
        assert counts[0] == 2
        assert 1 in counts[1:], counts  # the session restarted once its lifetime was over


def test_touch_refreshes_the_access_time_of_a_read_only_session() -> None:
    storage = sessions.EncryptedCookieStorage(KEY, idle_timeout=100)
    now = int(time.time())
    loaded = storage.decode_record(json.dumps(record(created=now - 20, access=now - 11)))
    assert loaded is not None
    assert storage.needs_saving(loaded)  # idle/10 = 10 s passed: rewrite the access time
    fresh = storage.decode_record(json.dumps(record()))
    assert fresh is not None and not storage.needs_saving(fresh)
