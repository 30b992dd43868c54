"""Fixtures for kernel tests: a tiny router plugin and a real loopback server.

Kernel tests must not depend on the routing plugin, so they compose apps with
``TinyRouterPlugin``: exact (method, path) lookup, 404 and 405 otherwise.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from jackfield import hookimpl
from jackfield.app.abc import AbstractMatchInfo, AbstractRouter
from jackfield.app.app import Application
from jackfield.responses.exceptions import HTTPMethodNotAllowed, HTTPNotFound
from jackfield.server.server import Server

Handler = Callable[[Any], Awaitable[Any]]


class TinyMatch(AbstractMatchInfo):
    def __init__(self, handler: Handler, apps: tuple[Application, ...], exc: Exception | None):
        super().__init__()
        self._handler = handler
        self._apps = apps
        self._exc = exc

    @property
    def handler(self) -> Handler:
        return self._handler

    @property
    def expect_handler(self) -> Any:
        async def default(request: Any) -> None:
            return None

        return default

    @property
    def http_exception(self) -> Exception | None:
        return self._exc

    @property
    def apps(self) -> tuple[Application, ...]:
        return self._apps

    def add_app(self, app: Application) -> None:
        self._apps = (app, *self._apps)

    def freeze(self) -> None:
        pass


class TinyRouter(AbstractRouter):
    def __init__(self, app: Application) -> None:
        self._app = app
        self.table: dict[tuple[str, str], Handler] = {}

    def add(self, method: str, path: str, handler: Callable[[Any], Any]) -> None:
        if asyncio.iscoroutinefunction(handler):
            self.table[(method, path)] = handler
        else:

            async def wrapped(request: Any) -> Any:
                return handler(request)

            self.table[(method, path)] = wrapped

    async def resolve(self, request: Any) -> AbstractMatchInfo:
        handler = self.table.get((request.method, request.raw_path))
        if handler is not None:
            return TinyMatch(handler, (self._app,), None)
        allowed = {m for (m, p) in self.table if p == request.raw_path}
        exc: Exception = (
            HTTPMethodNotAllowed(request.method, allowed) if allowed else HTTPNotFound()
        )

        async def raiser(request: Any) -> Any:
            raise exc

        return TinyMatch(raiser, (self._app,), exc)

    def add_subapp(self, prefix: str, subapp: Application) -> Any:
        raise NotImplementedError("the tiny test router has no sub-applications")

    def freeze(self) -> None:
        pass


class TinyRouterPlugin:
    @hookimpl
    def jackfield_make_router(self, app: Application) -> TinyRouter:
        return TinyRouter(app)


def make_tiny_app(**kwargs: Any) -> Application:
    return Application(plugins=[TinyRouterPlugin()], **kwargs)


@pytest.fixture
def tiny_app() -> Application:
    return make_tiny_app()


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[int]]]:
    """``port = await serve(app, **server_options)``: a real server on 127.0.0.1."""
    started: list[tuple[asyncio.AbstractServer, Server, Application]] = []

    async def start(app: Application, **options: Any) -> int:
        await app.startup()
        app.freeze()
        server = Server(app, **options)
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(server, "127.0.0.1", 0)
        started.append((srv, server, app))
        return int(srv.sockets[0].getsockname()[1])

    yield start
    for srv, server, app in started:
        srv.close()
        await server.shutdown(1.0)
        await app.shutdown()
        await app.cleanup()


async def exchange(port: int, data: bytes, *, timeout: float = 5.0) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def statuses(raw: bytes) -> list[int]:
    """Status codes of the responses in ``raw`` (final responses and 1xx)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]
