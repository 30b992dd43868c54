"""Hook implementations of the expect plugin (the entry point names this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from ._handler import default_expect_handler

if TYPE_CHECKING:
    from jackfield.app import Application

    from ._handler import ExpectHandler

plugin_info = PluginInfo(
    name="expect",
    default=True,
    description="Expect header: lazy 100 Continue, 417 for other expectations",
)


# trylast: the built-in provider of a firstresult hook; a third-party plugin wins.
@hookimpl(trylast=True)
def jackfield_default_expect_handler(app: Application) -> ExpectHandler:
    """Give ``app`` the default expect handler, used by routes without their own."""
    return default_expect_handler
