"""UrlDispatcher.resolve_now: the synchronous lookup agrees with resolve, or declines."""

from __future__ import annotations

from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.routing import UrlDispatcher

from .conftest import FakeRequest, ok, other


def _now(router: UrlDispatcher, method: str, target: str) -> Any:
    return router.resolve_now(FakeRequest(method, target))  # type: ignore[arg-type]


async def _later(router: UrlDispatcher, method: str, target: str) -> Any:
    return await router.resolve(FakeRequest(method, target))  # type: ignore[arg-type]


@pytest.fixture
def routed(router: UrlDispatcher) -> UrlDispatcher:
    router.add_get("/", ok)
    router.add_post("/about", other)
    router.add_get("/users/{name}", ok)
    router.add_route("*", "/any/{x}", other)
    for i in range(20):  # enough resources for one compiled alternation
        router.add_get(f"/r{i}/{{v}}", ok)
    return router


@pytest.mark.parametrize(
    ("method", "target", "parts"),
    [
        ("GET", "/", {}),
        ("HEAD", "/", {}),
        ("POST", "/about", {}),
        ("GET", "/users/zoe", {"name": "zoe"}),
        ("GET", "/users/z%C3%B6e", {"name": "zöe"}),
        ("DELETE", "/any/1", {"x": "1"}),
        ("GET", "/r17/abc", {"v": "abc"}),
    ],
    ids=["root", "head-of-get", "post", "variable", "decoded", "star-method", "alternation"],
)
async def test_matches_what_resolve_matches(
    routed: UrlDispatcher, method: str, target: str, parts: dict[str, str]
) -> None:
    now = _now(routed, method, target)
    later = await _later(routed, method, target)
    assert now is not None
    assert dict(now) == dict(later) == parts
    assert now.route is later.route
    assert now.handler is later.handler
    assert now.apps == later.apps
    # Final as it comes: the kernel does not freeze it (AbstractRouter.resolve_now).
    with pytest.raises(RuntimeError, match="frozen"):
        now.add_app(web.Application())
    later.add_app(web.Application())  # resolve's result is frozen by the kernel, later


@pytest.mark.parametrize(
    ("method", "target", "status"),
    [
        ("GET", "/nowhere", 404),
        ("GET", "/about", 405),
        ("POST", "/users/zoe", 405),
        ("GET", "/users/%zz", 400),
        ("GET", "/users/../about", 404),
    ],
    ids=["unknown-path", "fixed-wrong-method", "variable-wrong-method", "bad-escape", "dot-dot"],
)
async def test_declines_errors_and_leaves_them_to_resolve(
    routed: UrlDispatcher, method: str, target: str, status: int
) -> None:
    assert _now(routed, method, target) is None
    assert (await _later(routed, method, target)).http_exception.status == status


def test_declines_sub_applications() -> None:
    app = web.Application(plugins=["routing"])
    admin = web.Application(plugins=["routing"])
    admin.router.add_get("/panel", ok)
    app.add_subapp("/admin/", admin)
    assert app.router.resolve_now(FakeRequest("GET", "/admin/panel")) is None
