"""MemoryStorage: server-side semantics in one process (ids, rotation, revocation, expiry)."""

from __future__ import annotations

import asyncio
from typing import Any

from jackfield.plugins import sessions
from jackfield.plugins.sessions import _memory
from jackfield.testing.testing import TestClient

from .conftest import counter_app


async def test_memory_storage_keeps_sessions_under_random_ids(client_for_storage: Any) -> None:
    storage = sessions.MemoryStorage()
    client = await client_for_storage(storage)
    assert [(await client.get("/")).text for _ in range(3)] == ["1", "2", "3"]
    sid = client._client.cookies["JACKFIELD_SESSION"]
    assert len(sid) == 43 and len(storage) == 1


async def test_memory_storage_revokes_an_identity_and_rotates() -> None:
    storage = sessions.MemoryStorage()
    app = counter_app(storage)

    async def login(request: Any) -> Any:
        session = await sessions.new_session(request)
        session.identity = "dora"
        session["who"] = "dora"
        return sessions_response()

    async def rotate(request: Any) -> Any:
        (await sessions.get_session(request)).rotate()
        return sessions_response()

    def sessions_response() -> Any:
        from jackfield import web

        return web.Response(text="ok")

    app.router.add_get("/login", login)
    app.router.add_get("/rotate", rotate)
    async with TestClient(app) as one, TestClient(one.server) as two:
        await one.get("/login")
        await two.get("/login")
        first = one._client.cookies["JACKFIELD_SESSION"]
        await one.get("/rotate")
        assert one._client.cookies["JACKFIELD_SESSION"] != first
        assert len(storage) == 2  # the rotated-away record is gone
        assert (await one.get("/peek")).json()["data"] == {"who": "dora"}
        assert await storage.revoke_identity("dora") == 2
        assert len(storage) == 0
        assert (await one.get("/peek")).json()["new"] is True
        assert (await two.get("/peek")).json()["new"] is True


async def test_memory_storage_expires_and_sweeps(monkeypatch: Any) -> None:
    storage = sessions.MemoryStorage(idle_timeout=1, lifetime=None)
    async with TestClient(counter_app(storage)) as client:
        assert (await client.get("/")).text == "1"
        await asyncio.sleep(1.1)
        assert (await client.get("/")).text == "1"  # expired: a new session
        assert len(storage) == 1
    monkeypatch.setattr(_memory, "_SWEEP_EVERY", 1)  # every write sweeps
    for _ in range(3):
        async with TestClient(counter_app(storage)) as other:
            await other.get("/")
    assert len(storage) == 4  # abandoned, not expired yet
    await asyncio.sleep(1.1)
    async with TestClient(counter_app(storage)) as last:
        await last.get("/")
    assert len(storage) == 1  # the four abandoned records were swept
