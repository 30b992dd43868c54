"""Hook implementations of the templates plugin (the entry point names this module).

Importable without Jinja2: every built-in plugin's metadata is read when an
application is created, whether or not it uses templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._keys import ENV

if TYPE_CHECKING:
    from jackfield.app import Application

plugin_info = PluginInfo(
    name="templates",
    default=False,
    description="Jinja2 rendering: @template, render_template, url() and static() helpers",
)


@hookimpl
def jackfield_app_freeze(app: Application) -> None:
    """Refuse an app that names the plugin but never called ``templates.setup(app)``."""
    if ENV not in app:
        raise RuntimeError(
            "the 'templates' plugin is enabled but templates.setup(app, loader=...) was "
            "not called for this application; call it instead of naming 'templates' in "
            "Application(plugins=...)"
        )
