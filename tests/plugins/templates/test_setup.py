"""Set-up and failure modes: missing templates, set-up mistakes, sub-apps, no Jinja2."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from typing import Any

import jinja2
import pytest

from jackfield import web
from jackfield.host.host import discover
from jackfield.plugins import templates

from .conftest import WriteTemplates


async def test_missing_template_is_a_500_whose_log_names_it_and_the_search_path(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    loader = write_templates(**{"other.html": "x"})
    app = web.Application()
    templates.setup(app, loader=loader)

    @templates.template("missing.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    response = await client.get("/")
    assert response.status_code == 500
    assert loader.searchpath[0] not in response.text  # not outside debug mode
    [record] = [r for r in caplog.records if r.name == "jackfield.templates"]
    assert record.getMessage() == (
        f"template 'missing.html' not found; FileSystemLoader searched {loader.searchpath[0]}"
    )


async def test_missing_included_template_is_named_with_its_includer(
    client_for: Any, write_templates: WriteTemplates, caplog: pytest.LogCaptureFixture
) -> None:
    app = web.Application()
    templates.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [
                write_templates("one", **{"page.html": "{% include 'part.html' %}"}),
                jinja2.DictLoader({"x.html": ""}),
            ]
        ),
    )

    @templates.template("page.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    client = await client_for(app)
    caplog.set_level(logging.ERROR)
    assert (await client.get("/")).status_code == 500
    [record] = [r for r in caplog.records if r.name == "jackfield.templates"]
    message = record.getMessage()
    assert message.startswith(
        "template 'part.html' not found (included while rendering 'page.html')"
    )
    assert (
        "FileSystemLoader searched" in message
        and "then DictLoader searched the names 'x.html'" in message
    )


async def test_sub_application_with_its_own_environment(
    client_for: Any, write_templates: WriteTemplates
) -> None:
    app = web.Application()
    templates.setup(app, loader=write_templates("main", **{"page.html": "main"}))
    sub = web.Application()
    sub_env = templates.setup(sub, loader=write_templates("sub", **{"page.html": "sub"}))

    @templates.template("page.html")
    async def handler(request: web.Request) -> dict[str, Any]:
        return {}

    app.router.add_get("/", handler)
    sub.router.add_get("/", handler)
    app.add_subapp("/sub", sub)
    client = await client_for(app)
    assert await client.get_text("/") == "main"
    assert await client.get_text("/sub/") == "sub"
    assert templates.get_env(sub) is sub_env is not templates.get_env(app)


def test_setup_enables_the_plugin_and_refuses_a_second_call(
    write_templates: WriteTemplates,
) -> None:
    app = web.Application()
    assert not app.plugins.is_enabled("templates")
    templates.setup(app, loader=write_templates())
    [entry] = [e for e in app.plugins.enabled if e.name == "templates"]
    assert entry.reason == "enabled by templates.setup()"
    with pytest.raises(RuntimeError, match="already called"):
        templates.setup(app, loader=write_templates())


def test_the_plugin_is_installed_and_off_by_default() -> None:
    assert "templates" in discover()
    assert "templates" not in web.Application().plugins.enabled_names()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"loader": "templates/"}, TypeError, "must be a jinja2 loader"),
        ({"context_processors": [3]}, TypeError, "callables taking the request"),
        ({"no_such_env_option": 1}, TypeError, "no_such_env_option"),
    ],
    ids=["loader-is-a-string", "processor-not-callable", "unknown-env-option"],
)
def test_setup_mistakes_are_clear(kwargs: dict[str, Any], error: type, message: str) -> None:
    app = web.Application()
    with pytest.raises(error, match=message):
        templates.setup(app, **kwargs)
    assert not app.plugins.is_enabled("templates")


def test_get_env_without_setup_says_what_to_call() -> None:
    with pytest.raises(RuntimeError, match=r"templates\.setup\(app, loader=\.\.\.\)"):
        templates.get_env(web.Application())


def test_template_decorator_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'no-such-codec'"):
        templates.template("page.html", encoding="no-such-codec")
    with pytest.raises(TypeError, match="needs a template name"):
        templates.template("")


async def test_setup_after_start_and_hook_app_freeze_without_setup_are_refused(
    write_templates: WriteTemplates,
) -> None:
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        with pytest.raises(RuntimeError, match="frozen"):
            templates.setup(app, loader=write_templates())
    finally:
        await runner.cleanup()
    named = web.AppRunner(web.Application(plugins=["routing", "templates"]), access_log=None)
    with pytest.raises(
        RuntimeError, match=r"templates\.setup\(app, loader=\.\.\.\) was not called"
    ):
        await named.setup()
    await named.cleanup()


def test_without_jinja2_the_plugin_names_the_extra() -> None:
    # A child interpreter where importing jinja2 fails, as if it were not installed.
    code = textwrap.dedent(
        """
        import sys
        sys.modules["jinja2"] = None
        from jackfield import web
        web.Application()  # plugin discovery still works
        from jackfield.plugins import templates
        try:
            templates.setup
        except ImportError as exc:
            print("attr:", exc)
        try:
            from jackfield.plugins.templates import template
        except ImportError as exc:
            print("from:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    lines = out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "pip install 'jackfield[templates]'" in line
