"""Layer 5, server: the connection (``HttpProtocol``), its factory (``Server``) and the access log.

The only layer that touches transports: it feeds the codec, builds requests,
runs handlers and writes responses. ``HttpProtocol`` and ``turn_flusher`` are
exported for plugins that take a connection over (WebSocket);
``ConnectionGate`` for plugins that refuse connections (hook
``jackfield_connection_gate``).

The order of the layers and why: the ``jackfield`` package docstring.
"""

from .accesslog import DEFAULT_FORMAT, DIRECTIVES, AccessLogger
from .admission import ConnectionGate
from .listener import PausableListener
from .protocol import HttpProtocol, RawReceiver, TurnFlusher, turn_flusher
from .server import AccessLoggerProtocol, Server, make_server

__all__ = [
    "DEFAULT_FORMAT",
    "DIRECTIVES",
    "AccessLogger",
    "AccessLoggerProtocol",
    "ConnectionGate",
    "HttpProtocol",
    "PausableListener",
    "RawReceiver",
    "Server",
    "TurnFlusher",
    "make_server",
    "turn_flusher",
]
