"""The opening handshake: accepted requests, refused ones (400/405/426), negotiation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from multidict import CIMultiDict
from websockets.asyncio.client import connect
from websockets.typing import Origin, Subprotocol

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse
from jackfield.plugins.websocket._handshake import HandshakeError, accept_key, negotiate

from .wsraw import RawClient, expected_accept, handshake_request

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
GOOD = {
    "Upgrade": "websocket",
    "Connection": "keep-alive, Upgrade",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
}


def headers(**changes: str | None) -> CIMultiDict[str]:
    out = CIMultiDict(GOOD)
    for name, value in changes.items():
        name = name.replace("_", "-")
        out.popall(name, None)
        if value is not None:
            out[name] = value
    return out


def test_accept_key_matches_rfc_6455_example() -> None:
    assert accept_key(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_valid_handshake() -> None:
    found = negotiate("GET", (1, 1), headers())
    assert found.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert (found.protocol, found.deflate) == (None, None)


@pytest.mark.parametrize(
    ("method", "version", "changes", "status", "header"),
    [
        ("POST", (1, 1), {}, 405, ("Allow", "GET")),
        ("GET", (1, 1), {"Upgrade": None}, 426, ("Upgrade", "websocket")),
        ("GET", (1, 1), {"Upgrade": "h2c"}, 426, ("Upgrade", "websocket")),
        ("GET", (1, 1), {"Connection": "keep-alive"}, 400, None),
        ("GET", (1, 0), {}, 400, None),
        ("GET", (1, 1), {"Sec-WebSocket-Version": "8"}, 426, ("Sec-WebSocket-Version", "13")),
        ("GET", (1, 1), {"Sec-WebSocket-Version": None}, 426, ("Sec-WebSocket-Version", "13")),
        ("GET", (1, 1), {"Sec-WebSocket-Key": None}, 400, None),
        ("GET", (1, 1), {"Sec-WebSocket-Key": "not base64!"}, 400, None),
        ("GET", (1, 1), {"Sec-WebSocket-Key": "AAAA"}, 400, None),
    ],
    ids=[
        "not-get",
        "no-upgrade",
        "other-upgrade",
        "no-connection-upgrade",
        "http-1.0",
        "version-8",
        "no-version",
        "no-key",
        "key-not-base64",
        "key-not-16-bytes",
    ],
)
def test_refused_handshakes(
    method: str,
    version: tuple[int, int],
    changes: dict[str, str | None],
    status: int,
    header: tuple[str, str] | None,
) -> None:
    with pytest.raises(HandshakeError) as info:
        negotiate(method, version, headers(**changes))
    assert info.value.status == status
    if header is not None:
        assert info.value.headers[header[0]] == header[1]


def test_two_keys_are_refused() -> None:
    hdrs = headers()
    hdrs.add("Sec-WebSocket-Key", KEY)
    with pytest.raises(HandshakeError, match="one Sec-WebSocket-Key"):
        negotiate("GET", (1, 1), hdrs)


@pytest.mark.parametrize(
    ("offered", "ours", "chosen"),
    [
        ("chat, superchat", ("superchat", "chat"), "chat"),
        ("v2.json", ("v1.json",), None),
        (None, ("chat",), None),
    ],
    ids=["client-preference-wins", "no-common-protocol", "none-offered"],
)
def test_subprotocol_choice(offered: str | None, ours: tuple[str, ...], chosen: str | None) -> None:
    found = negotiate("GET", (1, 1), headers(Sec_WebSocket_Protocol=offered), protocols=ours)
    assert found.protocol == chosen


def test_compress_false_declines_deflate() -> None:
    hdrs = headers(Sec_WebSocket_Extensions="permessage-deflate")
    assert negotiate("GET", (1, 1), hdrs).deflate is not None
    assert negotiate("GET", (1, 1), hdrs, compress=False).deflate is None


# -- over HTTP -----------------------------------------------------------------------------


async def serving(server_for: Any, **ws_kwargs: Any) -> tuple[Any, list[str]]:
    seen: list[str] = []

    @web.middleware
    async def spy(request: web.Request, handler: Any) -> Any:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            seen.append(f"{exc.status}")
            raise

    async def handler(request: web.Request) -> WebSocketResponse:
        ws = WebSocketResponse(**ws_kwargs)
        ready = ws.can_prepare(request)
        seen.append(f"ready={ready.ok} protocol={ready.protocol}")
        await ws.prepare(request)
        await ws.send_str(request.headers.get("Origin", "no origin"))
        await ws.close()
        return ws

    app = web.Application(middlewares=[spy])
    app.router.add_get("/ws", handler)
    return await server_for(app), seen


async def test_plain_get_gets_426_through_the_middleware_chain(server_for: Any) -> None:
    server, seen = await serving(server_for)
    async with httpx.AsyncClient() as client:
        response = await client.get(server.make_url("/ws"))
    assert response.status_code == 426
    assert response.headers["Upgrade"] == "websocket"
    assert "Upgrade: websocket" in response.text
    assert seen == ["ready=False protocol=None", "426"]


async def test_bad_key_gets_400_with_the_reason(server_for: Any) -> None:
    server, _ = await serving(server_for)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(handshake_request(key="short"))
    head = await asyncio.wait_for(reader.read(4096), 3)
    writer.close()
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"base64 of 16 bytes" in head


async def test_101_answer_is_exact(server_for: Any) -> None:
    server, _ = await serving(server_for)
    key = "x3JJHMbDL1EzLkh9GBhXDw=="
    client = await RawClient.connect(server.port, key=key)
    head = client.head.decode()
    client.close()
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols"
    fields = dict(line.split(": ", 1) for line in lines[1:] if line)
    assert fields["Upgrade"] == "websocket"
    assert fields["Connection"] == "Upgrade"
    assert fields["Sec-WebSocket-Accept"] == expected_accept(key)
    assert "Content-Length" not in fields and "Transfer-Encoding" not in fields


async def test_subprotocol_and_origin_reach_the_handler(server_for: Any) -> None:
    server, seen = await serving(server_for, protocols=("chat",))
    url = f"ws://127.0.0.1:{server.port}/ws"
    offered = [Subprotocol("superchat"), Subprotocol("chat")]
    async with connect(url, subprotocols=offered, origin=Origin("https://example.org")) as ws:
        assert ws.subprotocol == "chat"
        assert await ws.recv() == "https://example.org"
    assert seen == ["ready=True protocol=chat"]
