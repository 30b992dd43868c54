"""Layer 7, application: ``Application``, ``AppKey``, middlewares, signals, the router ABCs.

Above the plugin host (an application composes itself from plugins) and the
server (``app.make_handler()``); the ABCs name ``Request`` and responses in
type annotations only.

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
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
