"""Hook implementations of the static plugin (the entry point names this module).

``jackfield_configure_app`` gives each application's router this plugin's
``add_static`` through ``set_static_provider``, the extension point the
routing plugin documents (see ``jackfield.plugins.routing.StaticRegistry``).
A replacement router without that method simply has no ``add_static``;
``web.FileResponse`` works with any router.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._setup import add_static

if TYPE_CHECKING:
    from jackfield.app import Application

plugin_info = PluginInfo(
    name="static",
    default=True,
    requires=("routing",),
    description="static files: add_static, FileResponse, ranges, conditional requests, index pages",
)


@hookimpl
def jackfield_configure_app(app: Application) -> None:
    """Make ``app.router.add_static`` serve files with this plugin."""
    setter = getattr(app.router, "set_static_provider", None)
    if setter is not None:
        setter(add_static)
