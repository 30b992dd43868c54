"""Rendering a template for a request: ``render_string``, ``render_template`` and their async twins.

``render_string``/``render_template`` are plain functions, as in
aiohttp_jinja2: ``return render_template("page.html", request, context)``
works in any handler. An environment made with ``enable_async=True`` renders
only through Jinja2's async API, so there they raise a RuntimeError naming
``render_string_async``/``render_template_async``, which work with either
kind of environment.

The context a template sees is built in this order, later names winning:
``app`` (the request's application, which the helpers use), what the context
processors returned (run once per request, see ``_context``), then the
handler's own values. A template that cannot be found raises
``TemplateNotFoundError`` naming the template and where the loader looked,
which the server logs with the 500 it answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from jackfield.requests import Request
from jackfield.responses import Response

from ._context import processed, processed_async
from ._jinja import jinja2
from ._keys import ENV, PROCESSORS, ContextProcessor

__all__ = [
    "TemplateNotFoundError",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
]

_log = logging.getLogger("jackfield.templates")


class TemplateNotFoundError(LookupError):
    """A template named by a handler (or included by a template) does not exist."""


def render_string(name: str, request: Request, context: Mapping[str, Any] | None) -> str:
    """Render template ``name`` for ``request`` with ``context``; return the text.

    RuntimeError on an environment made with ``enable_async=True``: use
    ``await render_string_async(...)`` there.
    """
    return _render(name, request, context, "render_string")


def render_template(
    name: str,
    request: Request,
    context: Mapping[str, Any] | None,
    *,
    status: int = 200,
    encoding: str = "utf-8",
) -> Response:
    """Render template ``name`` and return it as a ``text/html`` response.

    RuntimeError on an environment made with ``enable_async=True``: use
    ``await render_template_async(...)`` there.
    """
    text = _render(name, request, context, "render_template")
    return Response(text=text, status=status, content_type="text/html", charset=encoding)


async def render_string_async(
    name: str, request: Request, context: Mapping[str, Any] | None
) -> str:
    """Render template ``name`` for ``request`` with ``context``; return the text.

    Needed with ``enable_async=True`` (Jinja2's async API renders); works
    with any environment.
    """
    env, processors = _setup_for(request)
    _check_context(context)
    values = _full_context(request, await processed_async(request, env, processors), context)
    try:
        template = env.get_template(name)
        if env.is_async:
            return await template.render_async(values)
        return template.render(values)
    except jinja2.TemplateNotFound as exc:
        raise _not_found(env, name, exc) from exc


async def render_template_async(
    name: str,
    request: Request,
    context: Mapping[str, Any] | None,
    *,
    status: int = 200,
    encoding: str = "utf-8",
) -> Response:
    """Render template ``name`` and return it as a ``text/html`` response (awaitable)."""
    text = await render_string_async(name, request, context)
    return Response(text=text, status=status, content_type="text/html", charset=encoding)


def _render(name: str, request: Request, context: Mapping[str, Any] | None, renderer: str) -> str:
    env, processors = _setup_for(request)
    if env.is_async:
        raise RuntimeError(_ASYNC_ENV.format(renderer=renderer, name=name))
    _check_context(context)
    values = _full_context(request, processed(request, env, processors, renderer), context)
    try:
        return env.get_template(name).render(values)
    except jinja2.TemplateNotFound as exc:
        raise _not_found(env, name, exc) from exc


# Jinja2's own sync render on an async environment would start a nested event loop.
_ASYNC_ENV = (
    "{renderer}({name!r}): this application's Jinja2 environment was made with "
    "enable_async=True and renders only through the async API; use "
    "'await templates.{renderer}_async(...)' (or @templates.template) instead"
)


def _setup_for(request: Request) -> tuple[jinja2.Environment, Sequence[ContextProcessor]]:
    config = request.config_dict
    try:
        env: jinja2.Environment = config[ENV]
    except KeyError:
        raise RuntimeError(
            "no Jinja2 environment for this application: call "
            "templates.setup(app, loader=...) on it (or on a parent application)"
        ) from None
    # setup() sets both keys on the same application, so they come as a pair.
    return env, config.get(PROCESSORS, ())


def _check_context(context: object) -> None:
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(
            f"a template context must be a mapping (a dict), got {type(context).__name__}: "
            f"{context!r}"
        )


def _full_context(
    request: Request, processed: Mapping[str, Any], context: Mapping[str, Any] | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"app": request.app}
    values.update(processed)
    if context:
        values.update(context)
    return values


def _not_found(
    env: jinja2.Environment, name: str, exc: jinja2.TemplateNotFound
) -> TemplateNotFoundError:
    missing = exc.name if isinstance(exc.name, str) else name
    where = f" (included while rendering {name!r})" if missing != name else ""
    message = f"template {missing!r} not found{where}; {describe_loader(env.loader)}"
    _log.error("%s", message)
    return TemplateNotFoundError(message)


def describe_loader(loader: jinja2.BaseLoader | None) -> str:
    """Say where ``loader`` looks for templates, for error messages."""
    if loader is None:
        return "the environment has no loader: pass templates.setup(app, loader=...)"
    return f"{type(loader).__name__} searched {_search_path(loader)}"


def _search_path(loader: jinja2.BaseLoader) -> str:
    if isinstance(loader, jinja2.FileSystemLoader):
        return ", ".join(str(p) for p in loader.searchpath)
    if isinstance(loader, jinja2.PackageLoader):
        return f"package {loader.package_name!r}, folder {loader.package_path!r}"
    if isinstance(loader, jinja2.DictLoader):
        return "the names " + (", ".join(repr(k) for k in sorted(loader.mapping)) or "(none)")
    if isinstance(loader, jinja2.ChoiceLoader):
        return "; then ".join(describe_loader(sub) for sub in loader.loaders)
    if isinstance(loader, jinja2.PrefixLoader):
        return "; ".join(
            f"prefix {prefix!r}: {describe_loader(sub)}" for prefix, sub in loader.mapping.items()
        )
    return repr(loader)
