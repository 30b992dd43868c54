"""What users rely on in ``Request`` and ``Application``, for compiling them later.

Compiling these classes with mypyc (issue 17) was tried and not landed: a
native class checks attribute and argument types at run time and drops
class-level aliases, so mocked connections, duck-typed match infos,
``request.GET`` and hashing broke. These tests hold the behaviour such a
change must keep, on both builds: subclasses written in Python with
their own overrides and methods, attributes set from outside the
class, hashing by identity, weak references, ``request.GET`` and ``clone``.
"""

from __future__ import annotations

import weakref
from typing import Any

import httpx
import pytest
from multidict import MultiDict, MultiDictProxy

from jackfield.app.app import Application
from jackfield.requests.request import Request
from jackfield.responses.response import Response, json_response
from jackfield.testing import make_mocked_request

from .conftest import TinyRouterPlugin


class GreetingApp(Application):
    """An application subclass with state and a method of its own."""

    kind = "greeting"

    def __init__(self, greeting: str) -> None:
        super().__init__(plugins=[TinyRouterPlugin()])
        self.greeting = greeting

    def greet(self, name: str) -> str:
        return f"{self.greeting}, {name}"


class FixedQueryRequest(Request):
    """A request subclass overriding a property and adding a method."""

    @property
    def query(self) -> MultiDictProxy[str]:
        return MultiDictProxy(MultiDict(source="override"))

    def shout(self) -> str:
        return self.method.upper() + "!"


async def test_an_application_subclass_serves_and_keeps_its_own_state(serve: Any) -> None:
    app = GreetingApp("Hello")

    async def hello(request: Request) -> Response:
        owner = request.app
        assert isinstance(owner, GreetingApp)
        return Response(text=f"{owner.greet('world')} ({owner.kind})")

    app.router.add("GET", "/", hello)
    port = await serve(app)
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"http://127.0.0.1:{port}/")
    assert reply.status_code == 200
    assert reply.text == "Hello, world (greeting)"


async def test_a_request_takes_attributes_keys_and_weak_references(serve: Any) -> None:
    app = GreetingApp("Hi")
    seen: dict[Request, str] = {}

    async def handler(request: Request) -> Response:
        request.user = "ada"  # type: ignore[attr-defined]  # what middlewares do
        request["trace"] = "t-1"
        seen[request] = request.user  # type: ignore[attr-defined]
        ref = weakref.ref(request)
        return json_response(
            {
                "user": request.user,  # type: ignore[attr-defined]
                "trace": request["trace"],
                "same": ref() is request,
                "get": dict(request.GET),
                "query": dict(request.query),
            }
        )

    app.router.add("GET", "/who", handler)
    port = await serve(app)
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"http://127.0.0.1:{port}/who?a=1&b=2")
    assert reply.status_code == 200
    assert reply.json() == {
        "user": "ada",
        "trace": "t-1",
        "same": True,
        "get": {"a": "1", "b": "2"},
        "query": {"a": "1", "b": "2"},
    }
    assert list(seen.values()) == ["ada"]


def test_requests_and_applications_hash_and_compare_by_identity() -> None:
    one = make_mocked_request("GET", "/")
    two = make_mocked_request("GET", "/")
    assert one != two and one == one
    assert len({one, two, one}) == 2
    apps = {GreetingApp("a"), GreetingApp("a")}
    assert len(apps) == 2


def test_a_request_subclass_overrides_a_property() -> None:
    base = make_mocked_request("GET", "/path?real=1")
    request = FixedQueryRequest(base._head, base._payload, base._protocol, base._root_app)
    assert dict(request.query) == {"source": "override"}
    assert request.shout() == "GET!"
    assert request.raw_path == "/path" and request.query_string == "real=1"
    assert isinstance(request, Request)


def test_clone_replaces_what_is_given_and_keeps_the_rest() -> None:
    request = make_mocked_request("GET", "/a?x=1", headers={"X-One": "1"})
    request["kept"] = True
    same = request.clone()
    assert (same.method, same.raw_path, same.query_string) == ("GET", "/a", "x=1")
    assert same.headers["X-One"] == "1" and same["kept"] is True
    changed = request.clone(method="POST", rel_url="/b?y=2", headers={"X-Two": "2"})
    assert (changed.method, changed.raw_path, dict(changed.query)) == ("POST", "/b", {"y": "2"})
    assert "X-One" not in changed.headers and changed.headers["X-Two"] == "2"
    with pytest.raises(ValueError, match="relative"):
        request.clone(rel_url="http://elsewhere.example/")
