"""``client.ws_connect(path)``: the pytest plugin's WebSocket client against a real server."""

from __future__ import annotations

import pytest

from jackfield import web
from jackfield.testing._websocket import WebSocketClosedError
from jackfield.testing.testing import ClientFactory, TestClient


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat.v1",))
    await ws.prepare(request)
    await ws.send_json({"user": request.cookies.get("user", "anonymous")})
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "bye":
                await ws.close(code=4001, message=b"asked to")
            else:
                await ws.send_str(msg.data.upper())
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data[::-1])
    return ws


async def login(request: web.Request) -> web.Response:
    response = web.Response(text="ok")
    response.set_cookie("user", "ada")
    return response


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ws", echo)
    app.router.add_post("/login", login)
    return app


async def test_text_binary_json_and_the_cookie_jar(client_for: ClientFactory) -> None:
    client = await client_for(make_app())
    await client.post("/login")
    ws = await client.ws_connect("/ws", protocols=["chat.v1"])
    assert ws.protocol == "chat.v1"
    assert await ws.receive_json() == {"user": "ada"}
    await ws.send_str("hello")
    assert await ws.receive_str() == "HELLO"
    await ws.send_bytes(b"abc")
    assert await ws.receive_bytes() == b"cba"
    await ws.send_json({"a": 1})
    assert await ws.receive() == '{"A": 1}'


async def test_the_server_closing_is_reported(client_for: ClientFactory) -> None:
    client = await client_for(make_app())
    ws = await client.ws_connect("/ws")
    await ws.receive_json()
    await ws.send_str("bye")
    with pytest.raises(WebSocketClosedError) as info:
        await ws.receive()
    assert (info.value.code, info.value.reason) == (4001, "asked to")
    assert ws.closed and ws.close_code == 4001


async def test_a_wrong_message_type_and_a_silent_server_fail_fast(
    client_for: ClientFactory,
) -> None:
    client = await client_for(make_app())
    ws = await client.ws_connect("/ws")
    with pytest.raises(AssertionError, match="expected a binary message, got text"):
        await ws.receive_bytes()
    with pytest.raises(TimeoutError, match=r"no WebSocket message within 0\.1 seconds"):
        await ws.receive(timeout=0.1)


async def test_closing_the_client_closes_its_websockets() -> None:
    async with TestClient(make_app()) as client:
        ws = await client.ws_connect("/ws")
        messages = []
        await ws.send_str("one")
        await ws.send_str("bye")
        async for message in ws:  # ends when the server closes
            messages.append(message)
        assert messages == ['{"user": "anonymous"}', "ONE"]
        second = await client.ws_connect("/ws")
    assert second.closed and second.close_code == 1000
