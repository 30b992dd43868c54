"""Bad request paths: always a 4xx from the router, never a handler that was not meant."""

from __future__ import annotations

import pytest

from jackfield.plugins.routing import UrlDispatcher

from .conftest import Resolve, ok

BAD_PATHS = [
    ("/files/%zz", 400),
    ("/files/%4", 400),
    ("/files/a%4g", 400),
    ("/files/%", 400),
    ("/files/%00", 400),
    ("/files/a%00b", 400),
    ("/files/%ff", 400),
    ("/files/%C3%28", 400),
    ("/files/../etc/passwd", 404),
    ("/files/%2e%2e/etc/passwd", 404),
    ("/files/%2E%2e/x", 404),
    ("/files/.%2e/x", 404),
    ("/files/./x", 404),
    ("/files/x/..", 404),
    ("/files//x", 404),
    ("//files/x", 404),
    ("*", 404),
    ("/files/" + "a/" * 32768, 404),
    ("/files/..%2Fetc%2Fpasswd", 404),
    ("/files/..%2fsecret", 404),
    ("/files/%2e%2e%5cx", 404),
    ("/files/x%5C..%5Cy", 404),
    ("/files/..\\x", 404),
    ("/files/x\\.", 404),
]


@pytest.fixture
def guarded(router: UrlDispatcher) -> UrlDispatcher:
    router.add_get("/files/{name}", ok)
    router.add_get("/files/x/{name}", ok)
    router.add_get("/{a}/{b}/{c}", ok)
    router.add_get("/etc/passwd", ok)
    return router


@pytest.mark.parametrize(
    ("path", "status"),
    BAD_PATHS,
    ids=[
        "invalid-escape-zz",
        "truncated-escape-at-end",
        "escape-with-non-hex",
        "lone-percent",
        "nul-escape",
        "nul-escape-inside",
        "non-utf8-escape",
        "invalid-utf8-sequence",
        "dot-dot-segment",
        "escaped-dot-dot",
        "escaped-dot-dot-mixed-case",
        "half-escaped-dot-dot",
        "dot-segment",
        "trailing-dot-dot",
        "double-slash",
        "leading-double-slash",
        "asterisk-form",
        "64k-of-segments",
        "dot-dot-then-escaped-slash",
        "dot-dot-then-lowercase-escaped-slash",
        "escaped-dot-dot-escaped-backslash",
        "dot-dot-between-escaped-backslashes",
        "dot-dot-then-backslash",
        "backslash-then-dot",
    ],
)
async def test_bad_path_gets_4xx_not_a_handler(
    guarded: UrlDispatcher, resolve: Resolve, path: str, status: int
) -> None:
    info = await resolve("GET", path)
    assert info.http_exception is not None, f"{path[:40]!r} reached {info.route!r}"
    assert info.http_exception.status == status


async def test_escaped_slash_stays_inside_a_variable(
    guarded: UrlDispatcher, resolve: Resolve
) -> None:
    info = await resolve("GET", "/files/etc%2Fpasswd")
    assert dict(info) == {"name": "etc/passwd"}  # one segment, never a path traversal
    info = await resolve("GET", "/files/a%5Cb..c")
    assert dict(info) == {"name": "a\\b..c"}  # no dot segment: allowed


async def test_dots_inside_a_segment_are_fine(guarded: UrlDispatcher, resolve: Resolve) -> None:
    assert dict(await resolve("GET", "/files/a..b")) == {"name": "a..b"}
    assert dict(await resolve("GET", "/files/.hidden")) == {"name": ".hidden"}
