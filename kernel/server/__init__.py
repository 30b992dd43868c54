"""Layer 5, server: the connection (``HttpProtocol``), its factory (``Server``) and the access log.

The only layer that touches transports: it feeds the codec, builds requests,
runs handlers and writes responses. ``HttpProtocol`` and ``turn_flusher`` are
exported for plugins that take a connection over (WebSocket).

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
"""

from .accesslog import DEFAULT_FORMAT, DIRECTIVES, AccessLogger
from .protocol import HttpProtocol, RawReceiver, TurnFlusher, turn_flusher
from .server import AccessLoggerProtocol, Server, make_server

__all__ = [
    "DEFAULT_FORMAT",
    "DIRECTIVES",
    "AccessLogger",
    "AccessLoggerProtocol",
    "HttpProtocol",
    "RawReceiver",
    "Server",
    "TurnFlusher",
    "make_server",
    "turn_flusher",
]
