"""A chat room over WebSockets: every message goes to everyone in the room.

Serve it with ``python examples/chat.py`` (or ``python examples/chat.py PORT``)
and open http://127.0.0.1:8080/ in a few browser tabs, or run
``python -m jackfield.web -P 8080 examples.chat:init_func``.

``GET /ws?name=alice`` joins the room. Each text message a member sends is
broadcast to all members as ``alice: text``; joins and departures are
announced as ``* alice joined`` and ``* alice left``. On shutdown every member
gets a close frame with code 1001 (going away), as in the spec's graceful
shutdown example.
"""

from __future__ import annotations

import contextlib
import itertools

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSCloseCode, WSMsgType

MEMBERS = web.AppKey("chat_members", dict)
"""Name -> WebSocketResponse of everyone in the room."""

PAGE = """<!doctype html>
<title>jackfield chat</title>
<form id=f><input id=t autofocus autocomplete=off> <button>send</button></form>
<pre id=log></pre>
<script>
const name = prompt("your name?") || "";
const ws = new WebSocket(`ws://${location.host}/ws?name=${encodeURIComponent(name)}`);
ws.onmessage = (e) => { log.textContent += e.data + "\\n"; };
ws.onclose = (e) => { log.textContent += `* disconnected (${e.code})\\n`; };
f.onsubmit = (e) => { e.preventDefault(); ws.send(t.value); t.value = ""; };
</script>
"""

_guests = itertools.count(1)


async def index(request: web.Request) -> web.Response:
    """The chat page (a few lines of JavaScript around a WebSocket)."""
    return web.Response(text=PAGE, content_type="text/html")


async def broadcast(app: web.Application, text: str) -> None:
    """Send ``text`` to every member; members that are gone are skipped."""
    for ws in list(app[MEMBERS].values()):
        if not ws.closed:
            # The member may leave between the check and the send.
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(text)


def unique_name(wanted: str, taken: dict[str, WebSocketResponse]) -> str:
    """``wanted`` (or a guest name), with a number added if someone already has it."""
    base = wanted.strip()[:32] or f"guest-{next(_guests)}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


async def chat(request: web.Request) -> WebSocketResponse:
    """One member's WebSocket: announce, relay every message, announce the departure."""
    ws = WebSocketResponse(heartbeat=30.0)
    await ws.prepare(request)
    members = request.app[MEMBERS]
    name = unique_name(request.query.get("name", ""), members)
    members[name] = ws
    try:
        await ws.send_str(f"* you are {name}")
        await broadcast(request.app, f"* {name} joined")
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await broadcast(request.app, f"{name}: {msg.data}")
    finally:
        # Also when the handler is cancelled because the client vanished.
        del members[name]
        await broadcast(request.app, f"* {name} left")
    return ws


async def close_everyone(app: web.Application) -> None:
    """on_shutdown: say goodbye with 1001 so clients know to reconnect elsewhere."""
    for ws in list(app[MEMBERS].values()):
        await ws.close(code=WSCloseCode.GOING_AWAY, message="server shutdown")


def make_app() -> web.Application:
    """Build the chat application."""
    app = web.Application()
    app[MEMBERS] = {}
    app.router.add_get("/", index)
    app.router.add_get("/ws", chat)
    app.on_shutdown.append(close_everyone)
    return app


def init_func(argv: list[str] | None = None) -> web.Application:
    """Entry point for ``python -m jackfield.web examples.chat:init_func``."""
    return make_app()


if __name__ == "__main__":
    import sys

    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]) if sys.argv[1:] else 8080)
