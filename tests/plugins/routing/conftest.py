"""Fixtures for the routing plugin's unit tests: a router and a minimal request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from jackfield import web
from jackfield.plugins.routing import UrlDispatcher


class FakeRequest:
    """Only what the router reads: method, raw path, headers, query (and ``clone``)."""

    def __init__(self, method: str, target: str, headers: dict[str, str] | None = None) -> None:
        self.method = method
        self.raw_path, _, self.query_string = target.partition("?")
        self.headers = CIMultiDictProxy(CIMultiDict(headers or {}))
        self.rel_url = URL.build(path=self.raw_path, query_string=self.query_string, encoded=True)
        self.query = self.rel_url.query
        self.match_info: Any = None

    def clone(self, *, rel_url: URL) -> FakeRequest:
        return FakeRequest(self.method, str(rel_url), dict(self.headers))


Resolve = Callable[..., Awaitable[Any]]


@pytest.fixture
def router() -> UrlDispatcher:
    """A router bound to no application."""
    return UrlDispatcher()


@pytest.fixture
def app() -> web.Application:
    """An application with only the routing plugin."""
    return web.Application(plugins=["routing"])


@pytest.fixture
def resolve(router: UrlDispatcher) -> Resolve:
    """``await resolve("GET", "/path")`` -> the router's match info."""

    async def run(method: str, target: str, **headers: str) -> Any:
        return await router.resolve(FakeRequest(method, target, headers))  # type: ignore[arg-type]

    return run


async def ok(request: Any) -> web.Response:
    """A handler."""
    return web.Response(text="ok")


async def other(request: Any) -> web.Response:
    """Another handler."""
    return web.Response(text="other")
