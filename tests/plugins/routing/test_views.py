"""Class-based views."""

from __future__ import annotations

import pytest

from jackfield import web
from jackfield.plugins.routing import UrlDispatcher, View

from .conftest import FakeRequest, Resolve


class ItemView(View):
    async def get(self) -> web.Response:
        return web.Response(text=f"get {self.request.method}")

    def post(self) -> web.Response:  # a plain method works too
        return web.Response(text="post")


async def test_view_dispatches_on_the_method() -> None:
    assert (await ItemView(FakeRequest("GET", "/"))).text == "get GET"  # type: ignore[arg-type]
    assert (await ItemView(FakeRequest("POST", "/"))).text == "post"  # type: ignore[arg-type]


async def test_head_falls_back_to_get() -> None:
    assert (await ItemView(FakeRequest("HEAD", "/"))).text == "get HEAD"  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "__INIT__", "REQUEST"])
async def test_undefined_verb_is_405_listing_defined_ones(method: str) -> None:
    with pytest.raises(web.HTTPMethodNotAllowed) as info:
        await ItemView(FakeRequest(method, "/"))  # type: ignore[arg-type]
    assert info.value.headers["Allow"] == "GET, HEAD, POST"


async def test_view_registered_with_add_view(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_view("/item", ItemView, name="item")
    info = await resolve("POST", "/item")
    assert info.handler is ItemView
    response = await info.handler(FakeRequest("POST", "/item"))
    assert response.text == "post"
    assert str(router["item"].url_for()) == "/item"


async def test_view_registered_for_one_method(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_route("*", "/path/to", ItemView)
    assert (await resolve("DELETE", "/path/to")).handler is ItemView  # 405 comes from the view
