"""Hook implementations of the sessions plugin (the entry point names this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._middleware import save_on_prepare, session_middleware
from ._setup import STORAGE_KEY

if TYPE_CHECKING:
    from jackfield.app import Application

plugin_info = PluginInfo(
    name="sessions",
    default=False,
    description="user sessions: cookie, encrypted-cookie, memory and Redis storages",
)


@hookimpl
def jackfield_configure_app(app: Application) -> None:
    """Install the session middleware (first) and the prepare-time save, if set up."""
    if STORAGE_KEY in app:
        install(app)
    # else: enabled by name; setup() installs later, or jackfield_app_freeze complains


def install(app: Application) -> None:
    """Put the middleware first in ``app.middlewares`` and connect ``save_on_prepare``."""
    storage = app[STORAGE_KEY]
    middlewares = app.middlewares
    if isinstance(middlewares, tuple):  # frozen: setup() refuses that case earlier
        raise RuntimeError("sessions: the application's middlewares are already frozen")
    middlewares.insert(0, session_middleware(storage))
    app.on_response_prepare.append(save_on_prepare)


@hookimpl
def jackfield_app_freeze(app: Application) -> None:
    """Refuse an app that enabled the plugin without giving it a storage."""
    if STORAGE_KEY not in app:
        raise RuntimeError(
            "the sessions plugin is enabled but has no storage: call "
            "sessions.setup(app, storage) instead of naming 'sessions' in plugins=[...]"
        )
