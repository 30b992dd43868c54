"""Rendering through a real server: @template, render_template, context, encodings, async."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins import templates

from .conftest import WriteTemplates

PAGE = "<h1>{{ title }}</h1><p>{{ name }}</p>"


async def test_template_on_async_sync_and_view_handlers(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}))

    @templates.template("page.html")
    async def coroutine_handler(request: web.Request) -> dict[str, str]:
        return {"title": "async", "name": "<script>alert(1)</script>"}

    @templates.template("page.html")
    def plain_handler(request: web.Request) -> dict[str, str]:
        return {"title": "plain", "name": request.query.get("name", "")}

    class Page(web.View):
        @templates.template("page.html")
        async def get(self) -> dict[str, str]:
            return {"title": "view", "name": self.request.method}

    app.router.add_get("/async", coroutine_handler)
    app.router.add_get("/plain", plain_handler)
    app.router.add_view("/view", Page)
    client = await client_for(app)

    response = await client.get("/async")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    # autoescape is on by default
    assert response.text == "<h1>async</h1><p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert await client.get_text("/plain?name=Andrew") == "<h1>plain</h1><p>Andrew</p>"
    assert await client.get_text("/view") == "<h1>view</h1><p>GET</p>"


async def test_status_and_encoding_apply_to_the_page(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"created.html": "créé: {{ what }}"}))

    @templates.template("created.html", status=201, encoding="latin-1")
    async def create(request: web.Request) -> dict[str, str]:
        return {"what": "café"}

    app.router.add_post("/", create)
    client = await client_for(app)
    response = await client.post("/")
    assert response.status_code == 201
    assert response.headers["content-type"] == "text/html; charset=latin-1"
    assert response.content == "créé: café".encode("latin-1")


async def test_a_returned_response_passes_through(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}))

    @templates.template("page.html")
    async def handler(request: web.Request) -> Any:
        if "json" in request.query:
            return web.json_response({"raw": True})
        raise web.HTTPFound("/elsewhere")

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_json("/?json=1") == {"raw": True}
    response = await client.get("/")
    assert (response.status_code, response.headers["location"]) == (302, "/elsewhere")


async def test_sync_render_template_and_render_string_in_a_handler(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}))

    async def handler(request: web.Request) -> web.Response:
        # called as aiohttp_jinja2 users do: no await, a str and a Response back
        snippet = templates.render_string("page.html", request, {"title": "t", "name": 1})
        assert isinstance(snippet, str)
        response = templates.render_template(
            "page.html", request, {"title": snippet, "name": None}, status=418
        )
        response.headers["X-Len"] = str(len(snippet))
        return response

    async def direct(request: web.Request) -> web.Response:
        return templates.render_template("page.html", request, {"title": "direct"})

    app.router.add_get("/", handler)
    app.router.add_get("/direct", direct)
    client = await client_for(app)
    response = await client.get("/")
    assert response.status_code == 418
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-len"] == str(len("<h1>t</h1><p>1</p>"))
    # the inner page is text, so it is escaped inside the outer one
    assert response.text == "<h1>&lt;h1&gt;t&lt;/h1&gt;&lt;p&gt;1&lt;/p&gt;</h1><p>None</p>"
    assert await client.get_text("/direct") == "<h1>direct</h1><p></p>"


@pytest.mark.parametrize("enable_async", [True, False], ids=["async-env", "sync-env"])
async def test_the_async_variants(
    client_for: Any, write_templates: WriteTemplates, enable_async: bool
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}), enable_async=enable_async)

    async def handler(request: web.Request) -> web.Response:
        name = await templates.render_string_async("page.html", request, {"title": "in"})
        return await templates.render_template_async(
            "page.html", request, {"title": "out", "name": name}, status=202, encoding="latin-1"
        )

    app.router.add_get("/", handler)
    client = await client_for(app)
    response = await client.get("/")
    assert response.status_code == 202
    assert response.headers["content-type"] == "text/html; charset=latin-1"
    assert response.text == "<h1>out</h1><p>&lt;h1&gt;in&lt;/h1&gt;&lt;p&gt;&lt;/p&gt;</p>"


async def test_sync_renderers_on_an_async_env_name_the_async_variant(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}), enable_async=True)

    async def handler(request: web.Request) -> web.Response:
        renderer = getattr(templates, request.query["renderer"])
        try:
            renderer("page.html", request, {})
        except RuntimeError as exc:
            return web.Response(text=str(exc))
        return web.Response(text="rendered", status=500)

    app.router.add_get("/", handler)
    client = await client_for(app)
    for renderer in ("render_template", "render_string"):
        text = await client.get_text(f"/?renderer={renderer}")
        assert text.startswith(f"{renderer}('page.html'): ")
        assert "enable_async=True" in text
        assert f"'await templates.{renderer}_async(...)'" in text


async def test_context_processors_run_in_order_and_handler_values_win(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    async def user(request: web.Request) -> dict[str, str]:
        return {"user": "andrew", "title": "from processor"}

    def site(request: web.Request) -> dict[str, str]:
        return {"site": "jackfield", "user": "overridden by later processor"}

    app = web.Application()
    templates.setup(
        app,
        loader=write_templates(
            **{
                "ctx.html": (
                    "{{ request.path }} {{ user }} {{ site }} {{ title }} {{ app is not none }}"
                )
            }
        ),
        context_processors=[templates.request_processor, user, site],
    )

    @templates.template("ctx.html")
    async def handler(request: web.Request) -> dict[str, str]:
        return {"title": "from handler"}

    app.router.add_get("/here", handler)
    client = await client_for(app)
    assert await client.get_text("/here") == (
        "/here overridden by later processor jackfield from handler True"
    )


async def test_enable_async_renders_with_jinja2_async_api(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    async def fetch_count() -> int:
        return 42

    app = web.Application()
    env = templates.setup(
        app,
        loader=write_templates(
            **{"async.html": "{{ fetch_count() }} {% for x in items %}{{ x }}{% endfor %}"}
        ),
        enable_async=True,
    )
    env.globals["fetch_count"] = fetch_count
    assert env.is_async

    async def items() -> Any:
        for i in range(3):
            yield i

    @templates.template("async.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {"items": items()}  # an async generator: only the async API iterates it

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_text("/") == "42 012"


async def test_env_kwargs_reach_the_environment(write_templates: WriteTemplates) -> None:
    app = web.Application()
    env = templates.setup(
        app,
        loader=write_templates(),
        autoescape=False,
        trim_blocks=True,
        extensions=["jinja2.ext.do"],
    )
    assert templates.get_env(app) is env
    assert env.trim_blocks and not env.autoescape
    assert "jinja2.ext.ExprStmtExtension" in env.extensions


async def test_a_non_mapping_context_is_a_500_naming_the_type(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates(**{"page.html": PAGE}))

    @templates.template("page.html")
    async def handler(request: web.Request) -> Any:
        return ["not", "a", "dict"]

    app.router.add_get("/", handler)
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    response = await client.get("/")
    assert response.status_code == 500
    assert "must be a mapping" not in response.text  # no internals outside debug mode
    assert any(
        "must be a mapping (a dict), got list" in r.getMessage()
        or (r.exc_info and "must be a mapping (a dict), got list" in str(r.exc_info[1]))
        for r in caplog.records
    )
