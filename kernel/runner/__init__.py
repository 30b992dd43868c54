"""Layer 8, runner and command line: ``run_app``, ``AppRunner``, sites, the ``jackfield`` command.

Above the application it runs. ``load_app`` (``module:function`` specs) is
exported for plugins that add commands.

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
"""

from ._loader import AppLoadError, load_app, resolve_app
from .cli import Command, CommandRegistry, main
from .runner import AppRunner, BaseSite, GracefulExit, SockSite, TCPSite, UnixSite, run_app

__all__ = [
    "AppLoadError",
    "AppRunner",
    "BaseSite",
    "Command",
    "CommandRegistry",
    "GracefulExit",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "load_app",
    "main",
    "resolve_app",
    "run_app",
]
