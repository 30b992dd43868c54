"""Reverse URL construction from named resources."""

from __future__ import annotations

import pytest
from yarl import URL

from jackfield.plugins.routing import UrlDispatcher

from .conftest import ok


def test_plain_resource_url(router: UrlDispatcher) -> None:
    router.add_resource("/root", name="root")
    url = router["root"].url_for().with_query({"a": "b", "c": "d"})
    assert url == URL("/root?a=b&c=d")


def test_variable_resource_url(router: UrlDispatcher) -> None:
    router.add_resource("/{user}/info", name="user-info")
    url = router["user-info"].url_for(user="john_doe").with_query("a=b")
    assert str(url) == "/john_doe/info?a=b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a b", "/u/a%20b"),
        ("a/b", "/u/a%2Fb"),
        ("ä", "/u/%C3%A4"),
        ("50%", "/u/50%25"),
        ("a?b#c", "/u/a%3Fb%23c"),
        ("~-._", "/u/~-._"),
        (7, "/u/7"),
    ],
    ids=["space", "slash", "non-ascii", "percent", "query-and-fragment", "unreserved", "int"],
)
def test_parts_are_percent_encoded(router: UrlDispatcher, value: object, expected: str) -> None:
    router.add_resource("/u/{v}", name="u")
    url = router["u"].url_for(v=value)  # type: ignore[arg-type]
    assert url.raw_path == expected


def test_slash_kept_where_the_regex_spans_segments(router: UrlDispatcher) -> None:
    router.add_resource("/files/{path:.+}", name="files")
    assert router["files"].url_for(path="css/a b.css").raw_path == "/files/css/a%20b.css"


async def test_url_for_round_trips_through_resolve(router: UrlDispatcher) -> None:
    from .conftest import FakeRequest

    router.add_get("/u/{name}/{rest:.*}", ok, name="u")
    url = router["u"].url_for(name="a/b c%", rest="x/y")
    info = await router.resolve(FakeRequest("GET", url.raw_path))  # type: ignore[arg-type]
    assert dict(info) == {"name": "a/b c%", "rest": "x/y"}


def test_missing_part_names_it(router: UrlDispatcher) -> None:
    router.add_resource("/{a}/{b}", name="ab")
    with pytest.raises(KeyError, match="needs the part 'b'"):
        router["ab"].url_for(a="1")


def test_extra_part_names_it(router: UrlDispatcher) -> None:
    router.add_resource("/{a}", name="a")
    with pytest.raises(ValueError, match=r"unknown parts \['zz'\]"):
        router["a"].url_for(a="1", zz="2")


def test_parts_for_a_plain_resource_are_an_error(router: UrlDispatcher) -> None:
    router.add_resource("/p", name="p")
    with pytest.raises(ValueError, match="no variables"):
        router["p"].url_for(x="1")


def test_value_not_matching_the_regex_is_an_error(router: UrlDispatcher) -> None:
    router.add_resource(r"/n/{id:\d+}", name="n")
    with pytest.raises(ValueError, match="does not match"):
        router["n"].url_for(id="abc")


def test_route_url_for_delegates_to_its_resource(router: UrlDispatcher) -> None:
    route = router.add_get("/r/{x}", ok)
    assert route.url_for(x="1") == URL("/r/1")
