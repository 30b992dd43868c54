"""Every hook a jackfield plugin can implement, and the markers to write them.

This module is the whole contract between the kernel and its plugins: the
plugin host (``jackfield.host``) adds these specifications to each
application's plugin manager and refuses implementations of hooks not listed
here. Hooks run when an application is composed and frozen, or when the
``jackfield`` command starts; never while a request is served. A hook that
needs per-request behaviour returns the object the kernel will call.

Plugin authors write::

    from jackfield import hookimpl

    @hookimpl
    def jackfield_configure_app(app):
        ...

An implementation may accept fewer arguments than the specification lists,
which is how hooks grow new arguments without breaking anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ..app.abc import AbstractRouter, ExpectHandler
    from ..app.app import Application
    from ..runner.cli import CommandRegistry
    from ..server.admission import ConnectionGate

# The hook specifications are public but stay out of __all__: a plugin module that
# star-imports this one must not end up holding unmarked ``jackfield_*`` functions.
__all__ = ["PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name; plugin managers and markers must all use it.
PROJECT = "jackfield"

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marker for hook specifications (used by this module only)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for hook implementations: decorate each ``jackfield_*`` function with it."""


# -- composition: once per application, while ``Application(...)`` runs -------------------------


@hookspec(firstresult=True)
def jackfield_make_router(app: Application) -> AbstractRouter | None:
    """Return the router to install as ``app.router``; the first non-None result wins.

    Called once per application, while it is composed, after its plugins are
    enabled and before ``jackfield_configure_app``.

    ``app``: the application being composed (not frozen, no router yet).

    ``firstresult``: implementations run in plugin order and the first one
    returning something other than ``None`` provides the router; the rest are
    not called. Built-in routers are marked ``trylast=True`` so a third-party
    router replaces them. If every implementation returns ``None`` (or none
    exists) the application has no router and ``app.router`` raises.
    Not historic. Added in 0.1.
    """


@hookspec
def jackfield_configure_app(app: Application) -> None:
    """Configure a freshly composed application; the return value is ignored.

    Called once per application and plugin, right after the plugins are
    enabled and the router is made (``app.router`` is available). A plugin
    enabled later by its own ``setup(app, ...)`` gets this call for itself
    alone, at that moment. Plugins may add signal receivers, middlewares,
    routes and state here.

    ``app``: the application being composed (not frozen).

    Every implementation runs, in plugin order (see ``docs/plugins.md``).
    Neither ``firstresult`` nor historic. Added in 0.1.
    """


# -- freeze: once per application, when it starts serving -----------------------------------------


@hookspec
def jackfield_app_freeze(app: Application) -> None:
    """Check or finish the configuration of an application that is freezing.

    Called once per application, when it freezes (``run_app()`` or a test
    client starting it), after its middlewares and signals became
    read-only. Raise an error here to refuse a broken configuration at
    start-up rather than on the first request; for example the router
    reports routes that can never match. The return value is ignored.

    ``app``: the application being frozen (``app.pre_frozen`` is true).

    Every implementation runs, in plugin order. Neither ``firstresult`` nor
    historic. Added in 0.1.
    """


@hookspec(firstresult=True)
def jackfield_default_expect_handler(app: Application) -> ExpectHandler | None:
    """Provide the expect handler for routes that have none of their own.

    Called once per application, when it freezes, after
    ``jackfield_app_freeze``. The kernel calls the handler returned for every
    request carrying ``Expect`` whose route was registered without an
    ``expect_handler`` (its match info's handler is ``jackfield.app.no_expectation``).
    The handler returns ``None`` to go on, a response to answer instead, or
    raises an ``HTTPException`` (417 for an expectation it cannot meet).

    ``app``: the application being frozen.

    ``firstresult``: the first non-``None`` result, in plugin order, wins; the
    built-in ``expect`` plugin is ``trylast``. With no result the kernel
    accepts every expectation and sends ``100 Continue`` when the body is first
    read. Not historic. Added in 0.1.
    """


@hookspec
def jackfield_connection_gate(app: Application) -> ConnectionGate | None:
    """Return an object that decides, per connection, whether the server keeps it.

    Called once per application, when it freezes, after
    ``jackfield_default_expect_handler``. Only the gates of the application
    the server serves (the root one) are used. The server calls
    ``gate.connection_made(peername)`` for each accepted connection, before
    reading from it: ``False`` closes it at once (logged at debug level), and
    ``gate.connection_lost(peername)`` when a connection it admitted closes.
    ``peername`` is the transport's (``(host, port)`` for TCP). Keep both
    calls cheap: they run for every connection. See
    ``jackfield.server.ConnectionGate`` and the ``connlimit`` plugin.

    ``app``: the application being frozen.

    Every implementation runs, in plugin order; each non-``None`` result is
    a gate, asked in that order, and a connection is kept only if every gate
    admits it. With no gate, no call is made per connection. Neither
    ``firstresult`` nor historic. Added in 0.1.
    """


# -- command line: once per process, when the ``jackfield`` command starts ------------------------


@hookspec
def jackfield_add_commands(commands: CommandRegistry) -> None:
    """Contribute subcommands to the ``jackfield`` command; the return value is ignored.

    Called once per process when the ``jackfield`` command starts, on a
    plugin manager that holds every installed plugin (not an application's:
    no application exists yet).

    ``commands``: the registry; call ``commands.add(name, help=..., run=...,
    configure=...)`` for each subcommand (see ``jackfield.runner.CommandRegistry``).

    Every implementation runs, in plugin order. Neither ``firstresult`` nor
    historic. Added in 0.1.
    """
