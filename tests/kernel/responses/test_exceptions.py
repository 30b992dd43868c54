"""Tests for jackfield.responses.exceptions: statuses, default bodies, special constructors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from yarl import URL

from jackfield.http import reason_phrase
from jackfield.responses import exceptions as exc_mod
from jackfield.responses.exceptions import (
    HTTPClientError,
    HTTPError,
    HTTPException,
    HTTPFound,
    HTTPMethodNotAllowed,
    HTTPMovedPermanently,
    HTTPMultipleChoices,
    HTTPNoContent,
    HTTPNotFound,
    HTTPNotModified,
    HTTPPermanentRedirect,
    HTTPRedirection,
    HTTPRequestEntityTooLarge,
    HTTPResetContent,
    HTTPSeeOther,
    HTTPServerError,
    HTTPSuccessful,
    HTTPTemporaryRedirect,
    HTTPUnavailableForLegalReasons,
    HTTPUseProxy,
)
from jackfield.responses.response import Response

# (class name, status): the spec's chart plus the extra 4xx/5xx the brief names.
STATUSES = [
    ("HTTPOk", 200),
    ("HTTPCreated", 201),
    ("HTTPAccepted", 202),
    ("HTTPNonAuthoritativeInformation", 203),
    ("HTTPNoContent", 204),
    ("HTTPResetContent", 205),
    ("HTTPPartialContent", 206),
    ("HTTPMultipleChoices", 300),
    ("HTTPMovedPermanently", 301),
    ("HTTPFound", 302),
    ("HTTPSeeOther", 303),
    ("HTTPNotModified", 304),
    ("HTTPUseProxy", 305),
    ("HTTPTemporaryRedirect", 307),
    ("HTTPPermanentRedirect", 308),
    ("HTTPBadRequest", 400),
    ("HTTPUnauthorized", 401),
    ("HTTPPaymentRequired", 402),
    ("HTTPForbidden", 403),
    ("HTTPNotFound", 404),
    ("HTTPMethodNotAllowed", 405),
    ("HTTPNotAcceptable", 406),
    ("HTTPProxyAuthenticationRequired", 407),
    ("HTTPRequestTimeout", 408),
    ("HTTPConflict", 409),
    ("HTTPGone", 410),
    ("HTTPLengthRequired", 411),
    ("HTTPPreconditionFailed", 412),
    ("HTTPRequestEntityTooLarge", 413),
    ("HTTPRequestURITooLong", 414),
    ("HTTPUnsupportedMediaType", 415),
    ("HTTPRequestRangeNotSatisfiable", 416),
    ("HTTPExpectationFailed", 417),
    ("HTTPMisdirectedRequest", 421),
    ("HTTPUnprocessableEntity", 422),
    ("HTTPFailedDependency", 424),
    ("HTTPUpgradeRequired", 426),
    ("HTTPPreconditionRequired", 428),
    ("HTTPTooManyRequests", 429),
    ("HTTPRequestHeaderFieldsTooLarge", 431),
    ("HTTPUnavailableForLegalReasons", 451),
    ("HTTPInternalServerError", 500),
    ("HTTPNotImplemented", 501),
    ("HTTPBadGateway", 502),
    ("HTTPServiceUnavailable", 503),
    ("HTTPGatewayTimeout", 504),
    ("HTTPVersionNotSupported", 505),
    ("HTTPVariantAlsoNegotiates", 506),
    ("HTTPInsufficientStorage", 507),
    ("HTTPNotExtended", 510),
    ("HTTPNetworkAuthenticationRequired", 511),
]
GROUPS = {
    "HTTPException",
    "HTTPError",
    "HTTPClientError",
    "HTTPServerError",
    "HTTPSuccessful",
    "HTTPRedirection",
}
MOVES = [
    HTTPMultipleChoices,
    HTTPMovedPermanently,
    HTTPFound,
    HTTPSeeOther,
    HTTPUseProxy,
    HTTPTemporaryRedirect,
    HTTPPermanentRedirect,
]
EMPTY = {204, 205, 304}


def make(cls: type[HTTPException], **kwargs: Any) -> HTTPException:
    """An instance of ``cls`` with whatever positional arguments it requires."""
    if cls in MOVES:
        return cls("/target", **kwargs)
    if cls is HTTPMethodNotAllowed:
        return cls("POST", {"GET"}, **kwargs)
    return cls(**kwargs)


def by_name(name: str) -> type[HTTPException]:
    cls: type[HTTPException] = getattr(exc_mod, name)
    assert issubclass(cls, HTTPException)
    return cls


def status_params() -> list[Any]:
    return [pytest.param(by_name(name), status, id=name) for name, status in STATUSES]


def test_all_lists_every_status_class_and_group() -> None:
    assert set(exc_mod.__all__) == {name for name, _ in STATUSES} | GROUPS
    assert len(exc_mod.__all__) == len(set(exc_mod.__all__))


@pytest.mark.parametrize(("cls", "status"), status_params())
def test_status_code_and_instance_status(cls: type[HTTPException], status: int) -> None:
    assert cls.status_code == status
    exc = make(cls)
    assert exc.status == status
    assert exc.reason == reason_phrase(status)
    assert str(exc) == exc.reason


@pytest.mark.parametrize(("cls", "status"), status_params())
def test_group_follows_status_class(cls: type[HTTPException], status: int) -> None:
    expected = {
        2: HTTPSuccessful,
        3: HTTPRedirection,
        4: HTTPClientError,
        5: HTTPServerError,
    }[status // 100]
    assert issubclass(cls, expected)
    assert issubclass(cls, HTTPError) == (status >= 400)
    assert issubclass(cls, Response)
    assert issubclass(cls, Exception)


@pytest.mark.parametrize(("cls", "status"), status_params())
def test_default_body_is_status_and_reason(cls: type[HTTPException], status: int) -> None:
    exc = make(cls)
    if cls is HTTPRequestEntityTooLarge or status in EMPTY:
        return  # covered by their own tests
    assert exc.text == f"{status}: {exc.reason}"
    assert exc.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("cls", [HTTPNoContent, HTTPResetContent, HTTPNotModified])
def test_bodiless_statuses_have_no_body(cls: type[HTTPException]) -> None:
    exc = cls()
    assert exc.empty_body
    assert exc.body is None
    assert "Content-Type" not in exc.headers


@pytest.mark.parametrize(
    "kwargs", [{"text": "hi"}, {"body": b"hi"}], ids=["text-on-204", "body-on-204"]
)
def test_bodiless_status_refuses_a_body(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="never carries a body"):
        HTTPNoContent(**kwargs)


@pytest.mark.parametrize(
    "cls",
    [HTTPException, HTTPError, HTTPClientError, HTTPServerError, HTTPSuccessful, HTTPRedirection],
)
def test_groups_cannot_be_instantiated(cls: type[HTTPException]) -> None:
    with pytest.raises(TypeError, match="raise a concrete class"):
        cls()


def test_raise_and_catch_with_zero_arguments() -> None:
    with pytest.raises(HTTPClientError) as info:
        raise HTTPNotFound()
    assert info.value.status == 404
    assert info.value.args == ("Not Found",)


def test_custom_reason_is_str_and_default_text() -> None:
    exc = HTTPNotFound(reason="Nothing Here")
    assert exc.reason == "Nothing Here"
    assert str(exc) == "Nothing Here"
    assert exc.text == "404: Nothing Here"


def test_custom_text_and_content_type() -> None:
    exc = HTTPNotFound(text="<h1>gone</h1>", content_type="text/html")
    assert exc.text == "<h1>gone</h1>"
    assert exc.headers["Content-Type"] == "text/html; charset=utf-8"


def test_custom_body_and_content_type() -> None:
    exc = HTTPNotFound(body=b'{"error": 1}', content_type="application/json")
    assert exc.body == b'{"error": 1}'
    assert exc.headers["Content-Type"] == "application/json"


def test_content_type_alone_keeps_default_text() -> None:
    exc = HTTPNotFound(content_type="text/html")
    assert exc.text == "404: Not Found"
    assert exc.content_type == "text/html"


def test_custom_headers_are_kept() -> None:
    headers = {"X-Trace": "abc", "Retry-After": "10"}
    exc = HTTPFound("/next", headers=headers)
    assert exc.headers["X-Trace"] == "abc"
    assert exc.headers["Retry-After"] == "10"
    assert exc.headers["Location"] == "/next"
    assert "Location" not in headers  # the caller's mapping is not changed


def test_body_and_text_together_are_refused() -> None:
    with pytest.raises(ValueError):
        HTTPNotFound(body=b"x", text="x")


@pytest.mark.parametrize("cls", MOVES, ids=[c.__name__ for c in MOVES])
def test_redirect_sets_location(cls: Callable[..., Any]) -> None:
    exc = cls("/new/place?q=1")
    assert exc.location == "/new/place?q=1"
    assert exc.headers["Location"] == "/new/place?q=1"


def test_redirect_accepts_a_url() -> None:
    assert HTTPFound(URL("http://example.com/a b")).location == "http://example.com/a%20b"


@pytest.mark.parametrize(
    "location",
    [pytest.param("", id="empty"), pytest.param(URL(""), id="empty-url")],
)
@pytest.mark.parametrize("cls", MOVES, ids=[c.__name__ for c in MOVES])
def test_redirect_refuses_empty_location(cls: Callable[..., Any], location: Any) -> None:
    with pytest.raises(ValueError, match="empty location"):
        cls(location)


@pytest.mark.parametrize("location", ["/a\r\nSet-Cookie: x=1", "/a\nb"], ids=["crlf", "lf"])
def test_redirect_refuses_header_injection(location: str) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        HTTPFound(location)


def test_method_not_allowed_sets_sorted_allow_header() -> None:
    exc = HTTPMethodNotAllowed("delete", ["PUT", "get", "POST"])
    assert exc.headers["Allow"] == "GET, POST, PUT"
    assert exc.method == "DELETE"
    assert exc.allowed_methods == {"GET", "POST", "PUT"}
    assert exc.text == "405: Method Not Allowed"


def test_method_not_allowed_with_nothing_allowed() -> None:
    exc = HTTPMethodNotAllowed("GET", set())
    assert exc.headers["Allow"] == ""
    assert exc.allowed_methods == set()


def test_method_not_allowed_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError, match="collection of method names"):
        HTTPMethodNotAllowed("POST", "GET")


def test_too_large_names_both_sizes() -> None:
    exc = HTTPRequestEntityTooLarge(max_size=1048576, actual_size=2000000)
    assert exc.text == "Maximum request body size 1048576 exceeded, actual body size 2000000"
    assert exc.max_size == 1048576
    assert exc.actual_size == 2000000
    assert exc.status == 413


def test_too_large_positional_limit_only() -> None:
    exc = HTTPRequestEntityTooLarge(100)
    assert exc.text == "Maximum request body size 100 exceeded"
    assert exc.actual_size is None


def test_too_large_without_sizes_uses_default_text() -> None:
    exc = HTTPRequestEntityTooLarge()
    assert exc.text == f"413: {exc.reason}"


def test_too_large_custom_text_wins() -> None:
    assert HTTPRequestEntityTooLarge(10, 20, text="too big").text == "too big"


def test_too_large_is_caught_as_value_error() -> None:
    with pytest.raises(ValueError) as info:
        raise HTTPRequestEntityTooLarge(10, 20)
    assert isinstance(info.value, HTTPClientError)
    assert isinstance(info.value, Response)


def test_legal_reasons_sets_blocked_by_link() -> None:
    exc = HTTPUnavailableForLegalReasons("https://authority.example/")
    assert exc.link == "https://authority.example/"
    assert exc.headers["Link"] == '<https://authority.example/>; rel="blocked-by"'


def test_legal_reasons_without_link() -> None:
    exc = HTTPUnavailableForLegalReasons()
    assert exc.link is None
    assert "Link" not in exc.headers


def test_legal_reasons_refuses_header_injection() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        HTTPUnavailableForLegalReasons("https://a\r\nX: y")


def test_subclass_with_class_keyword_or_attribute() -> None:
    class Teapot(HTTPClientError, status_code=418):
        """418, for the test."""

    class Nginx(HTTPClientError):
        """499, set the classic way."""

        status_code = 499

    assert Teapot().status == 418
    assert Nginx().status == 499
    assert Nginx().text == f"499: {Nginx().reason}"


def test_subclass_of_bodiless_status_stays_bodiless() -> None:
    class Quiet(HTTPNoContent):
        """Still 204."""

    assert Quiet.empty_body
    assert Quiet().body is None


def test_instances_are_hashable_and_compare_by_identity() -> None:
    a, b = HTTPNotFound(), HTTPNotFound()
    assert a != b
    assert len({a, b}) == 2
