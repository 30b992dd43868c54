"""Custom resources: a resource that routes on the Host header, in registration order."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from yarl import URL

from jackfield import web
from jackfield.plugins.routing import (
    AbstractResource,
    AbstractRoute,
    ResourceRoute,
    UrlDispatcher,
    UrlMappingMatchInfo,
)

from .conftest import FakeRequest, ok, other


class HostResource(AbstractResource):
    """Answers every path and method of requests for one host."""

    def __init__(self, host: str, handler: Callable[..., Any], *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._host = host
        self._route = ResourceRoute("*", handler, self)

    @property
    def canonical(self) -> str:
        return f"//{self._host}/"

    def url_for(self, *args: str, **kwargs: Any) -> URL:
        return URL.build(scheme="http", host=self._host, path="/")

    async def resolve(self, request: Any) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        if request.headers.get("Host", "").partition(":")[0] != self._host:
            return None, set()
        return UrlMappingMatchInfo({"host": self._host}, self._route), set()

    def add_prefix(self, prefix: str) -> None:
        raise RuntimeError("a host resource cannot live under a prefix")

    def get_info(self) -> dict[str, Any]:
        return {"host": self._host}

    def raw_match(self, path: str) -> bool:
        return False

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter([self._route])


async def resolve(router: UrlDispatcher, path: str, host: str) -> Any:
    return await router.resolve(FakeRequest("GET", path, {"Host": host}))  # type: ignore[arg-type]


@pytest.fixture
def layered(router: UrlDispatcher) -> UrlDispatcher:
    router.add_get("/before", ok)
    router.add_get("/d/{before}", ok)
    router.register_resource(HostResource("api.example", other, name="api"))
    router.add_get("/after", ok)
    router.add_get("/d/{after}/x", ok)
    return router


@pytest.mark.parametrize(
    ("path", "host", "expected"),
    [
        ("/before", "api.example", ok),
        ("/d/1", "api.example", ok),
        ("/after", "api.example", other),
        ("/d/1/x", "api.example", other),
        ("/anything/else", "api.example:8080", other),
        ("/after", "www.example", ok),
        ("/d/1/x", "www.example", ok),
    ],
    ids=[
        "fixed-route-registered-before-wins",
        "variable-route-registered-before-wins",
        "custom-beats-fixed-route-after-it",
        "custom-beats-variable-route-after-it",
        "custom-matches-any-path",
        "other-host-falls-through-to-fixed",
        "other-host-falls-through-to-variable",
    ],
)
async def test_custom_resource_is_asked_in_registration_order(
    layered: UrlDispatcher, path: str, host: str, expected: object
) -> None:
    info = await resolve(layered, path, host)
    assert info.handler is expected


async def test_custom_resource_match_info_gets_the_app() -> None:
    app = web.Application(plugins=["routing"])
    app.router.register_resource(HostResource("h", ok))  # type: ignore[attr-defined]
    info = await resolve(app.router, "/", "h")  # type: ignore[arg-type]
    assert dict(info) == {"host": "h"} and info.apps == (app,)


async def test_other_host_gets_404(layered: UrlDispatcher) -> None:
    assert (await resolve(layered, "/nope", "www.example")).http_exception.status == 404


def test_named_custom_resource(layered: UrlDispatcher) -> None:
    assert str(layered["api"].url_for()) == "http://api.example/"
    assert any(r.method == "*" for r in layered.routes())


def test_register_resource_needs_a_resolve(router: UrlDispatcher) -> None:
    with pytest.raises(TypeError, match="resolve"):
        router.register_resource(object())  # type: ignore[arg-type]


def test_shadowing_across_a_custom_resource_is_still_reported(router: UrlDispatcher) -> None:
    router.register_resource(HostResource("h", ok))
    router.add_get("/x", ok)
    router.add_get("/y", ok)
    router.add_get("/x", other)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        router.freeze()
    assert len(caught) == 1  # whatever the custom resource takes, the second /x never runs
