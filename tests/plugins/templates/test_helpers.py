"""The url() and static() template globals, on the main app and in sub-applications."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins import templates

from .conftest import WriteTemplates


async def test_url_builds_named_routes_with_parts_and_query(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(
        app,
        loader=write_templates(
            **{
                "links.html": (
                    "{{ url('home') }}|{{ url('user', name='ann lee', id=7) }}|"
                    "{{ url('home', query_={'q': 'a&b', 'page': 2}) }}"
                )
            }
        ),
    )

    @templates.template("links.html")
    async def links(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", links, name="home")
    app.router.add_get("/users/{name}/{id}", links, name="user")
    client = await client_for(app)
    assert await client.get_text("/") == "/|/users/ann%20lee/7|/?q=a%26b&amp;page=2"


async def test_url_in_a_sub_application_includes_its_prefix(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"sub.html": "{{ url('admin-home') }}"}))
    admin = web.Application()

    @templates.template("sub.html")  # the sub-app renders with its parent's environment
    async def home(request: web.Request) -> dict[str, Any]:
        return {}

    admin.router.add_get("/", home, name="admin-home")
    app.add_subapp("/admin", admin)
    client = await client_for(app)
    assert await client.get_text("/admin/") == "/admin/"


async def test_url_with_an_unknown_name_is_a_500_listing_names(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"bad.html": "{{ url('nope') }}"}))

    @templates.template("bad.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler, name="index")
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    assert (await client.get("/")).status_code == 500
    text = "\n".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert "no route named 'nope' in this application; named routes: index" in text


async def test_static_uses_the_route_named_static(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"s.html": "{{ static('css/site v2.css') }}"}))

    @templates.template("s.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    # Any resource named "static" whose url_for takes filename= will do; the
    # static plugin's add_static(..., name="static") is one.
    app.router.add_resource("/assets/{filename:.+}", name="static")
    client = await client_for(app)
    assert await client.get_text("/") == "/assets/css/site%20v2.css"


async def test_static_root_url_takes_precedence(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"s.html": "{{ static('/js/app.js') }}"}))
    app[templates.STATIC_ROOT_URL] = "https://cdn.example/static/"
    app.router.add_resource("/assets/{filename:.+}", name="static")

    @templates.template("s.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_text("/") == "https://cdn.example/static/js/app.js"


async def test_static_from_a_sub_application_falls_back_to_the_setup_app(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"s.html": "{{ static('a.css') }}"}))
    app[templates.STATIC_ROOT_URL] = "/static"
    sub = web.Application()

    @templates.template("s.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    sub.router.add_get("/", handler)
    app.add_subapp("/sub", sub)
    client = await client_for(app)
    assert await client.get_text("/sub/") == "/static/a.css"


async def test_static_without_configuration_says_what_to_add(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"s.html": "{{ static('a.css') }}"}))

    @templates.template("s.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    assert (await client.get("/")).status_code == 500
    text = "\n".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert "no static files configured" in text and "STATIC_ROOT_URL" in text


async def test_default_helpers_false_leaves_them_out(write_templates: WriteTemplates) -> None:
    app = web.Application()
    env = templates.setup(app, loader=write_templates(), default_helpers=False)
    assert "url" not in env.globals and "static" not in env.globals
