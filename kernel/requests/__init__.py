"""Layer 4, requests: ``Request`` and what it reads (head, query, cookies, body, forms).

Above bodies, which a request reads, and responses (a body error is an HTTP
exception, which is a response); below the server, which builds requests.

Layers, lowest first (a layer imports only the layers below it; import-linter's
``layers`` contract in pyproject.toml checks it): ``http`` (the codec),
``responses``, ``bodies``, ``requests``, ``server``, ``host``, ``app``,
``runner``, ``testing``.
Responses sit below bodies because a body error is an HTTP exception and an
HTTP exception is a response; requests, which read bodies, sit above both.
"""

from .request import HttpVersion, HttpVersion10, HttpVersion11, Request

__all__ = ["HttpVersion", "HttpVersion10", "HttpVersion11", "Request"]
