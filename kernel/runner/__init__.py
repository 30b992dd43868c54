"""Layer 8, runner and command line: ``run_app``, ``AppRunner``, sites, the ``jackfield`` command.

Above the application it runs. ``load_app`` (``module:function`` specs) is
exported for plugins that add commands.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from ._loader import AppLoadError, load_app, resolve_app
from .cli import Command, CommandRegistry, main
from .runner import (
    AddressInUseError,
    AppRunner,
    BaseSite,
    GracefulExit,
    SockSite,
    TCPSite,
    UnixSite,
    run_app,
)
from .workers import WorkerError

__all__ = [
    "AddressInUseError",
    "AppLoadError",
    "AppRunner",
    "BaseSite",
    "Command",
    "CommandRegistry",
    "GracefulExit",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "WorkerError",
    "load_app",
    "main",
    "resolve_app",
    "run_app",
]
