"""One Jinja2 environment per application: ``setup`` and ``get_env``.

A sub-application without an environment of its own renders with its
parent's (looked up through ``request.config_dict``); one that called
``setup()`` has its own loader, processors and options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jackfield.app import Application

from ._helpers import make_static, url
from ._jinja import jinja2
from ._keys import ENV, PROCESSORS, ContextProcessor

__all__ = ["get_env", "setup"]


def setup(
    app: Application,
    *,
    loader: jinja2.BaseLoader | None = None,
    context_processors: Iterable[ContextProcessor] = (),
    autoescape: bool | Callable[[str | None], bool] = True,
    enable_async: bool = False,
    default_helpers: bool = True,
    **env_kwargs: Any,
) -> jinja2.Environment:
    """Create the application's Jinja2 environment, enable the plugin, return the environment.

    ``loader`` finds templates (``jinja2.FileSystemLoader("templates")``...).
    ``context_processors`` (plain or async callables taking the request and
    returning a mapping) run once per request, in order, before the handler:
    ``setup()`` appends a middleware that runs them to ``app.middlewares``
    (none without processors), so middlewares added earlier, such as a
    session middleware, have run when they do. What they return is added
    to every context (the handler's own values win). ``autoescape`` is on
    for every template by default (a ``jinja2.select_autoescape(...)``
    callable is accepted). With ``enable_async=True`` templates render
    through Jinja2's async API, so they may call async functions; render
    with ``@template`` or the ``*_async`` renderers then. ``default_helpers``
    adds the ``url()`` and ``static()`` globals. Other keywords go to
    ``jinja2.Environment``.
    """
    from . import _hooks

    if ENV in app:
        raise RuntimeError(
            "templates.setup() was already called for this application; call it once"
        )
    if loader is not None and not isinstance(loader, jinja2.BaseLoader):
        raise TypeError(
            "loader must be a jinja2 loader such as jinja2.FileSystemLoader(folder), "
            f"got {loader!r}"
        )
    processors = tuple(context_processors)
    for processor in processors:
        if not callable(processor):
            raise TypeError(
                f"context processors must be callables taking the request, got {processor!r}"
            )
    env = jinja2.Environment(
        loader=loader, autoescape=autoescape, enable_async=enable_async, **env_kwargs
    )
    if default_helpers:
        env.globals["url"] = url
        env.globals["static"] = make_static(app)
    if app.frozen or app.pre_frozen:
        raise RuntimeError(
            "templates.setup() came after the application started (it is frozen); "
            "call it while building the app, before run_app()"
        )
    app[ENV] = env
    app[PROCESSORS] = processors
    try:
        # Enabling runs the plugin's jackfield_configure_app, which installs the
        # processors' middleware; enabled by name earlier, that hook already ran.
        if not app.plugins.enable(_hooks, reason="enabled by templates.setup()"):
            _hooks.install(app)
    except BaseException:
        del app[ENV], app[PROCESSORS]
        raise
    return env


def get_env(app: Application) -> jinja2.Environment:
    """Return the environment ``templates.setup(app)`` created; RuntimeError if none."""
    try:
        return app[ENV]
    except KeyError:
        raise RuntimeError(
            "no Jinja2 environment for this application: call "
            "templates.setup(app, loader=...) before run_app()"
        ) from None
