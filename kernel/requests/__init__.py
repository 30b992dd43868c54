"""Layer 4, requests: ``Request`` and what it reads (head, query, cookies, body, forms).

Above bodies, which a request reads, and responses (a body error is an HTTP
exception, which is a response); below the server, which builds requests.

The order of the layers and why: the ``jackfield`` package docstring.
"""

from .request import HttpVersion, HttpVersion10, HttpVersion11, Request

__all__ = ["HttpVersion", "HttpVersion10", "HttpVersion11", "Request"]
