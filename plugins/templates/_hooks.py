"""Hook implementations of the templates plugin (the entry point names this module).

Importable without Jinja2 (``_context`` imports it for type checking only):
every built-in plugin's metadata is read when an application is created,
whether or not it uses templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._context import make_middleware
from ._keys import ENV, PROCESSORS

if TYPE_CHECKING:
    from jackfield.app import Application

plugin_info = PluginInfo(
    name="templates",
    default=False,
    description="Jinja2 rendering: @template, render_template, url() and static() helpers",
)


@hookimpl
def jackfield_configure_app(app: Application) -> None:
    """Install the context processors' middleware, if ``setup()`` was given processors."""
    if ENV in app:
        install(app)
    # else: enabled by name; setup() installs later, or jackfield_app_freeze complains


def install(app: Application) -> None:
    """Append the middleware running ``app[PROCESSORS]``; none without processors.

    Appended, not inserted first: middlewares added before ``setup()`` (and
    the sessions plugin's, which puts itself first) have run when processors
    run, so a processor can read what they set up.
    """
    processors = app[PROCESSORS]
    if not processors:
        return  # no per-request cost for an app without processors
    middlewares = app.middlewares
    if isinstance(middlewares, tuple):  # frozen: setup() refuses that case earlier
        raise RuntimeError("templates: the application's middlewares are already frozen")
    middlewares.append(make_middleware(app[ENV], processors))


@hookimpl
def jackfield_app_freeze(app: Application) -> None:
    """Refuse an app that names the plugin but never called ``templates.setup(app)``."""
    if ENV not in app:
        raise RuntimeError(
            "the 'templates' plugin is enabled but templates.setup(app, loader=...) was "
            "not called for this application; call it instead of naming 'templates' in "
            "Application(plugins=...)"
        )
