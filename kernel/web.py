"""The public face of jackfield: ``from jackfield import web``.

It gathers the kernel's API and the public names of the standard plugins that
are on by default. It is the only kernel module that imports from
``jackfield.plugins`` (an import-linter contract checks that).

Run as ``python -m jackfield.web -H HOST -P PORT package.module:init_func``
to serve an application (see ``docs/running.md``).
"""

from __future__ import annotations

# Public names of the standard plugins that are on by default.
from jackfield.plugins.routing import (
    METH_ANY,
    AbstractResource,
    AbstractRoute,
    DynamicResource,
    MatchInfoError,
    PlainResource,
    PrefixedSubAppResource,
    PrefixResource,
    Resource,
    ResourceRegistry,
    ResourceRoute,
    ResourcesView,
    RouteConflictError,
    RouteDef,
    RouteShadowWarning,
    RoutesView,
    RouteTableDef,
    StaticProvider,
    StaticRegistry,
    UrlDispatcher,
    UrlMappingMatchInfo,
    View,
    delete,
    get,
    head,
    normalize_path_middleware,
    options,
    patch,
    post,
    put,
    route,
    view,
)
from jackfield.plugins.static import FileResponse, StaticResource, static
from jackfield.plugins.websocket import (
    WebSocketError,
    WebSocketReady,
    WebSocketResponse,
    WebSocketTimeoutError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)

from .app.abc import AbstractMatchInfo, AbstractRouter
from .app.app import AppKey, Application, CleanupContext, Handler, middleware
from .app.signals import Signal
from .bodies.forms import FileField
from .bodies.multipart import (
    MULTIPART_LIMITS,
    BodyPartReader,
    MultipartError,
    MultipartLimitError,
    MultipartLimits,
    MultipartReader,
    set_multipart_limits,
)
from .bodies.streams import BodyStream
from .http import Limits
from .requests.request import HttpVersion, HttpVersion10, HttpVersion11, Request
from .responses.exceptions import *  # noqa: F403
from .responses.exceptions import __all__ as _exceptions_all
from .responses.response import ContentCoding, Response, StreamResponse, json_response
from .runner.runner import (
    AppRunner,
    BaseSite,
    GracefulExit,
    SockSite,
    TCPSite,
    UnixSite,
    run_app,
)
from .server.protocol import HttpProtocol
from .server.server import Server

__all__ = [
    "AbstractMatchInfo",
    "AbstractRouter",
    "AppKey",
    "AppRunner",
    "Application",
    "BaseSite",
    "BodyStream",
    "CleanupContext",
    "ContentCoding",
    "FileField",
    "MULTIPART_LIMITS",
    "BodyPartReader",
    "MultipartError",
    "MultipartLimitError",
    "MultipartLimits",
    "MultipartReader",
    "set_multipart_limits",
    "GracefulExit",
    "Handler",
    "HttpProtocol",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "Limits",
    "Request",
    "Response",
    "Server",
    "Signal",
    "SockSite",
    "StreamResponse",
    "TCPSite",
    "UnixSite",
    "json_response",
    "middleware",
    "run_app",
    *_exceptions_all,
    # routing plugin
    "METH_ANY",
    "AbstractResource",
    "AbstractRoute",
    "DynamicResource",
    "MatchInfoError",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRegistry",
    "ResourceRoute",
    "ResourcesView",
    "StaticProvider",
    "StaticRegistry",
    "RouteConflictError",
    "RouteDef",
    "RouteShadowWarning",
    "RouteTableDef",
    "RoutesView",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "delete",
    "get",
    "head",
    "normalize_path_middleware",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "view",
    # static plugin
    "FileResponse",
    "StaticResource",
    "static",
    # websocket plugin
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReady",
    "WebSocketResponse",
    "WebSocketTimeoutError",
]

if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess test
    import sys

    from .runner._serve import serve_main

    sys.exit(serve_main())
