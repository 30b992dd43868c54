"""Hook implementations of the routing plugin (the entry point names this module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jackfield.host import PluginInfo, hookimpl

from . import _cli
from ._dispatcher import UrlDispatcher

if TYPE_CHECKING:
    from jackfield.app import Application
    from jackfield.runner import CommandRegistry

plugin_info = PluginInfo(
    name="routing",
    default=True,
    description="URL dispatcher: resources, routes, views, route tables, sub-app prefixes",
)


# trylast: this is the built-in provider of a firstresult hook, so any
# third-party router plugin is asked first and replaces it.
@hookimpl(trylast=True)
def jackfield_make_router(app: Application) -> UrlDispatcher:
    """Give ``app`` a ``UrlDispatcher`` bound to it."""
    return UrlDispatcher(app)


@hookimpl
def jackfield_app_freeze(app: Application) -> None:
    """Freeze the router: compile the lookup, report routes that can never match."""
    router = app.router
    if isinstance(router, UrlDispatcher):
        router.freeze()


@hookimpl
def jackfield_add_commands(commands: CommandRegistry) -> None:
    """Add ``jackfield routes package.module:init_func``."""
    commands.add(
        "routes",
        help="print an application's routes: jackfield routes package.module:init_func",
        configure=_cli.configure_parser,
        run=_cli.run,
    )
