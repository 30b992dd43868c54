"""Layer 2, responses: ``StreamResponse``, ``Response``, ``json_response``, the
``HTTPException`` family and the ``Connection`` interface responses write through.

Responses sit below bodies, and requests above both, because an HTTP exception
IS a response (the spec: ``raise web.HTTPNotFound()`` or return it) and a body
error IS an HTTP exception (``MultipartError`` is an ``HTTPBadRequest``), while a
request reads bodies. Only the codec (``jackfield.http``) is below this layer.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from .connection import Connection
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .response import ContentCoding, Response, StreamResponse, json_response

__all__ = [
    "Connection",
    *_exceptions_all,
    "ContentCoding",
    "Response",
    "StreamResponse",
    "json_response",
]
