"""Enabling the plugin, and when sessions are saved: plain, streamed, WebSocket, errors."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins import sessions
from jackfield.plugins.sessions import _hooks
from jackfield.testing.testing import TestClient, TestServer, make_mocked_request

KEY = os.urandom(32)


def storage() -> sessions.EncryptedCookieStorage:
    return sessions.EncryptedCookieStorage(KEY)


# -- enabling


def test_setup_enables_the_plugin_through_the_host_and_says_why() -> None:
    app = web.Application()
    assert not app.plugins.is_enabled("sessions")
    sessions.setup(app, storage())
    (enabled,) = [e for e in app.plugins.enabled if e.name == "sessions"]
    assert enabled.reason == "enabled by sessions.setup()"
    assert enabled.plugin is _hooks
    assert app[sessions.STORAGE_KEY] is not None
    assert len(app.middlewares) == 1 and app.on_response_prepare == [sessions.save_on_prepare]


def test_the_plugin_is_not_on_by_default() -> None:
    assert not web.Application().plugins.is_enabled("sessions")
    assert not _hooks.plugin_info.default


def test_the_entry_point_is_installed_and_names_the_hooks_module() -> None:
    from jackfield.host.host import discover

    found = discover()["sessions"]
    assert found.builtin and found.value == "jackfield.plugins.sessions._hooks"


def test_setup_twice_is_an_error() -> None:
    app = web.Application()
    sessions.setup(app, storage())
    with pytest.raises(RuntimeError, match="already called"):
        sessions.setup(app, storage())


def test_setup_after_the_app_froze_is_an_error() -> None:
    app = web.Application()
    app.freeze()
    with pytest.raises(RuntimeError, match="before run_app"):
        sessions.setup(app, storage())


@pytest.mark.parametrize("thing", [None, "cookie", {"a": 1}])
def test_setup_and_middleware_refuse_what_is_not_a_storage(thing: Any) -> None:
    with pytest.raises(TypeError, match="AbstractStorage"):
        sessions.setup(web.Application(), thing)
    with pytest.raises(TypeError, match="AbstractStorage"):
        sessions.session_middleware(thing)


def test_enabling_by_name_without_a_storage_fails_at_start_up() -> None:
    app = web.Application(plugins=["routing", "sessions"])
    with pytest.raises(RuntimeError, match=r"sessions.setup\(app, storage\)"):
        app.freeze()


async def test_setup_after_enabling_by_name_installs_the_middleware() -> None:
    app = web.Application(plugins=["routing", "sessions"])
    sessions.setup(app, storage())
    assert len(app.middlewares) == 1 and app.on_response_prepare == [sessions.save_on_prepare]

    async def handler(request: web.Request) -> web.Response:
        (await sessions.get_session(request))["x"] = 1
        return web.Response(text="ok")

    app.router.add_get("/", handler)
    async with TestClient(app) as client:
        assert "set-cookie" in (await client.get("/")).headers


async def test_get_session_without_the_middleware_says_what_to_add() -> None:
    request = make_mocked_request("GET", "/")
    with pytest.raises(RuntimeError, match=r"sessions.setup\(app, storage\)"):
        await sessions.get_session(request)
    with pytest.raises(RuntimeError, match="session_middleware"):
        await sessions.new_session(request)


# -- when sessions are saved


def app_with(handler: Any, *, form: str = "setup", path: str = "/") -> web.Application:
    if form == "setup":
        app = web.Application()
        sessions.setup(app, storage())
    else:
        app = web.Application(middlewares=[sessions.session_middleware(storage())])

    async def peek(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        return web.json_response({"new": session.new, "data": dict(session)})

    app.router.add_get(path, handler)
    app.router.add_get("/peek", peek)
    return app


@pytest.mark.parametrize("form", ["setup", "middleware"])
async def test_both_forms_save_a_plain_response(form: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session["seen"] = True
        return web.Response(text="ok")

    async with TestClient(app_with(handler, form=form)) as client:
        assert "set-cookie" in (await client.get("/")).headers
        assert (await client.get("/peek")).json() == {"new": False, "data": {"seen": True}}


async def test_a_streamed_response_carries_the_session() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        session = await sessions.get_session(request)
        session["streamed"] = 1
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"part one, ")
        await response.write(b"part two")
        return response

    async with TestClient(app_with(handler)) as client:
        response = await client.get("/")
        assert response.text == "part one, part two"
        assert "JACKFIELD_SESSION=" in response.headers["set-cookie"]
        assert (await client.get("/peek")).json() == {"new": False, "data": {"streamed": 1}}


async def test_the_middleware_form_logs_an_unsaved_streamed_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        session = await sessions.get_session(request)
        session["streamed"] = 1
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"body")
        return response

    async with TestClient(app_with(handler, form="middleware")) as client:
        response = await client.get("/")
        assert response.text == "body"
        assert "set-cookie" not in response.headers
    assert any(
        "was not saved" in r.getMessage() and "sessions.setup" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR
    )


async def test_a_websocket_handshake_carries_the_session() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        session = await sessions.get_session(request)
        session["ws"] = "yes"
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    async with TestServer(app_with(handler, path="/ws")) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.close()
        assert head.startswith(b"HTTP/1.1 101 ")
        cookie_line = [line for line in head.split(b"\r\n") if line.startswith(b"Set-Cookie:")]
        assert cookie_line, head
        cookie = cookie_line[0].split(b":", 1)[1].split(b";")[0].strip().decode()
        async with TestClient(server) as client:
            response = await client.get("/peek", headers={"Cookie": cookie})
            assert response.json() == {"new": False, "data": {"ws": "yes"}}


@pytest.mark.parametrize("form", ["setup", "middleware"])
async def test_a_redirect_raised_after_login_carries_the_new_session(form: str) -> None:
    async def login(request: web.Request) -> web.Response:
        session = await sessions.new_session(request)
        session.identity = "alice"
        raise web.HTTPFound("/peek")

    async with TestClient(app_with(login, form=form)) as client:
        response = await client.get("/")
        assert response.status_code == 302
        assert "JACKFIELD_SESSION=" in response.headers["set-cookie"]
        assert (await client.get("/peek")).json()["new"] is False


@pytest.mark.parametrize("form", ["setup", "middleware"])
async def test_a_failing_handler_saves_nothing(form: str) -> None:
    async def broken(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session["half"] = "done"
        raise ZeroDivisionError("the handler broke")

    async with TestClient(app_with(broken, form=form)) as client:
        response = await client.get("/")
        assert response.status_code == 500
        assert "set-cookie" not in response.headers


# -- cookies over 4096 bytes


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
async def test_a_cookie_over_4096_bytes_is_refused_naming_its_size(
    streamed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        session = await sessions.get_session(request)
        session["blob"] = "x" * 4000
        if not streamed:
            return web.Response(text="ok")
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"ok")
        return response

    async with TestClient(app_with(handler)) as client:
        response = await client.get("/")
        assert response.status_code == 500
        assert "set-cookie" not in response.headers
    messages = [
        str(r.exc_info[1]) if r.exc_info else r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR
    ]
    assert any("would be" in m and "over the 4096 bytes" in m for m in messages), messages


async def test_a_cookie_just_under_the_limit_is_sent() -> None:
    async def handler(request: web.Request) -> web.Response:
        session = await sessions.get_session(request)
        session["blob"] = "x" * 2500  # sealed, about 3.6 KB
        return web.Response(text="ok")

    async with TestClient(app_with(handler)) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert 3000 < len(response.headers["set-cookie"]) <= 4096


# -- rotation and invalidation with cookies


async def test_new_session_keeps_nothing_and_invalidate_deletes_the_cookie() -> None:
    async def handler(request: web.Request) -> web.Response:
        action = request.query.get("do")
        if action == "login":
            session = await sessions.new_session(request)
            session["user"] = "bob"
        elif action == "logout":
            session = await sessions.get_session(request)
            session.invalidate()
        else:
            session = await sessions.get_session(request)
            session["cart"] = ["apple"]
        return web.Response(text="ok")

    async with TestClient(app_with(handler)) as client:
        await client.get("/")
        assert (await client.get("/peek")).json()["data"] == {"cart": ["apple"]}
        await client.get("/?do=login")
        assert (await client.get("/peek")).json()["data"] == {"user": "bob"}
        response = await client.get("/?do=logout")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert (await client.get("/peek")).json() == {"new": True, "data": {}}
