"""Layer 9, testing: a real server on loopback and a client for it, and the pytest plugin.

The top layer: it starts applications with the runner. This package is the
pytest plugin (entry point ``pytest11``); its fixtures come from
``testing.py``, and ``make_mocked_request`` is imported on first use (the
module ``__getattr__``), so that loading the plugin stays cheap.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from ._shared import module_client
from ._websocket import TestWebSocket, WebSocketClosedError
from .testing import TestClient, TestServer, client_for, server_for
from .testing import __getattr__ as __getattr__  # make_mocked_request, on first use

__all__ = [
    "TestClient",
    "TestServer",
    "TestWebSocket",
    "WebSocketClosedError",
    "client_for",
    "make_mocked_request",
    "module_client",
    "server_for",
]
