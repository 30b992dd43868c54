"""Hook implementations of the jobs plugin (the entry point names this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._setup import SCHEDULER

if TYPE_CHECKING:
    from jackfield.app import Application

plugin_info = PluginInfo(
    name="jobs",
    default=False,
    description="spawn() and @atomic: work that survives client disconnects, drained at shutdown",
)


@hookimpl
def jackfield_app_freeze(app: Application) -> None:
    """Refuse an app that names the plugin but never called ``jobs.setup(app)``."""
    if SCHEDULER not in app:
        raise RuntimeError(
            "the 'jobs' plugin is enabled but jobs.setup(app) was not called for this "
            "application; call jobs.setup(app, ...) instead of naming 'jobs' in "
            "Application(plugins=...)"
        )
