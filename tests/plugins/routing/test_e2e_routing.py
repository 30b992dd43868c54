"""Routing through a real server on loopback: status codes, headers, middlewares."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.routing import View, normalize_path_middleware


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=f"hello {request.match_info.get('name', 'world')}")


def sync_handler(request: web.Request) -> web.Response:
    return web.Response(text="sync")


class ItemView(View):
    async def get(self) -> web.Response:
        return web.Response(text="view get")

    async def post(self) -> web.Response:
        return web.Response(text="view post")


def make_app(**kwargs: Any) -> web.Application:
    app = web.Application(**kwargs)
    app.router.add_get("/", hello)  # type: ignore[attr-defined]
    app.router.add_get("/hello/{name}", hello)  # type: ignore[attr-defined]
    app.router.add_post("/sync", sync_handler)  # type: ignore[attr-defined]
    app.router.add_view("/view", ItemView)  # type: ignore[attr-defined]
    app.router.add_get("/files/{name}", hello)  # type: ignore[attr-defined]
    return app


async def raw_status(host: str, port: int, target: str) -> int:
    """Send ``GET target`` byte for byte (no client-side normalization); return the status."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_e2e_routes_methods_and_variables(client_for: Any) -> None:
    client = await client_for(make_app())
    assert await client.get_text("/hello/J%C3%B6rg") == "hello Jörg"
    assert (await client.post("/sync")).text == "sync"
    head = await client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert (await client.post("/view")).text == "view post"


async def test_e2e_405_has_allow_and_404_is_plain(client_for: Any) -> None:
    client = await client_for(make_app())
    response = await client.put("/sync")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    view = await client.delete("/view")
    assert view.status_code == 405 and view.headers["Allow"] == "GET, HEAD, POST"
    assert (await client.get("/missing")).status_code == 404


async def test_e2e_middlewares_see_404(client_for: Any) -> None:
    seen: list[int] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            seen.append(exc.status)
            raise

    client = await client_for(make_app(middlewares=[record]))
    assert (await client.get("/missing")).status_code == 404
    assert seen == [404]


async def test_e2e_subapp_middlewares_see_its_404(client_for: Any) -> None:
    seen: list[str] = []

    def recorder(label: str) -> Any:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            seen.append(label)
            return await handler(request)

        return record

    app = make_app(middlewares=[recorder("app")])
    admin = web.Application(middlewares=[recorder("admin")])
    admin.router.add_get("/panel", hello, name="panel")  # type: ignore[attr-defined]
    app.add_subapp("/admin/", admin)
    client = await client_for(app)
    assert await client.get_text("/admin/panel") == "hello world"
    assert seen == ["app", "admin"]
    seen.clear()
    assert (await client.get("/admin/nothing")).status_code == 404
    assert seen == ["app", "admin"]
    assert str(admin.router["panel"].url_for()) == "/admin/panel"  # type: ignore[index]


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/files/%zz", 400),
        ("/files/%ff", 400),
        ("/files/%00", 400),
        ("/files/../hello/x", 404),
        ("/files/%2e%2e/hello/x", 404),
        ("/files//x", 404),
    ],
    ids=["invalid-escape", "non-utf8", "nul", "dot-dot", "escaped-dot-dot", "double-slash"],
)
async def test_e2e_bad_paths_get_4xx(server_for: Any, target: str, status: int) -> None:
    server = await server_for(make_app())
    assert await raw_status(server.host, server.port, target) == status


async def test_e2e_normalize_path_redirects(client_for: Any) -> None:
    app = web.Application(middlewares=[normalize_path_middleware()])
    app.router.add_get("/dir/", hello)  # type: ignore[attr-defined]
    client = await client_for(app)
    response = await client.get("/dir?x=1", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["Location"] == "/dir/?x=1"
