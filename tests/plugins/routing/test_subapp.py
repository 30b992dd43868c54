"""Sub-applications: prefix resources, nested routing, URLs with prefixes."""

from __future__ import annotations

from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.routing import PrefixedSubAppResource

from .conftest import FakeRequest, ok, other


def make_app() -> web.Application:
    return web.Application(plugins=["routing"])


async def resolve(app: web.Application, method: str, path: str) -> Any:
    return await app.router.resolve(FakeRequest(method, path))  # type: ignore[arg-type]


async def test_subapp_routes_resolve_with_app_chain() -> None:
    app, admin = make_app(), make_app()
    admin.router.add_get("/users/{id}", ok)  # type: ignore[attr-defined]
    resource = app.add_subapp("/admin/", admin)
    assert isinstance(resource, PrefixedSubAppResource)
    assert resource.prefix == "/admin"
    info = await resolve(app, "GET", "/admin/users/7")
    assert info.handler is ok
    assert dict(info) == {"id": "7"}
    assert info.apps == (app, admin)
    assert info.current_app is admin


async def test_prefix_itself_and_trailing_slash_forms_are_equal() -> None:
    app, sub = make_app(), make_app()
    sub.router.add_get("/", ok)  # type: ignore[attr-defined]
    app.add_subapp("/sub", sub)
    assert (await resolve(app, "GET", "/sub/")).handler is ok
    assert (await resolve(app, "GET", "/sub")).http_exception.status == 404
    assert (await resolve(app, "GET", "/subway")).apps == (app,)


async def test_404_inside_subapp_carries_the_subapp() -> None:
    app, admin = make_app(), make_app()
    admin.router.add_get("/x", ok)  # type: ignore[attr-defined]
    app.add_subapp("/admin", admin)
    app.router.add_get("/admin/late", other)  # type: ignore[attr-defined]
    info = await resolve(app, "GET", "/admin/late")
    assert info.http_exception.status == 404  # the sub-app owns its prefix
    assert info.apps == (app, admin)


async def test_405_inside_subapp() -> None:
    app, admin = make_app(), make_app()
    admin.router.add_post("/x", ok)  # type: ignore[attr-defined]
    app.add_subapp("/admin", admin)
    info = await resolve(app, "GET", "/admin/x")
    assert info.http_exception.status == 405
    assert info.http_exception.headers["Allow"] == "POST"


async def test_url_for_includes_the_prefix() -> None:
    app, admin = make_app(), make_app()
    admin.router.add_get("/resource", ok, name="name")  # type: ignore[attr-defined]
    app.add_subapp("/admin/", admin)
    assert str(admin.router["name"].url_for()) == "/admin/resource"  # type: ignore[index]


async def test_routes_added_after_mounting_get_the_prefix() -> None:
    app, admin = make_app(), make_app()
    app.add_subapp("/admin", admin)
    admin.router.add_get("/later/{x}", ok, name="later")  # type: ignore[attr-defined]
    assert str(admin.router["later"].url_for(x="1")) == "/admin/later/1"  # type: ignore[index]
    assert (await resolve(app, "GET", "/admin/later/1")).handler is ok


async def test_three_levels_of_nesting() -> None:
    app, mid, leaf = make_app(), make_app(), make_app()
    leaf.router.add_get("/end/{x}", ok, name="end")  # type: ignore[attr-defined]
    mid.add_subapp("/b", leaf)  # mounted before mid itself is mounted
    app.add_subapp("/a", mid)
    mid.router.add_get("/mid", other)  # type: ignore[attr-defined]
    info = await resolve(app, "GET", "/a/b/end/z")
    assert info.handler is ok and info.apps == (app, mid, leaf)
    assert str(leaf.router["end"].url_for(x="z")) == "/a/b/end/z"  # type: ignore[index]
    assert (await resolve(app, "GET", "/a/mid")).apps == (app, mid)
    assert (await resolve(app, "GET", "/a/b/nope")).apps == (app, mid, leaf)


async def test_subapp_resource_resolve_directly() -> None:
    app, admin = make_app(), make_app()
    admin.router.add_get("/x", ok)  # type: ignore[attr-defined]
    resource = app.add_subapp("/admin", admin)
    info, allowed = await resource.resolve(FakeRequest("POST", "/admin/x"))
    assert info is not None and info.http_exception.status == 405 and allowed == {"GET", "HEAD"}
    assert await resource.resolve(FakeRequest("GET", "/other")) == (None, set())
    assert len(resource) == 2 and {r.method for r in resource} == {"GET", "HEAD"}


@pytest.mark.parametrize(
    "prefix",
    ["/", "", "admin", "/{x}", "//"],
    ids=["root", "empty", "relative", "variable", "slashes"],
)
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        make_app().add_subapp(prefix, make_app())


def test_subapp_url_for_is_not_supported() -> None:
    resource = make_app().add_subapp("/a", make_app())
    with pytest.raises(RuntimeError, match=r"subapp\.router"):
        resource.url_for()


async def test_earlier_route_under_the_prefix_still_wins() -> None:
    app, admin = make_app(), make_app()
    app.router.add_get("/admin/special", other)  # type: ignore[attr-defined]
    admin.router.add_get("/special", ok)  # type: ignore[attr-defined]
    app.add_subapp("/admin", admin)
    assert (await resolve(app, "GET", "/admin/special")).handler is other
