"""Hook implementations of the websocket plugin (the entry point names this module).

The plugin needs no hook: ``WebSocketResponse`` takes a connection over by
itself, through ``HttpProtocol.take_over`` after its 101. Being a plugin still
matters: it is listed by ``jackfield plugins``, it ships its public names
through ``jackfield.web``, and a third party can provide ``"websocket"``
instead. It works with any router, so it requires no other plugin.
"""

from __future__ import annotations

from jackfield.host import PluginInfo

plugin_info = PluginInfo(
    name="websocket",
    default=True,
    description="WebSockets (RFC 6455): WebSocketResponse, permessage-deflate, heartbeats",
)
