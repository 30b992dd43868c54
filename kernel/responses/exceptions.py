"""HTTP exceptions: one class per status code, each both an exception and a ``Response``.

A handler may ``raise`` one or ``return`` it; the connection loop sends it
either way. Every class takes the same keyword arguments as ``Response``
(``headers``, ``reason``, ``body``, ``text``, ``content_type``); with neither
body nor text it answers ``"<status>: <reason>"`` as text/plain, except the
statuses that never carry a body (204, 205, 304). ``str(exc)`` is the reason.

The groups follow the status classes: ``HTTPSuccessful`` (2xx),
``HTTPRedirection`` (3xx), ``HTTPError`` with ``HTTPClientError`` (4xx) and
``HTTPServerError`` (5xx). Redirects take the target URL first and set
``Location``; 405, 413 and 451 take the values their headers or text need.
``HTTPRequestEntityTooLarge`` is also a ``ValueError``, because the spec says an
over-size ``post()`` raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from yarl import URL

from ..http import reason_phrase
from .response import Response

__all__ = [
    "HTTPAccepted",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPConflict",
    "HTTPCreated",
    "HTTPError",
    "HTTPException",
    "HTTPExpectationFailed",
    "HTTPFailedDependency",
    "HTTPForbidden",
    "HTTPFound",
    "HTTPGatewayTimeout",
    "HTTPGone",
    "HTTPInsufficientStorage",
    "HTTPInternalServerError",
    "HTTPLengthRequired",
    "HTTPMethodNotAllowed",
    "HTTPMisdirectedRequest",
    "HTTPMovedPermanently",
    "HTTPMultipleChoices",
    "HTTPNetworkAuthenticationRequired",
    "HTTPNoContent",
    "HTTPNonAuthoritativeInformation",
    "HTTPNotAcceptable",
    "HTTPNotExtended",
    "HTTPNotFound",
    "HTTPNotImplemented",
    "HTTPNotModified",
    "HTTPOk",
    "HTTPPartialContent",
    "HTTPPaymentRequired",
    "HTTPPermanentRedirect",
    "HTTPPreconditionFailed",
    "HTTPPreconditionRequired",
    "HTTPProxyAuthenticationRequired",
    "HTTPRedirection",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPRequestTimeout",
    "HTTPRequestURITooLong",
    "HTTPResetContent",
    "HTTPSeeOther",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPSuccessful",
    "HTTPTemporaryRedirect",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "HTTPUnavailableForLegalReasons",
    "HTTPUnprocessableEntity",
    "HTTPUnsupportedMediaType",
    "HTTPUpgradeRequired",
    "HTTPUseProxy",
    "HTTPVariantAlsoNegotiates",
    "HTTPVersionNotSupported",
]

Body = bytes | bytearray | memoryview


def _header_value(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name} must not contain CR or LF (header injection): {value!r}")
    return value


class HTTPException(Response, Exception):
    """A response for one HTTP status that can also be raised; subclass per status."""

    status_code: ClassVar[int] = -1
    #: True for statuses whose responses never carry a body (RFC 9110 §15).
    empty_body: ClassVar[bool] = False

    def __init_subclass__(
        cls, *, status_code: int | None = None, empty_body: bool | None = None, **kwargs: Any
    ) -> None:
        # Class keywords keep each status class to a signature and a docstring:
        # ``class HTTPNotFound(HTTPClientError, status_code=404)``.
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
        if empty_body is not None:
            cls.empty_body = empty_body

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        cls = type(self)
        status = cls.status_code
        if status < 100:
            raise TypeError(
                f"{cls.__name__} is a group of statuses, not one; "
                "raise a concrete class such as HTTPNotFound"
            )
        if cls.empty_body:
            if body is not None or text is not None:
                raise ValueError(
                    f"{cls.__name__} ({status}) never carries a body; drop body= and text="
                )
        elif body is None and text is None:
            text = f"{status}: {reason if reason is not None else reason_phrase(status)}"
        Response.__init__(
            self,
            status=status,
            reason=reason,
            headers=headers,
            body=body,
            text=text,
            content_type=content_type,
        )
        Exception.__init__(self, self.reason)

    def __str__(self) -> str:
        return self.reason


# -- groups


class HTTPError(HTTPException):
    """Base of every 4xx and 5xx exception."""


class HTTPClientError(HTTPError):
    """Base of the 4xx exceptions: the request was wrong."""


class HTTPServerError(HTTPError):
    """Base of the 5xx exceptions: the server failed."""


class HTTPSuccessful(HTTPException):
    """Base of the 2xx exceptions."""


class HTTPRedirection(HTTPException):
    """Base of the 3xx exceptions."""


# -- 2xx


class HTTPOk(HTTPSuccessful, status_code=200):
    """200 OK."""


class HTTPCreated(HTTPSuccessful, status_code=201):
    """201 Created."""


class HTTPAccepted(HTTPSuccessful, status_code=202):
    """202 Accepted."""


class HTTPNonAuthoritativeInformation(HTTPSuccessful, status_code=203):
    """203 Non-Authoritative Information."""


class HTTPNoContent(HTTPSuccessful, status_code=204, empty_body=True):
    """204 No Content (never has a body)."""


class HTTPResetContent(HTTPSuccessful, status_code=205, empty_body=True):
    """205 Reset Content (never has a body)."""


class HTTPPartialContent(HTTPSuccessful, status_code=206):
    """206 Partial Content."""


# -- 3xx


class _HTTPMove(HTTPRedirection):
    """A redirect to ``location`` (sent as the ``Location`` header)."""

    def __init__(
        self,
        location: str | URL,
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        target = str(location)
        if not target:
            raise ValueError(
                f"{type(self).__name__} needs the URL to redirect to, got an empty location"
            )
        _header_value("location", target)
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.headers["Location"] = target

    @property
    def location(self) -> str:
        """The redirect target (the ``Location`` header)."""
        return self.headers["Location"]


class HTTPMultipleChoices(_HTTPMove, status_code=300):
    """300 Multiple Choices, with ``Location`` set to the preferred choice."""


class HTTPMovedPermanently(_HTTPMove, status_code=301):
    """301 Moved Permanently to ``location``."""


class HTTPFound(_HTTPMove, status_code=302):
    """302 Found: a temporary redirect to ``location``."""


class HTTPSeeOther(_HTTPMove, status_code=303):
    """303 See Other: fetch ``location`` with GET."""


class HTTPNotModified(HTTPRedirection, status_code=304, empty_body=True):
    """304 Not Modified (never has a body)."""


class HTTPUseProxy(_HTTPMove, status_code=305):
    """305 Use Proxy (deprecated by RFC 9110, kept for the spec)."""


class HTTPTemporaryRedirect(_HTTPMove, status_code=307):
    """307 Temporary Redirect to ``location``, keeping the method and body."""


class HTTPPermanentRedirect(_HTTPMove, status_code=308):
    """308 Permanent Redirect to ``location``, keeping the method and body."""


# -- 4xx


class HTTPBadRequest(HTTPClientError, status_code=400):
    """400 Bad Request."""


class HTTPUnauthorized(HTTPClientError, status_code=401):
    """401 Unauthorized (add a ``WWW-Authenticate`` header)."""


class HTTPPaymentRequired(HTTPClientError, status_code=402):
    """402 Payment Required."""


class HTTPForbidden(HTTPClientError, status_code=403):
    """403 Forbidden."""


class HTTPNotFound(HTTPClientError, status_code=404):
    """404 Not Found."""


class HTTPMethodNotAllowed(HTTPClientError, status_code=405):
    """405 Method Not Allowed, with the ``Allow`` header listing ``allowed_methods``."""

    def __init__(
        self,
        method: str,
        allowed_methods: Iterable[str],
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if isinstance(allowed_methods, str):
            raise TypeError(
                f"allowed_methods must be a collection of method names such as {{'GET'}}, "
                f"got the string {allowed_methods!r}"
            )
        allowed = {m.upper() for m in allowed_methods}
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.headers["Allow"] = _header_value("allowed_methods", ", ".join(sorted(allowed)))
        self._method = method.upper()
        self._allowed_methods = allowed

    @property
    def method(self) -> str:
        """The request method that was refused (upper case)."""
        return self._method

    @property
    def allowed_methods(self) -> set[str]:
        """The methods the resource accepts (upper case)."""
        return self._allowed_methods


class HTTPNotAcceptable(HTTPClientError, status_code=406):
    """406 Not Acceptable."""


class HTTPProxyAuthenticationRequired(HTTPClientError, status_code=407):
    """407 Proxy Authentication Required."""


class HTTPRequestTimeout(HTTPClientError, status_code=408):
    """408 Request Timeout."""


class HTTPConflict(HTTPClientError, status_code=409):
    """409 Conflict."""


class HTTPGone(HTTPClientError, status_code=410):
    """410 Gone."""


class HTTPLengthRequired(HTTPClientError, status_code=411):
    """411 Length Required."""


class HTTPPreconditionFailed(HTTPClientError, status_code=412):
    """412 Precondition Failed."""


class HTTPRequestEntityTooLarge(HTTPClientError, ValueError, status_code=413):
    """413: the request body is over ``max_size``; also a ``ValueError``."""

    def __init__(
        self,
        max_size: int | None = None,
        actual_size: int | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if body is None and text is None and max_size is not None:
            text = f"Maximum request body size {max_size} exceeded"
            if actual_size is not None:
                text += f", actual body size {actual_size}"
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.max_size = max_size
        self.actual_size = actual_size


class HTTPRequestURITooLong(HTTPClientError, status_code=414):
    """414 URI Too Long."""


class HTTPUnsupportedMediaType(HTTPClientError, status_code=415):
    """415 Unsupported Media Type."""


class HTTPRequestRangeNotSatisfiable(HTTPClientError, status_code=416):
    """416 Range Not Satisfiable."""


class HTTPExpectationFailed(HTTPClientError, status_code=417):
    """417 Expectation Failed (an ``Expect`` header the server cannot meet)."""


class HTTPMisdirectedRequest(HTTPClientError, status_code=421):
    """421 Misdirected Request."""


class HTTPUnprocessableEntity(HTTPClientError, status_code=422):
    """422 Unprocessable Content."""


class HTTPFailedDependency(HTTPClientError, status_code=424):
    """424 Failed Dependency."""


class HTTPUpgradeRequired(HTTPClientError, status_code=426):
    """426 Upgrade Required."""


class HTTPPreconditionRequired(HTTPClientError, status_code=428):
    """428 Precondition Required."""


class HTTPTooManyRequests(HTTPClientError, status_code=429):
    """429 Too Many Requests."""


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError, status_code=431):
    """431 Request Header Fields Too Large."""


class HTTPUnavailableForLegalReasons(HTTPClientError, status_code=451):
    """451 Unavailable For Legal Reasons, naming the blocking party's ``link`` if given."""

    def __init__(
        self,
        link: str | URL | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        reason: str | None = None,
        body: Body | None = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        target = None if link is None else _header_value("link", str(link))
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        if target:
            # RFC 7725 §3: the blocking entity is identified by rel="blocked-by".
            self.headers["Link"] = f'<{target}>; rel="blocked-by"'
        self._link = target or None

    @property
    def link(self) -> str | None:
        """The URL of the party that blocked the resource, or ``None``."""
        return self._link


# -- 5xx


class HTTPInternalServerError(HTTPServerError, status_code=500):
    """500 Internal Server Error."""


class HTTPNotImplemented(HTTPServerError, status_code=501):
    """501 Not Implemented."""


class HTTPBadGateway(HTTPServerError, status_code=502):
    """502 Bad Gateway."""


class HTTPServiceUnavailable(HTTPServerError, status_code=503):
    """503 Service Unavailable (add a ``Retry-After`` header)."""


class HTTPGatewayTimeout(HTTPServerError, status_code=504):
    """504 Gateway Timeout."""


class HTTPVersionNotSupported(HTTPServerError, status_code=505):
    """505 HTTP Version Not Supported."""


class HTTPVariantAlsoNegotiates(HTTPServerError, status_code=506):
    """506 Variant Also Negotiates."""


class HTTPInsufficientStorage(HTTPServerError, status_code=507):
    """507 Insufficient Storage."""


class HTTPNotExtended(HTTPServerError, status_code=510):
    """510 Not Extended."""


class HTTPNetworkAuthenticationRequired(HTTPServerError, status_code=511):
    """511 Network Authentication Required."""
