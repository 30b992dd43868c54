"""The expect plugin: its default handler, its hook, and Expect handling through a real server."""

from __future__ import annotations

import asyncio
from typing import Any

import pluggy
import pytest
from multidict import CIMultiDict

from jackfield import web
from jackfield.host import hookspecs
from jackfield.plugins import expect
from jackfield.plugins.expect import _hooks
from jackfield.testing.testing import make_mocked_request

READ_BOUND = 3.0


# -- the default handler


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("100-continue", id="canonical"),
        pytest.param("100-Continue", id="any-case"),
        pytest.param(" 100-continue ,", id="spaces-and-empty-member"),
    ],
)
async def test_default_handler_accepts_100_continue(value: str) -> None:
    request = make_mocked_request("POST", "/", {"Expect": value})
    assert await expect.default_expect_handler(request) is None


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Expect": "fly"}, id="unknown-token"),
        pytest.param({"Expect": "100-continue, fly"}, id="unknown-member-in-list"),
        pytest.param(CIMultiDict([("Expect", "100-continue"), ("Expect", "x=1")]), id="2nd-field"),
        pytest.param({"Expect": "200-ok"}, id="other-status"),
    ],
)
async def test_default_handler_refuses_other_expectations_with_417(headers: Any) -> None:
    request = make_mocked_request("POST", "/", headers)
    with pytest.raises(web.HTTPExpectationFailed) as info:
        await expect.default_expect_handler(request)
    assert info.value.status == 417
    assert "Unknown Expect" in info.value.text


async def test_default_handler_ignores_expectations_of_http_10() -> None:
    request = make_mocked_request("POST", "/", {"Expect": "fly"}, version=(1, 0))
    assert await expect.default_expect_handler(request) is None


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: Any) -> None:
        self.written += data


def test_send_continue_sends_the_line_once() -> None:
    request = make_mocked_request("POST", "/", {"Expect": "100-continue"}, body=b"x")
    protocol: Any = request.protocol
    protocol.transport = FakeTransport()
    protocol._wants_continue = True
    protocol._continue_sent = False
    assert expect.send_continue(request)
    assert not expect.send_continue(request)
    assert protocol.transport.written == expect.CONTINUE_LINE


def test_send_continue_does_nothing_when_nothing_is_owed() -> None:
    assert not expect.send_continue(make_mocked_request("POST", "/", body=b"x"))


# -- the plugin and its hook


def test_plugin_info_is_on_by_default() -> None:
    assert _hooks.plugin_info.name == "expect" and _hooks.plugin_info.default
    assert web.Application().plugins.is_enabled("expect")


class DefaultExpectSpec:
    """The hookspec the kernel adds (see the plugin's docstring)."""

    @hookspecs.hookspec(firstresult=True)
    def jackfield_default_expect_handler(self, app: Any) -> Any:
        """Return the app's default expect handler."""


def test_hook_default_expect_handler_provides_the_default() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(DefaultExpectSpec)
    pm.register(_hooks, name="expect")
    pm.check_pending()
    assert pm.hook.jackfield_default_expect_handler(app=object()) is expect.default_expect_handler


def test_hook_default_expect_handler_yields_to_a_third_party_plugin() -> None:
    async def mine(request: Any) -> None:
        return None

    class Other:
        @hookspecs.hookimpl
        def jackfield_default_expect_handler(self, app: Any) -> Any:
            return mine

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(DefaultExpectSpec)
    pm.register(Other(), name="other")
    pm.register(_hooks, name="expect")  # registered last, still asked last (trylast)
    assert pm.hook.jackfield_default_expect_handler(app=object()) is mine


# -- through a real server


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """Read any interim (1xx) responses and one final response with a Content-Length."""
    raw = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_BOUND
    while True:
        start = 0
        while raw.startswith(b"HTTP/1.1 1", start) and raw.find(b"\r\n\r\n", start) != -1:
            start = raw.find(b"\r\n\r\n", start) + 4  # skip an interim response
        head_end = raw.find(b"\r\n\r\n", start)
        if head_end != -1 and not raw.startswith(b"HTTP/1.1 1", start):
            head = bytes(raw[start:head_end]).lower()
            length = int(head.split(b"content-length:", 1)[1].split(b"\r\n")[0])
            if len(raw) >= head_end + 4 + length:
                return bytes(raw)
        piece = await asyncio.wait_for(reader.read(65536), deadline - loop.time())
        if not piece:
            return bytes(raw)
        raw += piece


async def wait_for_continue(reader: asyncio.StreamReader) -> bytes:
    line = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_BOUND)
    return line


async def echo(request: web.Request) -> web.Response:
    return web.Response(text=f"got {(await request.read()).decode()}")


def make_app(**kwargs: Any) -> web.Application:
    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/private":
            raise web.HTTPUnauthorized()
        return await handler(request)  # type: ignore[no-any-return]

    app = web.Application(middlewares=[auth], **kwargs)
    app.router.add_post("/echo", echo)
    app.router.add_post("/private", echo)
    app.router.add_get("/only-get", echo)
    return app


async def test_100_continue_is_sent_when_the_handler_reads_the_body(server_for: Any) -> None:
    server = await server_for(make_app())
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
        )
        assert await wait_for_continue(reader) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        raw = await read_response(reader)
        assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(b"got hello")
        assert b"100 Continue" not in raw
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("target", "status", "extra"),
    [
        pytest.param("/nowhere", 404, "", id="not-found"),
        pytest.param("/only-get", 405, "", id="method-not-allowed"),
        pytest.param("/private", 401, "", id="refused-by-middleware"),
        pytest.param("/echo", 413, "", id="content-length-over-client-max-size"),
    ],
)
async def test_refused_requests_never_get_100_continue(
    server_for: Any, target: str, status: int, extra: str
) -> None:
    server = await server_for(make_app(client_max_size=100))
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            f"POST {target} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            f"Content-Length: 1000\r\n{extra}\r\n".encode()
        )
        raw = await read_response(reader)
    finally:
        writer.close()
    assert raw.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"100 Continue" not in raw


async def test_a_client_that_does_not_wait_for_100_continue_still_works(client_for: Any) -> None:
    client = await client_for(make_app())
    response = await client.post("/echo", content=b"now", headers={"Expect": "100-continue"})
    assert response.status_code == 200 and response.text == "got now"


async def test_http_10_expectations_are_ignored(server_for: Any) -> None:
    server = await server_for(make_app())
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(b"POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
        raw = await read_response(reader)
    finally:
        writer.close()
    assert raw.startswith(b"HTTP/1.1 200 ") and b"100 Continue" not in raw


# -- custom expect handlers


async def check_auth(request: web.Request) -> None:
    """The spec's example: checks, then writes 100 Continue itself."""
    if request.version != web.HttpVersion11:
        return
    if request.headers.get("EXPECT") != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers.get('EXPECT')}")
    if request.headers.get("AUTHORIZATION") is None:
        raise web.HTTPForbidden()
    assert request.transport is not None
    request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")


async def test_spec_handler_writing_100_continue_itself_sends_it_once(server_for: Any) -> None:
    app = web.Application()
    app.router.add_post("/", echo, expect_handler=check_auth)
    server = await server_for(app)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nAuthorization: yes\r\n"
            b"Content-Length: 2\r\n\r\n"
        )
        assert await wait_for_continue(reader) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"ok")
        raw = await read_response(reader)
    finally:
        writer.close()
    assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(b"got ok")
    assert raw.count(b"100 Continue") == 0  # the one 100 was read above; no second one


async def test_custom_handler_can_refuse_or_answer(client_for: Any) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=202, text="answered by the expect handler")

    app = web.Application()
    app.router.add_post("/auth", echo, expect_handler=check_auth)
    app.router.add_post("/answer", echo, expect_handler=answer)
    client = await client_for(app)
    expect_headers = {"Expect": "100-continue"}
    assert (await client.post("/auth", content=b"x", headers=expect_headers)).status_code == 403
    fly = await client.post("/auth", content=b"x", headers={"Expect": "fly"})
    assert fly.status_code == 417 and fly.text == "Unknown Expect: fly"
    answered = await client.post("/answer", content=b"x", headers=expect_headers)
    assert (answered.status_code, answered.text) == (202, "answered by the expect handler")
    plain = await client.post("/answer", content=b"x")  # no Expect: the handler is not called
    assert plain.text == "got x"


async def marker(request: web.Request) -> web.Response:
    return web.Response(text="expect handler ran")


async def handler(request: web.Request) -> web.Response:
    return web.Response(text="handler ran")


class Item(web.View):
    async def post(self) -> web.Response:
        return web.Response(text="handler ran")


def every_registration_form() -> web.Application:
    app = web.Application()
    r = app.router
    r.add_route("POST", "/route", handler, expect_handler=marker)
    r.add_get("/get", handler, expect_handler=marker)
    r.add_post("/post", handler, expect_handler=marker)
    r.add_put("/put", handler, expect_handler=marker)
    r.add_patch("/patch", handler, expect_handler=marker)
    r.add_delete("/delete", handler, expect_handler=marker)
    r.add_view("/view", Item, expect_handler=marker)
    r.add_resource("/resource").add_route("POST", handler, expect_handler=marker)
    r.add_routes(
        [
            web.route("POST", "/def-route", handler, expect_handler=marker),
            web.get("/def-get", handler, expect_handler=marker),
            web.post("/def-post", handler, expect_handler=marker),
            web.put("/def-put", handler, expect_handler=marker),
            web.patch("/def-patch", handler, expect_handler=marker),
            web.delete("/def-delete", handler, expect_handler=marker),
            web.view("/def-view", Item, expect_handler=marker),
        ]
    )
    table = web.RouteTableDef()
    for method in ("get", "post", "put", "patch", "delete"):
        getattr(table, method)(f"/table-{method}", expect_handler=marker)(handler)
    table.route("POST", "/table-route", expect_handler=marker)(handler)
    table.view("/table-view", expect_handler=marker)(Item)
    r.add_routes(table)
    return app


FORMS = [
    ("POST", "/route"), ("GET", "/get"), ("HEAD", "/get"), ("POST", "/post"), ("PUT", "/put"),
    ("PATCH", "/patch"), ("DELETE", "/delete"), ("POST", "/view"), ("POST", "/resource"),
    ("POST", "/def-route"), ("GET", "/def-get"), ("POST", "/def-post"), ("PUT", "/def-put"),
    ("PATCH", "/def-patch"), ("DELETE", "/def-delete"), ("POST", "/def-view"),
    ("GET", "/table-get"), ("POST", "/table-post"), ("PUT", "/table-put"),
    ("PATCH", "/table-patch"), ("DELETE", "/table-delete"), ("POST", "/table-route"),
    ("POST", "/table-view"),
]  # fmt: skip


async def test_expect_handler_works_in_every_registration_form(client_for: Any) -> None:
    client = await client_for(every_registration_form())
    for method, path in FORMS:
        with_expect = await client.request(method, path, headers={"Expect": "100-continue"})
        without = await client.request(method, path)
        if method == "HEAD":
            assert with_expect.status_code == without.status_code == 200
            continue
        assert with_expect.text == "expect handler ran", (method, path)
        assert without.text == "handler ran", (method, path)


async def test_default_handler_on_a_route_answers_417(client_for: Any) -> None:
    app = web.Application()
    app.router.add_post("/", echo, expect_handler=expect.default_expect_handler)
    client = await client_for(app)
    assert (await client.post("/", content=b"a", headers={"Expect": "fly"})).status_code == 417
    ok = await client.post("/", content=b"a", headers={"Expect": "100-continue"})
    assert ok.text == "got a"


async def test_routes_without_a_handler_get_the_plugin_default(client_for: Any) -> None:
    client = await client_for(make_app())
    response = await client.post("/echo", content=b"a", headers={"Expect": "fly"})
    assert response.status_code == 417
    ok = await client.post("/echo", content=b"a", headers={"Expect": "100-continue"})
    assert ok.text == "got a"
