"""Route tables and route decorators."""

from __future__ import annotations

import attrs
import pytest

from jackfield import web
from jackfield.plugins import routing
from jackfield.plugins.routing import RouteDef, RouteTableDef, UrlDispatcher, View

from .conftest import Resolve, ok, other


async def test_route_table(router: UrlDispatcher, resolve: Resolve) -> None:
    routes = router.add_routes(
        [
            routing.get("/get", ok, name="g"),
            routing.post("/post", other),
            routing.put("/put", ok),
            routing.patch("/patch", ok),
            routing.delete("/delete", ok),
            routing.head("/head", ok),
            routing.route("options", "/opt", ok),
        ]
    )
    assert [r.method for r in routes] == [
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
    ]
    assert (await resolve("HEAD", "/get")).handler is ok  # web.get answers HEAD as add_get does
    assert (await resolve("POST", "/post")).handler is other
    assert (await resolve("OPTIONS", "/opt")).handler is ok
    assert router["g"].url_for().path == "/get"


async def test_get_allow_head_false_passes_through(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_routes([routing.get("/", ok, allow_head=False)])
    assert (await resolve("HEAD", "/")).http_exception.status == 405


def test_route_def_is_frozen_and_readable() -> None:
    definition = routing.get("/x", ok, name="x")
    assert definition == RouteDef("GET", "/x", ok, {"name": "x"})
    assert "GET /x -> ok" in repr(definition) and "name='x'" in repr(definition)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        definition.path = "/y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        definition.kwargs["name"] = "y"  # type: ignore[index]


async def test_route_table_def_decorators(router: UrlDispatcher, resolve: Resolve) -> None:
    routes = RouteTableDef()

    @routes.get("/get", name="g")
    async def handle_get(request: object) -> web.Response:
        return web.Response()

    @routes.post("/post")
    async def handle_post(request: object) -> web.Response:
        return web.Response()

    @routes.route("patch", "/r")
    async def handle_route(request: object) -> web.Response:
        return web.Response()

    @routes.view("/view")
    class MyView(View):
        async def get(self) -> web.Response:
            return web.Response()

    for method in ("put", "delete", "head"):
        getattr(routes, method)(f"/{method}")(ok)

    assert len(routes) == 7 and routes[0].handler is handle_get and routes[0] in routes
    assert [d.method for d in routes[1:3]] == ["POST", "PATCH"]
    router.add_routes(routes)
    assert (await resolve("GET", "/get")).handler is handle_get
    assert (await resolve("PATCH", "/r")).handler is handle_route
    assert (await resolve("GET", "/view")).handler is MyView
    assert (await resolve("DELETE", "/delete")).handler is ok
    assert "count=7" in repr(routes)


def test_view_route_def_answers_every_method() -> None:
    class V(View):
        pass

    assert routing.view("/v", V).method == "*"
