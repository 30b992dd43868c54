"""The plugin itself: on by default, needs nothing, and serves WebSockets either way."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import connect

from jackfield import web
from jackfield.host.host import discover
from jackfield.plugins.websocket import _hooks

from .conftest import Record, echo_handler, ws_url


def test_plugin_info_is_default_and_requires_nothing() -> None:
    info = _hooks.plugin_info
    assert (info.name, info.default, info.requires) == ("websocket", True, ())


def test_entry_point_names_the_hooks_module() -> None:
    assert discover()["websocket"].value == "jackfield.plugins.websocket._hooks"


def test_default_application_enables_it() -> None:
    assert web.Application().plugins.is_enabled("websocket")


async def test_works_with_the_plugins_named_explicitly(server_for: Any) -> None:
    record = Record()
    app = web.Application(plugins=["routing", "websocket"])
    app.router.add_get("/ws", echo_handler(record))
    server = await server_for(app)
    async with connect(ws_url(server)) as ws:
        await ws.send("explicit")
        assert await ws.recv() == "explicit"
