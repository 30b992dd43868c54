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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jackfield import web
from jackfield.plugins import sessions
from jackfield.testing.testing import TestClient

from .conftest import counter_app

KEY = os.urandom(32)
FERNET = Fernet(base64.urlsafe_b64encode(KEY))


def gcm_siv(key: bytes = KEY) -> AESGCMSIV:
    """The cipher docs/sessions.md describes, made here from the key, not by the storage."""
    info = b"jackfield.sessions cookie AES-256-GCM-SIV"
    return AESGCMSIV(HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(key))


def siv_seal(data: bytes, key: bytes = KEY) -> str:
    nonce = os.urandom(12)
    token = b"\x01" + nonce + gcm_siv(key).encrypt(nonce, data, b"\x01")
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode()


def siv_open(value: str, key: bytes = KEY) -> bytes:
    token = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert token[:1] == b"\x01"
    return gcm_siv(key).decrypt(token[1:13], token[13:], b"\x01")


def sealed(record: Any, fernet: Fernet = FERNET) -> str:
    return fernet.encrypt(json.dumps(record).encode()).decode()


def siv_sealed(record: Any, key: bytes = KEY) -> str:
    return siv_seal(json.dumps(record).encode(), key)


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
    ],
)
def test_a_key_seals_with_gcm_siv_and_still_opens_fernet_tokens(key: Any) -> None:
    storage = sessions.EncryptedCookieStorage(key)
    assert storage._open(storage._seal("hello")) == "hello"
    assert siv_open(storage._seal("same key")) == b"same key"
    assert storage._open(siv_seal(b"sealed elsewhere")) == "sealed elsewhere"
    assert storage._open(FERNET.encrypt(b"an older cookie").decode()) == "an older cookie"
    assert storage._seal("x") != storage._seal("x")  # a fresh nonce each time


@pytest.mark.parametrize(
    "key",
    [pytest.param(FERNET, id="fernet"), pytest.param(MultiFernet([FERNET]), id="multifernet")],
)
def test_a_fernet_object_seals_fernet_tokens(key: Any) -> None:
    storage = sessions.EncryptedCookieStorage(key)
    assert storage._open(storage._seal("hello")) == "hello"
    assert FERNET.decrypt(storage._seal("same key").encode()) == b"same key"
    assert storage._open(siv_seal(b"no key to open it")) is None


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
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age=600" in header
    token = header.split(";")[0].split("=", 1)[1]
    opened = json.loads(siv_open(token))
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


def _tampered(token: str) -> str:
    chars = bytearray(token.encode())
    chars[40] = ord("A") if chars[40] != ord("A") else ord("B")
    return chars.decode()


def _reordered(token: str) -> str:
    return token[20:] + token[:20]


def _bad_cookies(scheme: str) -> list[Any]:
    """Each bad cookie of the table, as a Fernet token or as a GCM-SIV cookie."""
    if scheme == "fernet":
        seal, seal_bytes = sealed, lambda data: FERNET.encrypt(data).decode()
        other_key = sealed(record(), Fernet(Fernet.generate_key()))
    else:
        seal, seal_bytes = siv_sealed, siv_seal
        other_key = siv_sealed(record(), os.urandom(32))
    now = int(time.time())
    cookies = [
        ("tampered", _tampered(seal(record()))),
        ("truncated", seal(record())[:-10]),
        ("re-ordered", _reordered(seal(record()))),
        ("wrong-key", other_key),
        ("past-lifetime", seal(record(created=now - 40 * 86400))),
        ("idle-too-long", seal(record(created=now - 16 * 86400, access=now - 15 * 86400))),
        ("created-in-future", seal(record(created=now + 3600))),
        ("not-a-mapping", seal(["a", "list"])),
        ("data-not-a-mapping", seal(record(session=[1, 2]))),
        ("identity-not-a-str", seal(record(identity=7))),
        ("no-times", seal({"session": {}})),
        ("not-utf8", seal_bytes(b"\xff\xfe not utf-8")),
        ("not-json", seal_bytes(b"{not json")),
    ]
    return [pytest.param(cookie, id=f"{scheme}-{name}") for name, cookie in cookies]


BAD_COOKIES = [
    *_bad_cookies("gcm-siv"),
    *_bad_cookies("fernet"),
    pytest.param(siv_sealed(record())[:20], id="shorter-than-a-nonce"),
    pytest.param("AQ", id="only-the-format-byte"),
    pytest.param("not*base64!", id="non-base64"),
    pytest.param("", id="empty"),
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


@pytest.mark.parametrize(
    "seal", [pytest.param(siv_sealed, id="gcm-siv"), pytest.param(sealed, id="fernet")]
)
async def test_a_valid_cookie_next_to_the_bad_table_loads(seal: Any) -> None:
    """The table's good twin: the same kind of cookie, unmodified, is accepted."""
    app = counter_app(sessions.EncryptedCookieStorage(KEY))
    async with TestClient(app) as client:
        response = await visit(client, "/", seal(record()))
        assert response.text == "42"


async def test_bad_cookie_is_deleted_when_the_session_is_not_used_for_data() -> None:
    app = counter_app(sessions.EncryptedCookieStorage(KEY))
    async with TestClient(app) as client:
        response = await visit(client, "/peek", _tampered(siv_sealed(record())))
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
