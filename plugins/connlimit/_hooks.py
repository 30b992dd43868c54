"""Hook implementations of the connlimit plugin (the entry point names this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._setup import LIMIT

if TYPE_CHECKING:
    from jackfield.app import Application
    from jackfield.server import ConnectionGate

plugin_info = PluginInfo(
    name="connlimit",
    default=False,
    description="at most N open connections per client IP address: connlimit.setup(app, per_ip=N)",
)


@hookimpl
def jackfield_connection_gate(app: Application) -> ConnectionGate:
    """The application's ``PerIPLimit``; refuse an app that never called ``setup()``."""
    if LIMIT not in app:
        raise RuntimeError(
            "the 'connlimit' plugin is enabled but connlimit.setup(app, per_ip=N) was "
            "not called for this application; call it instead of naming 'connlimit' "
            "in Application(plugins=...)"
        )
    return app[LIMIT]
