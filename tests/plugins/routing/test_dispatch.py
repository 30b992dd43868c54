"""UrlDispatcher: registering routes and resolving requests to them."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.routing import (
    METH_ANY,
    AbstractRoute,
    DynamicResource,
    MatchInfoError,
    PlainResource,
    UrlDispatcher,
    UrlMappingMatchInfo,
)

from .conftest import FakeRequest, Resolve, ok, other


async def test_plain_route_resolves_to_its_handler(router: UrlDispatcher, resolve: Resolve) -> None:
    route = router.add_get("/about", ok)
    info = await resolve("GET", "/about")
    assert isinstance(info, UrlMappingMatchInfo)
    assert info.route is route
    assert info.handler is ok
    assert info.http_exception is None
    assert dict(info) == {}


async def test_unknown_path_is_404_whose_handler_raises(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/about", ok)
    info = await resolve("GET", "/nope")
    assert isinstance(info, MatchInfoError)
    assert info.http_exception.status == 404
    request = FakeRequest("GET", "/nope")
    request.match_info = info
    with pytest.raises(web.HTTPNotFound):
        await info.handler(request)  # type: ignore[arg-type]


async def test_wrong_method_is_405_with_allow(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_post("/form", ok)
    router.add_put("/form", ok)
    info = await resolve("DELETE", "/form")
    exc = info.http_exception
    assert isinstance(exc, web.HTTPMethodNotAllowed)
    assert exc.headers["Allow"] == "POST, PUT"


async def test_add_get_answers_head_too(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/", ok)
    assert (await resolve("HEAD", "/")).handler is ok


async def test_add_get_allow_head_false_gives_405_for_head(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/", ok, allow_head=False)
    exc = (await resolve("HEAD", "/")).http_exception
    assert exc is not None and exc.status == 405
    assert exc.headers["Allow"] == "GET"


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PROPFIND"])
async def test_star_route_answers_any_method(
    router: UrlDispatcher, resolve: Resolve, method: str
) -> None:
    router.add_route(METH_ANY, "/any", ok)
    assert (await resolve(method, "/any")).handler is ok


async def test_shortcuts_register_their_methods(router: UrlDispatcher, resolve: Resolve) -> None:
    for method in ("post", "put", "patch", "delete", "head"):
        getattr(router, f"add_{method}")(f"/{method}", ok)
        assert (await resolve(method.upper(), f"/{method}")).handler is ok
        assert (await resolve("OPTIONS", f"/{method}")).http_exception.status == 405


async def test_method_is_uppercased(router: UrlDispatcher, resolve: Resolve) -> None:
    route = router.add_route("get", "/", ok)
    assert route.method == "GET"


async def test_add_route_is_add_resource_plus_add_route(router: UrlDispatcher) -> None:
    resource = router.add_resource("/r", name="r")
    route = resource.add_route("GET", ok)
    assert router["r"] is resource
    assert route.resource is resource
    assert list(resource) == [route]


async def test_consecutive_routes_on_one_path_share_a_resource(router: UrlDispatcher) -> None:
    router.add_get("/x", ok)
    router.add_post("/x", other)
    assert len(router.resources()) == 1
    assert len(router.routes()) == 3  # HEAD, GET, POST


async def test_variable_resource_decodes_parts(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/users/{name}/posts/{pid:\\d+}", ok)
    info = await resolve("GET", "/users/J%C3%B6rg%20K/posts/17")
    assert dict(info) == {"name": "Jörg K", "pid": "17"}


async def test_custom_regex_with_braces(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get(r"/year/{y:\d{4}}", ok)
    assert dict(await resolve("GET", "/year/2024")) == {"y": "2024"}
    assert (await resolve("GET", "/year/24")).http_exception.status == 404


async def test_default_variable_does_not_cross_segments(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/a/{x}", ok)
    assert (await resolve("GET", "/a/b/c")).http_exception.status == 404
    assert dict(await resolve("GET", "/a/b%2Fc")) == {"x": "b/c"}


async def test_regex_variable_can_span_segments(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/files/{path:.+}", ok)
    assert dict(await resolve("GET", "/files/css/site.css")) == {"path": "css/site.css"}


async def test_match_is_on_the_encoded_path(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/caf%C3%A9", ok)
    router.add_get("/space/{v:a%20b}", other)
    assert (await resolve("GET", "/caf%c3%a9")).handler is ok  # case of hex digits ignored
    assert (await resolve("GET", "/space/a%20b")).handler is other


async def test_non_ascii_registered_path_is_encoded(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    resource = router.add_resource("/café")
    resource.add_route("GET", ok)
    assert resource.canonical == "/caf%C3%A9"
    assert (await resolve("GET", "/caf%C3%A9")).handler is ok


async def test_escaped_unreserved_characters_match_plain_ones(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/abc", ok)
    assert (await resolve("GET", "/%61bc")).handler is ok


# -- order: the first registered resource that takes the method wins ---------------------------


async def test_dynamic_registered_first_beats_plain(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/users/{name}", ok)
    with pytest.warns(UserWarning):
        router.add_get("/users/me", other)
        router.freeze()
    assert (await resolve("GET", "/users/me")).handler is ok


async def test_plain_registered_first_beats_dynamic(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/users/me", other)
    router.add_get("/users/{name}", ok)
    assert (await resolve("GET", "/users/me")).handler is other
    assert (await resolve("GET", "/users/bob")).handler is ok


async def test_method_falls_through_to_a_later_resource(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/items/{id}", ok)
    router.add_post("/items/{name}", other)
    router.add_get("/other", ok)  # keeps the two resources apart
    router.add_post("/items/new", ok)
    assert (await resolve("POST", "/items/7")).handler is other
    assert (await resolve("POST", "/items/new")).handler is other
    exc = (await resolve("PUT", "/items/7")).http_exception
    assert exc.headers["Allow"] == "GET, HEAD, POST"


async def test_earlier_star_route_wins_over_later_specific(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_route("*", "/{x}", ok)
    router.add_get("/page", other)
    assert (await resolve("GET", "/page")).handler is ok


async def test_among_dynamic_resources_first_registered_wins(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/a/{x:\\d+}", ok)
    router.add_get("/a/{y}", other)
    assert dict(await resolve("GET", "/a/5")) == {"x": "5"}
    assert dict(await resolve("GET", "/a/b")) == {"y": "b"}


async def test_root_level_variables_and_deep_literals_keep_order(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/{lang}/docs/{page}", ok)
    router.add_get("/en/docs/{page}", other)
    router.add_get("/en/blog/{post}", other)
    assert (await resolve("GET", "/en/docs/x")).handler is ok
    assert (await resolve("GET", "/en/blog/x")).handler is other
    assert (await resolve("GET", "/fr/docs/x")).handler is ok


async def test_routes_added_after_a_resolve_are_found(
    router: UrlDispatcher, resolve: Resolve
) -> None:
    router.add_get("/a", ok)
    assert (await resolve("GET", "/b")).http_exception.status == 404
    router.add_get("/b", ok)
    resource = router.add_resource("/c/{x}")
    assert (await resolve("GET", "/b")).handler is ok
    resource.add_route("GET", other)
    assert (await resolve("GET", "/c/1")).handler is other


# -- handlers -----------------------------------------------------------------------------------


def plain_handler(request: Any) -> web.Response:
    return web.Response(text="plain")


class Handlers:
    def sync(self, request: Any) -> web.Response:
        return web.Response(text="sync")

    async def coro(self, request: Any) -> web.Response:
        return web.Response(text="coro")


class CallableObject:
    async def __call__(self, request: Any) -> web.Response:
        return web.Response(text="object")


@pytest.mark.parametrize(
    ("handler", "text"),
    [
        (plain_handler, "plain"),
        (Handlers().sync, "sync"),
        (Handlers().coro, "coro"),
        (CallableObject(), "object"),
        (functools.partial(plain_handler), "plain"),
    ],
    ids=["function", "bound-method", "async-bound-method", "async-callable-object", "partial"],
)
async def test_every_kind_of_handler_returns_an_awaitable(
    router: UrlDispatcher, resolve: Resolve, handler: Any, text: str
) -> None:
    router.add_get("/", handler)
    info = await resolve("GET", "/")
    response = await info.handler(FakeRequest("GET", "/"))
    assert response.text == text


async def test_plain_functions_are_wrapped_once(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/", plain_handler)
    first, second = await resolve("GET", "/"), await resolve("GET", "/")
    assert first.handler is second.handler
    assert first.handler is not plain_handler
    assert first.handler.__wrapped__ is plain_handler  # type: ignore[attr-defined]


async def test_coroutine_functions_are_not_wrapped(router: UrlDispatcher) -> None:
    assert router.add_get("/", ok).handler is ok


# -- registration errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "handler", "error", "fragment"),
    [
        ("GET", "/x", "not callable", TypeError, "must be callable"),
        ("GE T", "/x", ok, ValueError, "not a valid HTTP method"),
        ("", "/x", ok, ValueError, "not a valid HTTP method"),
        (None, "/x", ok, TypeError, "method must be a string"),
        ("GET", "x", ok, ValueError, "starting with '/'"),
        ("GET", "", ok, ValueError, "starting with '/'"),
        ("GET", "/{a}/{a}", ok, ValueError, "appears twice"),
        ("GET", "/{a", ok, ValueError, "never closed"),
        ("GET", "/a}", ok, ValueError, "closes no variable"),
        ("GET", "/{1a}", ok, ValueError, "not a Python identifier"),
        ("GET", "/{a:[}", ok, ValueError, "never closed"),
        ("GET", "/{a:(}", ok, ValueError, "not a valid regular expression"),
        ("GET", "/{a:}", ok, ValueError, "is empty"),
        ("GET", "/{a:(?P<b>x)}", ok, ValueError, "named groups"),
        ("GET", "/{a:(x)\\1}", ok, ValueError, "back-reference"),
        ("GET", "/{a:x)|(y}", ok, ValueError, "closes no group"),
        ("GET", "/{a:(?i)x}", ok, ValueError, "not a valid regular expression"),
    ],
    ids=[
        "handler-not-callable",
        "method-with-space",
        "method-empty",
        "method-not-str",
        "path-relative",
        "path-empty",
        "duplicate-variable",
        "unclosed-variable",
        "stray-closing-brace",
        "bad-variable-name",
        "unclosed-char-class",
        "invalid-regex",
        "empty-regex",
        "named-group-in-regex",
        "backreference-in-regex",
        "regex-escaping-its-group",
        "global-flag-in-regex",
    ],
)
def test_bad_registration_fails_naming_the_route(
    router: UrlDispatcher, method: Any, path: str, handler: Any, error: type, fragment: str
) -> None:
    with pytest.raises(error, match=fragment) as info:
        router.add_route(method, path, handler)
    if path:
        assert repr(path)[1:-1].split("{")[0] in str(info.value) or path in str(info.value)


@pytest.mark.parametrize(
    "name", ["1abc", "a b", "a..b", "-a", "a/b", ""], ids=lambda n: f"name={n!r}"
)
def test_invalid_route_name_is_refused(router: UrlDispatcher, name: str) -> None:
    with pytest.raises(ValueError, match="route name"):
        router.add_get("/x", ok, name=name)


@pytest.mark.parametrize("name", ["index", "user-info", "api:users.list", "_x", "v2.item-3"])
def test_valid_route_names(router: UrlDispatcher, name: str) -> None:
    router.add_get("/x", ok, name=name)
    assert router[name].name == name


def test_duplicate_route_name_is_refused(router: UrlDispatcher) -> None:
    router.add_get("/a", ok, name="n")
    with pytest.raises(ValueError, match="'n' is already used"):
        router.add_get("/b", ok, name="n")


def test_unknown_name_lists_known_ones(router: UrlDispatcher) -> None:
    router.add_get("/a", ok, name="alpha")
    with pytest.raises(KeyError, match="alpha"):
        router["beta"]


# -- views of the table -------------------------------------------------------------------------


def test_resources_routes_and_named_views(router: UrlDispatcher) -> None:
    a = router.add_get("/a", ok, name="a")
    b = router.add_post("/b/{x}", ok)
    assert len(router.resources()) == 2
    assert [type(r) for r in router.resources()] == [PlainResource, DynamicResource]
    assert a.resource in router.resources()
    routes = router.routes()
    assert len(routes) == 3 and a in routes and b in routes
    assert all(isinstance(r, AbstractRoute) for r in routes)
    assert dict(router.named_resources()) == {"a": a.resource}
    assert "a" in router and len(router) == 1 and list(router) == ["a"]
    with pytest.raises(TypeError):
        router.named_resources()["z"] = a.resource  # type: ignore[index]


def test_add_routes_takes_definitions_only(router: UrlDispatcher) -> None:
    with pytest.raises(TypeError, match="route definitions"):
        router.add_routes([("GET", "/", ok)])


def test_add_view_needs_a_view_class(router: UrlDispatcher) -> None:
    with pytest.raises(TypeError, match=r"web\.View subclass"):
        router.add_view("/", ok)  # type: ignore[arg-type]


async def test_match_info_apps_is_the_router_app(app: web.Application) -> None:
    app.router.add_get("/", ok)  # type: ignore[attr-defined]
    info = await app.router.resolve(FakeRequest("GET", "/"))  # type: ignore[arg-type]
    assert info.apps == (app,)
    assert info.current_app is app
    missing = await app.router.resolve(FakeRequest("GET", "/x"))  # type: ignore[arg-type]
    assert missing.apps == (app,)


async def test_match_info_freeze_forbids_add_app(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/", ok)
    info = await resolve("GET", "/")
    info.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        info.add_app(web.Application(plugins=[]))


async def test_get_info_describes_the_resource(router: UrlDispatcher, resolve: Resolve) -> None:
    router.add_get("/p", ok)
    router.add_get("/d/{x}", ok)
    assert (await resolve("GET", "/p")).get_info() == {"path": "/p"}
    assert (await resolve("GET", "/d/1")).get_info()["formatter"] == "/d/{x}"


async def test_resource_resolve_can_be_called_directly(router: UrlDispatcher) -> None:
    resource = router.add_resource("/r/{x}")
    resource.add_route("GET", ok)
    info, allowed = await resource.resolve(FakeRequest("GET", "/r/%41"))  # type: ignore[arg-type]
    assert info is not None and dict(info) == {"x": "A"} and allowed == {"GET"}
    assert await resource.resolve(FakeRequest("PUT", "/r/1")) == (None, {"GET"})  # type: ignore[arg-type]
    assert await resource.resolve(FakeRequest("GET", "/q")) == (None, set())  # type: ignore[arg-type]
    assert await resource.resolve(FakeRequest("GET", "/r/%zz")) == (None, set())  # type: ignore[arg-type]


def test_consecutive_routes_on_one_pattern_share_a_resource(router: UrlDispatcher) -> None:
    router.add_get("/d/{x:\\d+}", ok)
    router.add_post("/d/{x:\\d+}", other)
    router.add_put("/d/{y:\\d+}", other)  # another variable name: another resource
    assert len(router.resources()) == 2


async def test_expect_handler_per_route(router: UrlDispatcher, resolve: Resolve) -> None:
    calls: list[str] = []

    def check(request: Any) -> None:  # plain functions are wrapped, like handlers
        calls.append(request.method)

    router.add_post("/upload", ok, expect_handler=check)
    router.add_post("/plain", ok)
    request = FakeRequest("POST", "/upload")
    assert await (await resolve("POST", "/upload")).expect_handler(request) is None
    assert calls == ["POST"]
    assert await (await resolve("POST", "/plain")).expect_handler(request) is None
    with pytest.raises(TypeError, match="expect_handler must be callable"):
        router.add_post("/bad", ok, expect_handler="nope")  # type: ignore[arg-type]


async def test_dynamic_without_method_before_subapp_lets_the_subapp_answer() -> None:
    app, sub = web.Application(plugins=["routing"]), web.Application(plugins=["routing"])
    app.router.add_post("/admin/{x}", other)  # type: ignore[attr-defined]
    sub.router.add_get("/page", ok)  # type: ignore[attr-defined]
    app.add_subapp("/admin", sub)
    info = await app.router.resolve(FakeRequest("GET", "/admin/page"))  # type: ignore[arg-type]
    assert info.handler is ok and info.apps == (app, sub)
    posted = await app.router.resolve(FakeRequest("POST", "/admin/page"))  # type: ignore[arg-type]
    assert posted.handler is other


def test_match_info_without_route_has_no_handler() -> None:
    info = UrlMappingMatchInfo({"name": "zoe"}, None)
    assert isinstance(info, UrlMappingMatchInfo)
    assert dict(info) == {"name": "zoe"} and info.route is None and info.apps == ()
    with pytest.raises(RuntimeError, match="no route, hence no handler"):
        info.handler  # noqa: B018  # the read itself must raise
    with pytest.raises(AttributeError):
        info.no_such_attribute  # type: ignore[attr-defined]  # noqa: B018
    error = MatchInfoError(web.HTTPNotFound())
    assert error.http_exception.status == 404 and callable(error.handler)


@pytest.mark.parametrize("frozen", [False, True])
def test_matched_builds_what_the_class_call_builds(router: UrlDispatcher, frozen: bool) -> None:
    # matched() skips __init__ (bench/, issue 2): it must leave the same state.
    from jackfield.plugins.routing._matchinfo import matched

    class OwnRoute(AbstractRoute):  # a third-party route: its handler property counts
        @property
        def handler(self) -> Any:
            return other

        def url_for(self, *args: str, **kwargs: Any) -> Any:
            raise NotImplementedError

    app = web.Application(plugins=["routing"])
    plain = router.add_get("/about", ok)
    own = OwnRoute("GET", ok)
    cases = [(plain, {}, ok), (plain, {"name": "zoe", "id": "7"}, ok), (own, {"a": "b"}, other)]
    for route, match, handler in cases:
        fast = matched(match, route, (app,), frozen)
        slow = UrlMappingMatchInfo(match, route, (app,), frozen)
        assert type(fast) is UrlMappingMatchInfo
        assert dict(fast) == dict(slow) == match
        assert fast.route is slow.route is route and fast.handler is slow.handler is handler
        assert fast.apps == slow.apps == (app,)
        if frozen:
            with pytest.raises(RuntimeError, match="frozen"):
                fast.add_app(app)
        else:
            fast.add_app(app)
            assert fast.apps == (app, app)
