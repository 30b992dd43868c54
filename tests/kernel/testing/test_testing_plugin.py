"""The pytest plugin: its fixtures in a separate pytest run (auto and strict mode),
and TestServer / TestClient used directly."""

from __future__ import annotations

import textwrap
from typing import Any

import httpx
import pytest

from jackfield.app.app import Application
from jackfield.requests.request import Request
from jackfield.responses.response import Response, json_response
from jackfield.testing.testing import TestClient, TestServer

pytest_plugins = ["pytester"]

# A test module as a user would write it. The kernel must not depend on the
# routing plugin, so it brings a tiny exact-match router of its own.
USER_TESTS = textwrap.dedent(
    """
    import asyncio
    import socket

    import pytest

    from jackfield import hookimpl
    from jackfield.app.app import Application
    from jackfield.responses.response import Response, json_response

    class Match:
        def __init__(self, handler, app):
            self.handler, self.apps = handler, (app,)
            self.http_exception = None

        async def expect_handler(self, request):
            return None

        def freeze(self):
            pass

    class Router:
        def __init__(self, app):
            self.app, self.routes = app, {}

        async def resolve(self, request):
            handler = self.routes.get((request.method, request.raw_path))
            if handler is None:
                async def handler(request):
                    return Response(status=404, text="not here")
            return Match(handler, self.app)

        def freeze(self):
            pass

    class RouterPlugin:
        @hookimpl
        def jackfield_make_router(self, app):
            return Router(app)

    def make_app():
        app = Application(plugins=[RouterPlugin()])
        async def hello(request):
            return Response(text="Hello, world")
        async def data(request):
            return json_response({"n": 1})
        async def login(request):
            response = Response(text="in")
            response.set_cookie("session", "abc")
            return response
        async def whoami(request):
            return Response(text=request.cookies.get("session", "nobody"))
        app.router.routes.update({
            ("GET", "/"): hello, ("GET", "/data"): data,
            ("POST", "/login"): login, ("GET", "/me"): whoami,
        })
        return app

    MARK

    async def test_client_for(client_for):
        client = await client_for(make_app())
        r = await client.get("/")
        assert r.status_code == 200 and r.text == "Hello, world"
        assert await client.get_json("/data") == {"n": 1}
        assert await client.get_text("/") == "Hello, world"
        assert client.url("/x") == f"http://127.0.0.1:{client.port}/x"
        assert (await client.get("/nowhere")).status_code == 404

    MARK

    async def test_cookies_persist(client_for):
        client = await client_for(make_app())
        assert (await client.get_text("/me")) == "nobody"
        await client.post("/login")
        assert client.cookies["session"] == "abc"
        assert (await client.get_text("/me")) == "abc"

    MARK

    async def test_server_for_with_raw_sockets(server_for):
        server = await server_for(make_app())
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
        raw = await reader.read()
        writer.close()
        assert raw.startswith(b"HTTP/1.1 200 OK") and raw.endswith(b"Hello, world")
        assert server.make_url("/") == f"http://127.0.0.1:{server.port}/"

    MARK

    async def test_two_clients_and_teardown_order(client_for):
        first = await client_for(make_app())
        second = await client_for(make_app(), access_log=None)
        assert first.port != second.port
        pytest.ports = (first.port, second.port)

    def test_servers_were_shut_down():
        for port in pytest.ports:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5)
    """
)


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_fixtures_in_a_user_test_run(pytester: pytest.Pytester, mode: str) -> None:
    mark = "@pytest.mark.asyncio" if mode == "strict" else ""
    pytester.makepyfile(test_user=USER_TESTS.replace("MARK", mark))
    pytester.makeini(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error::pytest.PytestUnraisableExceptionWarning"
    )
    result.assert_outcomes(passed=5)


def test_the_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_empty="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*client_for*", "*server_for*"])


async def hello(request: Request) -> Response:
    return Response(text="Hello, world")


async def test_test_client_as_a_context_manager(tiny_app: Application) -> None:
    tiny_app.router.add("GET", "/", hello)  # type: ignore[attr-defined]
    async with TestClient(tiny_app) as client:
        assert client.server.started and client.app is tiny_app
        assert client.runner.server is not None
        assert await client.get_text("/") == "Hello, world"
        with pytest.raises(AssertionError, match=r"answered 404, expected 200"):
            await client.get_json("/missing")
        port = client.port
    assert not client.server.started
    with pytest.raises(httpx.ConnectError):
        await httpx.AsyncClient().get(f"http://127.0.0.1:{port}/")


async def test_test_server_passes_options_to_the_runner(tiny_app: Application) -> None:
    async def data(request: Request) -> Response:
        return json_response({"ok": True})

    tiny_app.router.add("GET", "/data", data)  # type: ignore[attr-defined]
    async with TestServer(tiny_app, keepalive_timeout=2.0) as server:
        assert server.runner.server is not None
        assert server.runner.server.keepalive_timeout == 2.0
        async with TestClient(server) as client:
            assert await client.get_json("/data") == {"ok": True}
        assert server.started  # the client did not start it, so it leaves it running
    assert not server.started


def test_misuse_is_explained(tiny_app: Application) -> None:
    server = TestServer(tiny_app)
    with pytest.raises(RuntimeError, match="not started"):
        server.runner  # noqa: B018
    with pytest.raises(ValueError, match="must start with '/'"):
        server.make_url("x")
    with pytest.raises(TypeError, match="only apply when TestClient is given an Application"):
        TestClient(server, access_log=None)
    with pytest.raises(RuntimeError, match="not started"):
        TestClient(tiny_app).http  # noqa: B018


def test_classes_are_not_collected_as_tests() -> None:
    assert TestClient.__test__ is False and TestServer.__test__ is False
    _: Any = None
