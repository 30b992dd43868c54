"""Rendering a template for a request: ``render_string`` and ``render_template``.

The context a template sees is built in this order, later names winning:
``app`` (the request's application, which the helpers use), what each context
processor returns, then the handler's own values. A template that cannot be
found raises ``TemplateNotFoundError`` naming the template and where the
loader looked, which the server logs with the 500 it answers.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from jackfield.requests import Request
from jackfield.responses import Response

from ._jinja import jinja2
from ._keys import ENV, PROCESSORS

__all__ = ["TemplateNotFoundError", "render_string", "render_template"]

_log = logging.getLogger("jackfield.templates")


class TemplateNotFoundError(LookupError):
    """A template named by a handler (or included by a template) does not exist."""


async def render_string(name: str, request: Request, context: Mapping[str, Any] | None) -> str:
    """Render template ``name`` for ``request`` with ``context``; return the text."""
    env = _env_for(request)
    values = await _full_context(request, context)
    try:
        template = env.get_template(name)
        if env.is_async:
            return await template.render_async(values)
        return template.render(values)
    except jinja2.TemplateNotFound as exc:
        raise _not_found(env, name, exc) from exc


async def render_template(
    name: str,
    request: Request,
    context: Mapping[str, Any] | None,
    *,
    status: int = 200,
    encoding: str = "utf-8",
) -> Response:
    """Render template ``name`` and return it as a ``text/html`` response."""
    text = await render_string(name, request, context)
    return Response(text=text, status=status, content_type="text/html", charset=encoding)


def _env_for(request: Request) -> jinja2.Environment:
    try:
        env: jinja2.Environment = request.config_dict[ENV]
    except KeyError:
        raise RuntimeError(
            "no Jinja2 environment for this application: call "
            "templates.setup(app, loader=...) on it (or on a parent application)"
        ) from None
    return env


async def _full_context(request: Request, context: Mapping[str, Any] | None) -> dict[str, Any]:
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(
            f"a template context must be a mapping (a dict), got {type(context).__name__}: "
            f"{context!r}"
        )
    values: dict[str, Any] = {"app": request.app}
    for processor in request.config_dict.get(PROCESSORS, ()):
        extra = processor(request)
        if inspect.isawaitable(extra):
            extra = await extra
        values.update(extra)
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
