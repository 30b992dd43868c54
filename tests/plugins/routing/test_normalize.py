"""normalize_path_middleware: redirect 404 paths to the variant that has a route."""

from __future__ import annotations

from typing import Any

import pytest

from jackfield import web
from jackfield.plugins.routing import normalize_path_middleware
from jackfield.testing.testing import make_mocked_request

from .conftest import ok


@pytest.fixture
def app() -> web.Application:
    app = web.Application(plugins=["routing"])
    app.router.add_get("/dir/", ok)  # type: ignore[attr-defined]
    app.router.add_get("/file", ok)  # type: ignore[attr-defined]
    app.router.add_get("/a/{x}/", ok)  # type: ignore[attr-defined]
    app.router.add_get("/{host}/", ok)  # type: ignore[attr-defined]
    return app


async def run(app: web.Application, target: str, **options: Any) -> Any:
    """Resolve ``target`` and run it through the middleware; the response or raised redirect."""
    request = make_mocked_request("GET", target, app=app)
    request._match_info = await app.router.resolve(request)
    middleware = normalize_path_middleware(**options)

    async def handler(req: web.Request) -> web.StreamResponse:
        return await req.match_info.handler(req)

    try:
        return await middleware(request, handler)
    except web.HTTPException as exc:
        return exc


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/dir", "/dir/"),
        ("/dir?q=1&r=%20", "/dir/?q=1&r=%20"),
        ("//file", "/file"),
        ("/dir//", "/dir/"),
        ("//dir", "/dir/"),
        ("/a/b%20c", "/a/b%20c/"),
    ],
    ids=[
        "append-slash",
        "query-kept",
        "merge-slashes",
        "merge-trailing",
        "merge-and-append",
        "encoded",
    ],
)
async def test_redirects_to_the_resolving_variant(
    app: web.Application, target: str, location: str
) -> None:
    response = await run(app, target)
    assert isinstance(response, web.HTTPPermanentRedirect)
    assert response.headers["Location"] == location


async def test_remove_slash(app: web.Application) -> None:
    app.router.add_get("/deep/file", ok)  # type: ignore[attr-defined]
    response = await run(app, "/deep/file/", append_slash=False, remove_slash=True)
    assert response.headers["Location"] == "/deep/file"


async def test_matching_path_is_untouched(app: web.Application) -> None:
    assert (await run(app, "/file")).status == 200


async def test_no_variant_resolves_keeps_404(app: web.Application) -> None:
    assert (await run(app, "/nope/x")).status == 404


async def test_405_is_not_redirected(app: web.Application) -> None:
    request = make_mocked_request("POST", "/file", app=app)
    request._match_info = await app.router.resolve(request)
    with pytest.raises(web.HTTPMethodNotAllowed):
        await normalize_path_middleware()(request, request.match_info.handler)


async def test_never_redirects_to_another_host(app: web.Application) -> None:
    # "//evil.example" + "/" would resolve to "/{host}/" but reads as a host in a browser.
    response = await run(app, "//evil.example", merge_slashes=False)
    assert response.status == 404
    merged = await run(app, "//evil.example")
    assert merged.headers["Location"] == "/evil.example/"


async def test_custom_redirect_class(app: web.Application) -> None:
    response = await run(app, "/dir", redirect_class=web.HTTPFound)
    assert response.status == 302


def test_append_and_remove_together_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot both"):
        normalize_path_middleware(append_slash=True, remove_slash=True)


def test_is_a_new_style_middleware() -> None:
    assert normalize_path_middleware().__middleware_version__ == 1  # type: ignore[attr-defined]
