"""Context processors: once per request, before the handler, in a middleware setup() adds."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest

from jackfield import web
from jackfield.plugins import templates

from .conftest import WriteTemplates


async def test_an_async_processor_feeds_the_sync_renderers(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    async def current_user(request: web.Request) -> dict[str, str]:
        await asyncio.sleep(0)  # stands for a session or database lookup
        return {"user": request.headers.get("X-User", "anonymous")}

    app = web.Application()
    templates.setup(
        app,
        loader=write_templates(**{"hi.html": "hi {{ user }} at {{ request.path }}"}),
        context_processors=[current_user, templates.request_processor],
    )

    async def handler(request: web.Request) -> web.Response:
        return templates.render_template("hi.html", request, {})

    app.router.add_get("/hi", handler)
    client = await client_for(app)
    assert await client.get_text("/hi", headers={"X-User": "ann"}) == "hi ann at /hi"
    assert await client.get_text("/hi") == "hi anonymous at /hi"


async def test_processors_run_once_per_request_before_the_handler(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    events: list[str] = []

    async def counted(request: web.Request) -> dict[str, int]:
        events.append("processor")
        return {"n": events.count("processor")}

    app = web.Application()
    templates.setup(
        app,
        loader=write_templates(**{"n.html": "{{ n }}"}),
        context_processors=[counted],
    )

    @templates.template("n.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        events.append("handler")
        # three renders in one request: the processor does not run again
        first = templates.render_string("n.html", request, {})
        second = await templates.render_string_async("n.html", request, {})
        return {"n": f"{first}{second}"}

    async def untemplated(request: web.Request) -> web.Response:
        events.append("plain handler")
        return web.Response(text="no template")

    app.router.add_get("/", handler)
    app.router.add_get("/plain", untemplated)
    client = await client_for(app)
    assert await client.get_text("/") == "11"
    assert await client.get_text("/") == "22"
    assert events == ["processor", "handler", "processor", "handler"]
    # the middleware runs for every request of the app, rendered or not
    assert await client.get_text("/plain") == "no template"
    assert events[-2:] == ["processor", "plain handler"]


def test_no_processors_no_middleware(write_templates: WriteTemplates) -> None:
    bare = web.Application()
    templates.setup(bare, loader=write_templates())
    assert list(bare.middlewares) == []

    async def outer(request: web.Request, handler: Any) -> web.StreamResponse:
        return await handler(request)  # pragma: no cover - never served

    with_processors = web.Application(middlewares=[web.middleware(outer)])
    templates.setup(
        with_processors,
        loader=write_templates(),
        context_processors=[templates.request_processor],
    )
    # appended: middlewares added before setup() run first
    assert len(with_processors.middlewares) == 2
    assert with_processors.middlewares[0] is not with_processors.middlewares[1]
    assert with_processors.middlewares[1].__name__ == "templates_context_processors"


async def test_a_sub_application_with_its_own_setup_uses_its_own_processors(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    calls: Counter[str] = Counter()

    def parent_processor(request: web.Request) -> dict[str, str]:
        calls["parent"] += 1
        return {"who": "parent"}

    async def child_processor(request: web.Request) -> dict[str, str]:
        calls["child"] += 1
        return {"who": "child"}

    page = "{{ who }} {{ request.path }}"
    app = web.Application()
    templates.setup(
        app,
        loader=write_templates("main", **{"p.html": "main: " + page}),
        context_processors=[parent_processor, templates.request_processor],
    )
    child = web.Application()
    templates.setup(
        child,
        loader=write_templates("child", **{"p.html": "child: " + page}),
        context_processors=[templates.request_processor, child_processor],
    )
    borrower = web.Application()  # no setup(): renders with the parent's environment

    async def handler(request: web.Request) -> web.Response:
        return templates.render_template("p.html", request, {})

    for application in (app, child, borrower):
        application.router.add_get("/", handler)
    app.add_subapp("/child", child)
    app.add_subapp("/borrower", borrower)
    client = await client_for(app)

    assert await client.get_text("/child/") == "child: child /child/"
    assert calls == {"child": 1}  # the parent's processors did not run for it
    assert await client.get_text("/borrower/") == "main: parent /borrower/"
    assert await client.get_text("/") == "main: parent /"
    assert calls == {"child": 1, "parent": 2}


async def test_setup_after_naming_the_plugin_still_installs_the_processors(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    async def method(request: web.Request) -> dict[str, str]:
        return {"method": request.method}

    app = web.Application(plugins=["routing", "templates"])  # configure hook ran already
    templates.setup(
        app, loader=write_templates(**{"p.html": "{{ method }}"}), context_processors=[method]
    )
    assert len(app.middlewares) == 1

    async def handler(request: web.Request) -> web.Response:
        # sync render with an async processor: only works if the middleware ran
        return templates.render_template("p.html", request, {})

    app.router.add_get("/", handler)
    client = await client_for(app)
    assert await client.get_text("/") == "GET"


async def test_rendering_outside_the_middleware_runs_the_processors_there(
    client_for: Any, write_templates: WriteTemplates, recwarn: pytest.WarningsRecorder
) -> None:
    # A middleware added before setup() that answers without calling the
    # handler renders where the processors' middleware has not run.
    calls: list[str] = []

    def site(request: web.Request) -> dict[str, str]:
        calls.append(request.path)
        return {"site": "jackfield"}

    async def async_site(request: web.Request) -> dict[str, str]:
        calls.append(request.path)
        return {"site": "async jackfield"}

    @web.middleware
    async def maintenance(request: web.Request, handler: Any) -> web.StreamResponse:
        down = request.query.get("down")
        if down == "sync":
            return templates.render_template("down.html", request, {}, status=503)
        if down == "async":
            return await templates.render_template_async("down.html", request, {}, status=503)
        if down == "sync-refused":
            try:
                templates.render_string("down.html", request, {})
            except RuntimeError as exc:
                return web.Response(text=str(exc), status=500)
            return web.Response(text="rendered")
        return await handler(request)

    async def handler(request: web.Request) -> web.Response:
        return templates.render_template("down.html", request, {})

    apps = {}
    for processor in (site, async_site):
        app = web.Application(middlewares=[maintenance])
        templates.setup(
            app,
            loader=write_templates(**{"down.html": "{{ site }}: down {{ request.path }}"}),
            context_processors=[processor, templates.request_processor],
        )
        app.router.add_get("/{tail:.*}", handler)
        apps[processor.__name__] = await client_for(app)

    client = apps["site"]
    response = await client.get("/a", params={"down": "sync"})
    assert (response.status_code, response.text) == (503, "jackfield: down /a")
    assert calls == ["/a"]
    assert await client.get_text("/b") == "jackfield: down /b"  # through the middleware
    assert calls == ["/a", "/b"]

    client = apps["async_site"]
    response = await client.get("/c", params={"down": "sync-refused"})
    assert response.status_code == 500
    assert "context processor <function" in response.text
    assert "is async; render with 'await templates.render_string_async(...)'" in response.text
    response = await client.get("/d", params={"down": "async"})
    assert (response.status_code, response.text) == (503, "async jackfield: down /d")
    assert await client.get_text("/e") == "async jackfield: down /e"
    # the refused render's processor never ran: its coroutine was closed, not leaked
    assert calls == ["/a", "/b", "/d", "/e"]
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


async def test_a_processor_returning_no_mapping_is_a_500_naming_it(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: web.Request) -> Any:
        return ["not", "a", "mapping"]

    app = web.Application()
    templates.setup(app, loader=write_templates(), context_processors=[broken])

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="never reached")  # pragma: no cover

    app.router.add_get("/", handler)
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    response = await client.get("/")
    assert response.status_code == 500
    assert "never reached" not in response.text
    text = "\n".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert "context processor <function" in text
    assert "broken" in text
    assert "returned list" in text


async def test_a_processor_may_answer_with_an_http_exception(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    reached: list[str] = []

    async def login_required(request: web.Request) -> dict[str, str]:
        if "X-User" not in request.headers:
            raise web.HTTPFound("/login")
        return {"user": request.headers["X-User"]}

    app = web.Application()
    templates.setup(
        app, loader=write_templates(**{"p.html": "{{ user }}"}), context_processors=[login_required]
    )

    async def handler(request: web.Request) -> web.Response:
        reached.append(request.path)
        return templates.render_template("p.html", request, {})

    app.router.add_get("/private", handler)
    client = await client_for(app)
    response = await client.get("/private")
    assert (response.status_code, response.headers["location"]) == (302, "/login")
    assert reached == []
    assert await client.get_text("/private", headers={"X-User": "ann"}) == "ann"
    assert reached == ["/private"]
