"""Layer 3, bodies: body streams, content decoding, urlencoded forms and multipart.

Above responses because a body error IS an HTTP exception (``MultipartError``
subclasses ``HTTPBadRequest``, a response), below requests, which read bodies.
``AppKey`` lives here too: ``MULTIPART_LIMITS`` is the lowest piece of
application state, and ``jackfield.app`` re-exports the key.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from .appkey import AppKey
from .forms import FileField, FormFiles, read_multipart_form, read_post
from .multipart import *  # noqa: F403
from .multipart import __all__ as _multipart_all
from .streams import EMPTY_STREAM, BodyStream
from .urlencoded import parse_urlencoded

__all__ = [
    "AppKey",
    "FileField",
    "FormFiles",
    "read_multipart_form",
    "read_post",
    *_multipart_all,
    "EMPTY_STREAM",
    "BodyStream",
    "parse_urlencoded",
]
