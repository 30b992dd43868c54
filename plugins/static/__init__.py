"""The static plugin: ``add_static``, ``web.static``, ``FileResponse``.

On by default; requires ``routing``, whose documented extension point
(``router.set_static_provider``, ``router.register_resource``) it uses
without importing it. ``app.router.add_static(prefix, path, ...)`` serves a
directory; ``web.FileResponse(path)`` sends one file from any handler.
Both do conditional requests, byte ranges, HEAD and precompressed
variants, and send with ``sendfile`` where the transport allows it. The
guide is ``docs/static.md``; for production, a reverse proxy or CDN in
front remains the better choice.
"""

from ._resource import StaticResource
from ._response import FileResponse
from ._route import StaticMatchInfo, StaticRoute
from ._setup import StaticDef, static

__all__ = [
    "FileResponse",
    "StaticDef",
    "StaticMatchInfo",
    "StaticResource",
    "StaticRoute",
    "static",
]
