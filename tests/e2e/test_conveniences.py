"""aiohttp conveniences people port with: ``app.add_routes``, ``web.options``, ``web.Handler``."""

from __future__ import annotations

from jackfield import web
from jackfield.testing.testing import ClientFactory


async def test_add_routes_on_the_app_and_an_options_route(client_for: ClientFactory) -> None:
    routes = web.RouteTableDef()

    @routes.get("/")
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="index")

    @routes.options("/decorated")
    async def decorated(request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Allow": "GET"})

    async def preflight(request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Access-Control-Allow-Origin": "*"})

    app = web.Application()
    added = app.add_routes(routes)
    added += app.add_routes([web.options("/", preflight)])
    assert [r.method for r in added] == ["GET", "OPTIONS", "OPTIONS"]
    client = await client_for(app)
    assert (await client.get("/")).text == "index"
    answer = await client.options("/")
    assert (answer.status_code, answer.headers["access-control-allow-origin"]) == (204, "*")
    assert (await client.options("/decorated")).headers["allow"] == "GET"


async def test_handler_type_is_the_middleware_handler(client_for: ClientFactory) -> None:
    seen: list[web.Handler] = []

    @web.middleware
    async def record(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        seen.append(handler)
        return await handler(request)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[record])
    app.add_routes([web.get("/", index)])
    client = await client_for(app)
    assert (await client.get("/")).text == "ok"
    assert len(seen) == 1 and callable(seen[0])
