"""The templates plugin: Jinja2 rendering for jackfield applications.

Off by default; ``templates.setup(app, loader=...)`` enables it. What an
application gets:

* one ``jinja2.Environment`` per application (``get_env(app)``); a
  sub-application without its own uses its parent's;
* ``@templates.template("page.html")`` on async handlers, plain functions and
  ``web.View`` methods: a returned dict is rendered as ``text/html``, a
  returned ``StreamResponse`` passes through;
* ``render_template(name, request, context)`` (a ``Response``) and
  ``render_string(name, request, context)`` (the text), plain functions as in
  aiohttp_jinja2; ``await render_template_async(...)`` and
  ``await render_string_async(...)`` for ``enable_async=True`` environments;
* context processors, run once per request before the handler by a
  middleware ``setup()`` adds when there are any (``request_processor`` puts
  ``request`` in the context), and the globals ``url('route-name', **parts, query_={...})`` and
  ``static('path')``;
* a missing template is a 500 whose log names the template and where the
  loader looked; ``enable_async=True`` renders with Jinja2's async API.

Jinja2 comes with the ``templates`` extra. This package imports without it
(plugin discovery reads every built-in plugin's metadata), but any of its
names, ``templates.setup`` or ``from jackfield.plugins.templates import
template``, raises ImportError naming the extra. The guide is
``docs/templates.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._decorator import template
    from ._helpers import STATIC_ROUTE, request_processor
    from ._keys import ENV, PROCESSORS, STATIC_ROOT_URL, ContextProcessor
    from ._render import (
        TemplateNotFoundError,
        render_string,
        render_string_async,
        render_template,
        render_template_async,
    )
    from ._setup import get_env, setup

__all__ = [
    "ENV",
    "PROCESSORS",
    "STATIC_ROOT_URL",
    "STATIC_ROUTE",
    "ContextProcessor",
    "TemplateNotFoundError",
    "get_env",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
    "request_processor",
    "setup",
    "template",
]

# Where each public name lives; imported on first use, so Jinja2 is only needed then.
_HOME = {
    "ENV": "_keys",
    "PROCESSORS": "_keys",
    "STATIC_ROOT_URL": "_keys",
    "ContextProcessor": "_keys",
    "STATIC_ROUTE": "_helpers",
    "request_processor": "_helpers",
    "TemplateNotFoundError": "_render",
    "render_string": "_render",
    "render_string_async": "_render",
    "render_template": "_render",
    "render_template_async": "_render",
    "get_env": "_setup",
    "setup": "_setup",
    "template": "_decorator",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importlib.import_module(f"{__name__}._jinja")  # the ImportError naming the extra
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
