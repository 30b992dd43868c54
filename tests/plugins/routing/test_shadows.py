"""Freezing: registration closes, routes that can never match are reported."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from jackfield import web
from jackfield.plugins import routing
from jackfield.plugins.routing import RouteConflictError, RouteShadowWarning, UrlDispatcher

from .conftest import ok, other


def frozen_warnings(router: UrlDispatcher) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        router.freeze()
    return [str(w.message) for w in caught if issubclass(w.category, RouteShadowWarning)]


def both_paths_apart(
    router: UrlDispatcher, first: Callable[[], object], second: Callable[[], object]
) -> None:
    first()
    router.add_get("/unrelated", ok)  # keeps the two registrations on separate resources
    second()


SHADOWED = {
    "same-method-same-path": lambda r: both_paths_apart(
        r, lambda: r.add_get("/x", ok), lambda: r.add_get("/x", other)
    ),
    "same-method-same-resource": lambda r: (r.add_post("/x", ok), r.add_post("/x", other)),
    "plain-after-matching-dynamic": lambda r: (
        r.add_get("/users/{name}", ok),
        r.add_get("/users/me", other),
    ),
    "plain-after-star-dynamic": lambda r: (
        r.add_route("*", "/users/{name}", ok),
        r.add_post("/users/me", other),
    ),
    "star-before-specific-on-a-resource": lambda r: (
        r.add_route("*", "/x", ok),
        r.add_post("/x", other),
    ),
    "same-pattern-other-variable-name": lambda r: (
        r.add_get("/a/{x}", ok),
        r.add_get("/a/{y}", other),
    ),
}


@pytest.mark.parametrize("register", SHADOWED.values(), ids=SHADOWED.keys())
def test_shadowed_route_warns_naming_both(
    router: UrlDispatcher, register: Callable[[UrlDispatcher], object]
) -> None:
    register(router)
    messages = frozen_warnings(router)
    assert len(messages) == 1, messages
    assert "other" in messages[0] and "ok" in messages[0]


@pytest.mark.parametrize("register", SHADOWED.values(), ids=SHADOWED.keys())
def test_strict_router_raises_instead(register: Callable[[UrlDispatcher], object]) -> None:
    router = UrlDispatcher(strict=True)
    register(router)
    with pytest.raises(RouteConflictError, match=r"can never match|registered twice"):
        router.freeze()
    assert not router.frozen


NOT_SHADOWED = {
    "different-methods": lambda r: (r.add_get("/x", ok), r.add_post("/x", other)),
    "specific-then-star": lambda r: (r.add_get("/x", ok), r.add_route("*", "/x", other)),
    "plain-before-dynamic": lambda r: (r.add_get("/u/me", ok), r.add_get("/u/{n}", other)),
    "regex-does-not-match": lambda r: (r.add_get(r"/u/{n:\d+}", ok), r.add_get("/u/me", other)),
    "different-patterns": lambda r: (r.add_get(r"/u/{n:\d+}", ok), r.add_get("/u/{n}", other)),
    "explicit-head-after-allow-head-false": lambda r: (
        r.add_get("/x", ok, allow_head=False),
        r.add_head("/x", other),
    ),
}


@pytest.mark.parametrize("register", NOT_SHADOWED.values(), ids=NOT_SHADOWED.keys())
def test_reachable_routes_do_not_warn(
    router: UrlDispatcher, register: Callable[[UrlDispatcher], object]
) -> None:
    register(router)
    assert frozen_warnings(router) == []


def test_identical_route_is_named_as_such(router: UrlDispatcher) -> None:
    router.add_get("/x", ok)
    router.add_get("/y", ok)
    router.add_get("/x", ok)
    [message] = frozen_warnings(router)
    assert "registered twice" in message


def test_route_under_an_earlier_subapp_warns() -> None:
    app = web.Application(plugins=["routing"])
    app.add_subapp("/admin", web.Application(plugins=["routing"]))
    app.router.add_get("/admin/x", ok)  # type: ignore[attr-defined]
    app.router.add_get("/admin/{y}", ok)  # type: ignore[attr-defined]
    app.add_subapp("/admin/sub", web.Application(plugins=["routing"]))
    messages = frozen_warnings(app.router)  # type: ignore[arg-type]
    assert len(messages) == 3 and all("'/admin'" in m for m in messages)


def test_registration_after_freeze_says_where_it_belongs(router: UrlDispatcher) -> None:
    resource = router.add_resource("/r")
    router.freeze()
    for attempt in (
        lambda: router.add_get("/x", ok),
        lambda: resource.add_route("GET", ok),
        lambda: router.add_resource("/y"),
        lambda: router.add_subapp("/s", web.Application(plugins=["routing"])),
    ):
        with pytest.raises(RuntimeError, match=r"add routes before run_app\(\)"):
            attempt()


def test_freeze_is_idempotent(router: UrlDispatcher) -> None:
    router.add_get("/x", ok)
    router.add_get("/y", ok)
    router.add_get("/x", other)
    assert len(frozen_warnings(router)) == 1
    assert frozen_warnings(router) == []


def test_configure_sets_strict(app: web.Application) -> None:
    router = routing.configure(app, strict=True)
    assert router is app.router and router.strict
    router.add_get("/x", ok)
    router.add_get("/y", ok)
    router.add_get("/x", other)
    with pytest.raises(RouteConflictError):
        app.freeze()


def test_configure_refuses_a_started_app(app: web.Application) -> None:
    app.freeze()
    with pytest.raises(RuntimeError, match="before run_app"):
        routing.configure(app, strict=True)
