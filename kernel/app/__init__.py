"""Layer 7, application: ``Application``, ``AppKey``, middlewares, signals, the router ABCs.

Above the plugin host (an application composes itself from plugins) and the
server (``app.make_handler()``); the ABCs name ``Request`` and responses in
type annotations only.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from .abc import AbstractMatchInfo, AbstractRouter, no_expectation
from .app import AppKey, Application, CleanupContext, Handler, Middleware, middleware
from .signals import Signal

__all__ = [
    "AbstractMatchInfo",
    "AbstractRouter",
    "AppKey",
    "Application",
    "CleanupContext",
    "Handler",
    "Middleware",
    "Signal",
    "middleware",
    "no_expectation",
]
