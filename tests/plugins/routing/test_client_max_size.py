"""client_max_size per route, per sub-application and per application: innermost wins."""

from __future__ import annotations

from typing import Any

import pytest

from jackfield import web


async def echo_size(request: web.Request) -> web.Response:
    return web.Response(text=str(len(await request.read())))


async def test_route_then_subapp_then_app(client_for: Any) -> None:
    app = web.Application(client_max_size=100)
    app.router.add_post("/app", echo_size)
    app.router.add_post("/route", echo_size, client_max_size=10)
    sub = web.Application(client_max_size=50)
    sub.router.add_post("/sub", echo_size)
    sub.router.add_post("/route", echo_size, client_max_size=200)
    inherit = web.Application(client_max_size=None)
    inherit.router.add_post("/x", echo_size)
    app.add_subapp("/s", sub)
    app.add_subapp("/i", inherit)
    client = await client_for(app)

    async def status(path: str, size: int) -> int:
        return (await client.post(path, content=b"x" * size)).status_code

    assert [await status("/app", 100), await status("/app", 101)] == [200, 413]
    assert [await status("/route", 10), await status("/route", 11)] == [200, 413]
    assert [await status("/s/sub", 50), await status("/s/sub", 51)] == [200, 413]
    assert [await status("/s/route", 200), await status("/s/route", 201)] == [200, 413]
    assert [await status("/i/x", 100), await status("/i/x", 101)] == [200, 413]


@pytest.mark.parametrize("bad", [-1, "10", 1.5], ids=["negative", "str", "float"])
def test_bad_route_limit_fails_at_registration(bad: Any) -> None:
    app = web.Application()
    with pytest.raises(ValueError, match="client_max_size"):
        app.router.add_post("/", echo_size, client_max_size=bad)
