"""Traversal and symlinks over a real socket: never a byte from outside the root, never a 500.

Paths go raw on a socket (an HTTP client would normalize them first). The
same corpus runs with ``follow_symlinks`` off and on: following symlinks
must not open any other way out. A refused path and a missing file get
byte-for-byte the same answer (Date aside), so a client cannot probe for
files outside the root.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import HELLO, SECRET, status_of

CORPUS = [
    pytest.param("/static/../outside.txt", id="dotdot"),
    pytest.param("/static/../../../../etc/passwd", id="dotdot-deep"),
    pytest.param("/static/sub/../../outside.txt", id="dotdot-inner"),
    pytest.param("/static/%2e%2e/outside.txt", id="encoded-dotdot"),
    pytest.param("/static/%2E%2E/%2E%2E/outside.txt", id="encoded-dotdot-upper"),
    pytest.param("/static/.%2e/outside.txt", id="half-encoded-dotdot"),
    pytest.param("/static/%252e%252e/outside.txt", id="double-encoded-dotdot"),
    pytest.param("/static/..%2foutside.txt", id="encoded-slash"),
    pytest.param("/static/sub%2f..%2f..%2foutside.txt", id="encoded-slash-inner"),
    pytest.param("/static/..%5coutside.txt", id="encoded-backslash"),
    pytest.param("/static/..\\outside.txt", id="backslash"),
    pytest.param("/static/%00../outside.txt", id="escaped-nul"),
    pytest.param("/static/hello.txt%00.png", id="nul-extension"),
    pytest.param("/static//etc/passwd", id="absolute-name"),
    pytest.param("/static/%2fetc%2fpasswd", id="encoded-absolute"),
    pytest.param("/static/../www-private/key.txt", id="sibling-with-root-prefix"),
    pytest.param("/static-private/key.txt", id="prefix-sibling"),
    pytest.param("/static/..;/outside.txt", id="semicolon-dotdot"),
    pytest.param("/static/hello.txt;/../../outside.txt", id="semicolon-param"),
    pytest.param("/static/C:/Windows/win.ini", id="drive-letter"),
    pytest.param("/static/C:%5cWindows%5cwin.ini", id="drive-letter-encoded"),
    pytest.param("/static/%5c%5c?%5cC:%5coutside.txt", id="unc-long-path"),
    pytest.param("/static/" + "a/" * 200 + "x", id="long-path"),
    pytest.param("/static/" + "../" * 200 + "etc/passwd", id="long-dotdot"),
    pytest.param("/static/" + "%2e%2e/" * 40 + "etc/passwd", id="long-encoded-dotdot"),
]
# Symlinks an administrator placed in the root lead out by design once they are
# followed; without follow_symlinks they are refused like any traversal.
SYMLINKS_OUT = [
    pytest.param("/static/link-out.txt", id="symlink-file-out"),
    pytest.param("/static/escape/outside.txt", id="symlink-dir-out"),
    pytest.param("/static/escape/www-private/key.txt", id="symlink-dir-out-sibling"),
]


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode("latin-1")


def without_date(answer: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]*\r\n", b"", answer)


@pytest.mark.parametrize("follow", [False, True], ids=["no-follow", "follow"])
@pytest.mark.parametrize("path", CORPUS)
async def test_traversal_never_leaves_the_root(serve, path: str, follow: bool) -> None:
    served = await serve(follow_symlinks=follow, show_index=True)
    answer = await served.raw(get(path))
    status = status_of(answer)
    assert 400 <= status < 500, answer[:200]
    assert SECRET not in answer
    assert b"secret" not in answer


@pytest.mark.parametrize("path", SYMLINKS_OUT)
async def test_symlinks_out_are_refused_without_follow(serve, path: str) -> None:
    served = await serve(show_index=True)
    answer = await served.raw(get(path))
    assert status_of(answer) == 404
    assert SECRET not in answer


async def test_refused_and_missing_answers_are_identical(serve) -> None:
    served = await serve()
    missing = without_date(await served.raw(get("/static/no-such-file.txt")))
    for path in ("/static/link-out.txt", "/static/escape/outside.txt"):
        assert without_date(await served.raw(get(path))) == missing
    # Through the router's own refusal too (dot segments never reach the resource).
    assert without_date(await served.raw(get("/static/../outside.txt"))) == missing


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/static/link-in.txt", id="file-link-inside"),
        pytest.param("/static/link-out.txt", id="file-link-outside"),
        pytest.param("/static/linkdir/page.html", id="dir-link"),
        pytest.param("/static/escape/outside.txt", id="dir-link-outside"),
    ],
)
async def test_any_symlink_is_404_without_follow_symlinks(serve, path: str) -> None:
    served = await serve()
    assert status_of(await served.raw(get(path))) == 404


async def test_follow_symlinks_serves_links(serve) -> None:
    served = await serve(follow_symlinks=True)
    r = await served.client.get("/static/link-in.txt")
    assert (r.status_code, r.content) == (200, HELLO)
    r = await served.client.get("/static/linkdir/page.html")
    assert (r.status_code, r.text) == (200, "<p>page</p>")
    # A link the administrator put in the root may lead out: that is what following means.
    r = await served.client.get("/static/link-out.txt")
    assert (r.status_code, r.content) == (200, SECRET)


async def test_root_is_resolved_at_registration(serve, tree: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(tree)
    served = await serve(root=alias)
    r = await served.client.get("/static/hello.txt")
    assert (r.status_code, r.content) == (200, HELLO)


async def test_fifo_is_never_opened(serve, tree: Path) -> None:
    import os

    os.mkfifo(tree / "pipe")
    served = await serve()
    assert status_of(await served.raw(get("/static/pipe"))) == 404


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param("Range: bytes=\u0661-\u0662", id="range-non-ascii"),
        pytest.param("Range: bytes=0-99999999999999999999999999", id="range-overflow"),
        pytest.param("Range: bytes=" + ",".join(["0-0"] * 500), id="range-many"),
        pytest.param("Range: \xff\xfe", id="range-binary"),
        pytest.param("If-Modified-Since: \xff garbage", id="ims-garbage"),
        pytest.param('If-None-Match: "unterminated', id="inm-garbage"),
        pytest.param("If-Range: 99999999999", id="if-range-garbage"),
        pytest.param("If-Match: ,,,", id="if-match-commas"),
        pytest.param("Accept-Encoding: br;q=NaN, gzip;q=inf", id="accept-encoding-garbage"),
    ],
)
async def test_header_garbage_is_never_a_500(serve, headers: str) -> None:
    served = await serve()
    request = (
        f"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n{headers}\r\nConnection: close\r\n\r\n"
    ).encode()  # raw UTF-8 bytes in a field value: obs-text to the parser
    answer = await served.raw(request)
    assert status_of(answer) in (200, 206, 304, 400, 412, 416), answer[:300]
