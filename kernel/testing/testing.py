"""Testing jackfield applications: a real server on loopback and a client for it.

``TestServer`` runs an application with ``AppRunner`` and a ``TCPSite`` on
``127.0.0.1``, port 0 (a free port); ``TestClient`` wraps an
``httpx.AsyncClient`` pointed at it. Both are async context managers, usable
from any test runner.

This module is also a pytest plugin (entry point ``pytest11``), loaded in every
pytest session where jackfield is installed. Its fixtures, built on
pytest-asyncio so they work in ``auto`` and ``strict`` mode:

* ``client_for``: ``client = await client_for(app)`` -> a started ``TestClient``;
* ``server_for``: ``server = await server_for(app)`` -> a started ``TestServer``.

Everything they start is closed when the test ends. Because the plugin is
loaded by any pytest run, importing it stays cheap and never fails: the
framework, httpx and pytest-asyncio are imported only when a fixture is used
(without pytest-asyncio, the fixtures say to install ``jackfield[testing]``).

``make_mocked_request`` (from ``jackfield.testing._mocked``) builds a request with no
socket at all, for unit tests of handlers and middlewares.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from ..app.app import Application
    from ..runner.runner import AppRunner
    from ._mocked import make_mocked_request
    from ._websocket import TestWebSocket

__all__ = ["TestClient", "TestServer", "client_for", "make_mocked_request", "server_for"]

_HINT = "install the testing extra: pip install 'jackfield[testing]'"


def __getattr__(name: str) -> Any:
    # Lazy, so that loading the plugin does not import the whole framework.
    if name == "make_mocked_request":
        from ._mocked import make_mocked_request

        return make_mocked_request
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TestServer:
    """A started application on a loopback port; ``make_url(path)`` gives URLs into it.

    Keyword arguments go to ``AppRunner`` (``access_log``, ``keepalive_timeout``,
    ``handler_cancellation`` ...). ``shutdown_timeout`` defaults to 5 seconds
    so a stuck handler cannot stall a test run for a minute.
    """

    __test__ = False  # not a test class, despite the name

    def __init__(
        self,
        app: Application,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        shutdown_timeout: float = 5.0,
        **runner_kwargs: Any,
    ) -> None:
        self.app = app
        self.host = host
        self._port = port
        self._runner_kwargs = {"shutdown_timeout": shutdown_timeout, **runner_kwargs}
        self._runner: AppRunner | None = None

    @property
    def runner(self) -> AppRunner:
        """The ``AppRunner`` serving the app (only while started)."""
        if self._runner is None:
            raise RuntimeError(f"{self!r} is not started; await server.start() first")
        return self._runner

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self._port

    @property
    def started(self) -> bool:
        """True between ``start()`` and ``close()``."""
        return self._runner is not None

    def make_url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server (``http://127.0.0.1:PORT/path``)."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    async def start(self) -> None:
        """Set the app up and start listening."""
        if self._runner is not None:
            raise RuntimeError(f"{self!r} is already started")
        # Imported on first use, not a cycle: this pytest plugin loads in every
        # pytest run, so loading it must not import the framework.
        from ..runner.runner import AppRunner, TCPSite

        runner = AppRunner(self.app, **self._runner_kwargs)
        await runner.setup()
        try:
            site = TCPSite(runner, self.host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = site.port

    async def close(self) -> None:
        """Shut the server down gracefully (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> TestServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<TestServer {self.make_url('/')} started={self.started}>"


class TestClient:
    """An httpx client bound to a ``TestServer``; paths are relative to the server.

    Pass an ``Application`` (a ``TestServer`` is made for it, with
    ``server_kwargs``) or a ``TestServer``. The client starts the server if it
    is not running yet, and then shuts it down when it closes; a server that
    was already running is left to whoever started it. ``client_kwargs``
    go to ``httpx.AsyncClient`` (``headers``, ``timeout``, ``follow_redirects`` ...).
    Cookies persist across requests in ``cookies``.
    """

    __test__ = False  # not a test class, despite the name

    def __init__(
        self,
        app_or_server: Application | TestServer,
        *,
        client_kwargs: dict[str, Any] | None = None,
        **server_kwargs: Any,
    ) -> None:
        if isinstance(app_or_server, TestServer):
            if server_kwargs:
                raise TypeError(
                    f"server options {sorted(server_kwargs)} only apply when TestClient "
                    "is given an Application; pass them to TestServer instead"
                )
            self.server = app_or_server
        else:
            self.server = TestServer(app_or_server, **server_kwargs)
        self._client_kwargs = client_kwargs or {}
        self._client: httpx.AsyncClient | None = None
        self._owns_server = False
        self._websockets: list[TestWebSocket] = []

    # -- life cycle
    async def start(self) -> None:
        """Start the server (if needed) and open the HTTP client."""
        if self._client is not None:
            raise RuntimeError(f"{self!r} is already started")
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(f"TestClient needs httpx: {_HINT}") from exc
        if not self.server.started:
            await self.server.start()
            self._owns_server = True
        self._client = httpx.AsyncClient(base_url=self.server.make_url("/"), **self._client_kwargs)

    async def close(self) -> None:
        """Close the client and its WebSockets, then the server if it started it (idempotent)."""
        client, self._client = self._client, None
        websockets, self._websockets = self._websockets, []
        try:
            for ws in websockets:
                await ws.close()
            if client is not None:
                await client.aclose()
        finally:
            if self._owns_server:
                self._owns_server = False
                await self.server.close()

    async def __aenter__(self) -> TestClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- what tests use
    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying ``httpx.AsyncClient``."""
        if self._client is None:
            raise RuntimeError(f"{self!r} is not started; await client.start() first")
        return self._client

    @property
    def app(self) -> Application:
        """The application under test."""
        return self.server.app

    @property
    def runner(self) -> AppRunner:
        """The ``AppRunner`` serving the application."""
        return self.server.runner

    @property
    def host(self) -> str:
        """The server's host (``127.0.0.1``)."""
        return self.server.host

    @property
    def port(self) -> int:
        """The server's port."""
        return self.server.port

    @property
    def cookies(self) -> httpx.Cookies:
        """The client's cookie jar (kept across requests)."""
        return self.http.cookies

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on the server."""
        return self.server.make_url(path)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send ``method`` to ``path``; keywords are httpx's (``json``, ``headers`` ...)."""
        return await self.http.request(method, path, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send GET ``path``."""
        return await self.http.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send POST ``path``."""
        return await self.http.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send PUT ``path``."""
        return await self.http.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send PATCH ``path``."""
        return await self.http.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send DELETE ``path``."""
        return await self.http.request("DELETE", path, **kwargs)

    async def head(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send HEAD ``path``."""
        return await self.http.request("HEAD", path, **kwargs)

    async def options(self, path: str, **kwargs: Any) -> httpx.Response:
        """Send OPTIONS ``path``."""
        return await self.http.request("OPTIONS", path, **kwargs)

    async def ws_connect(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        protocols: Sequence[str] = (),
        **kwargs: Any,
    ) -> TestWebSocket:
        """Open a WebSocket to ``path``; closed with the client if not before.

        The client's cookies go along in a ``Cookie`` header (a session set by
        an HTTP request reaches the WebSocket handler). ``protocols`` are the
        subprotocols offered; ``compress=True`` offers permessage-deflate;
        other keywords go to ``websockets``' ``connect``. Needs the
        ``websockets`` library (in the testing extra).
        """
        from ._websocket import ws_connect

        sent = dict(headers or {})
        jar = "; ".join(f"{c.name}={c.value}" for c in self.cookies.jar)
        if jar and not any(name.lower() == "cookie" for name in sent):
            sent["Cookie"] = jar
        url = "ws" + self.server.make_url(path).removeprefix("http")
        ws = await ws_connect(url, headers=sent, protocols=protocols, **kwargs)
        self._websockets.append(ws)
        return ws

    async def get_json(self, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        """GET ``path`` and return the decoded JSON body; fail unless the status is ``status``."""
        response = await self.get(path, **kwargs)
        _expect_status(response, status)
        return response.json()

    async def get_text(self, path: str, *, status: int = 200, **kwargs: Any) -> str:
        """GET ``path`` and return the body as text; fail unless the status is ``status``."""
        response = await self.get(path, **kwargs)
        _expect_status(response, status)
        return response.text

    def __repr__(self) -> str:
        return f"<TestClient for {self.server!r}>"


def _expect_status(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        body = response.text
        excerpt = body[:500] + ("..." if len(body) > 500 else "")
        raise AssertionError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}, expected {status}; body: {excerpt!r}"
        )


# -- pytest fixtures ---------------------------------------------------------

ClientFactory = Callable[..., Awaitable[TestClient]]
ServerFactory = Callable[..., Awaitable[TestServer]]


async def _client_for() -> AsyncIterator[ClientFactory]:
    """``client = await client_for(app, **server_kwargs)``: a ``TestClient`` on a live server.

    Every client made is closed, and its server shut down, when the test ends.
    """
    clients: list[TestClient] = []

    async def make(app: Application, **server_kwargs: Any) -> TestClient:
        client = TestClient(app, **server_kwargs)
        clients.append(client)  # before start(): a half-started client still gets closed
        await client.start()
        return client

    try:
        yield make
    finally:
        await _close_all(clients)


async def _server_for() -> AsyncIterator[ServerFactory]:
    """``server = await server_for(app, **runner_kwargs)``: a started ``TestServer``.

    For tests that talk raw sockets to ``server.host``/``server.port``; every
    server made is shut down when the test ends.
    """
    servers: list[TestServer] = []

    async def make(app: Application, **runner_kwargs: Any) -> TestServer:
        server = TestServer(app, **runner_kwargs)
        servers.append(server)
        await server.start()
        return server

    try:
        yield make
    finally:
        await _close_all(servers)


async def _close_all(items: Sequence[TestClient | TestServer]) -> None:
    # Close them all even if one fails, newest first; report the first failure.
    error: BaseException | None = None
    for item in reversed(items):
        try:
            await item.close()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - depends on the environment

    @pytest.fixture(name="client_for")
    def _missing_client_for() -> Any:
        pytest.fail(f"the client_for fixture needs pytest-asyncio and httpx: {_HINT}")

    @pytest.fixture(name="server_for")
    def _missing_server_for() -> Any:
        pytest.fail(f"the server_for fixture needs pytest-asyncio: {_HINT}")

    client_for: Any = _missing_client_for
    server_for: Any = _missing_server_for
else:
    client_for = pytest_asyncio.fixture(_client_for, name="client_for")
    server_for = pytest_asyncio.fixture(_server_for, name="server_for")
