"""Values a client chooses (cookies, charsets, Host, paths) never cost a 500 (issue 19).

Raw requests against a real server. Each case was a 500, a lost cookie, a
dot segment in a handler or a wrong ``request.url`` before the fix.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from jackfield import web

from .conftest import exchange


def request(target: str, *fields: str, body: bytes = b"") -> bytes:
    lines = "".join(f"{f}\r\n" for f in fields)
    head = f"{'POST' if body else 'GET'} {target} HTTP/1.1\r\n{lines}"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "Connection: close\r\n\r\n").encode("latin-1") + body


async def answer(server: Any, data: bytes) -> tuple[int, bytes]:
    got = await exchange(server.port, data)
    assert got.closed and got.statuses, got.raw[:200]
    return got.statuses[0], got.raw.partition(b"\r\n\r\n")[2]


@pytest.fixture
async def server(server_for: Any) -> Any:
    async def cookies(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    async def form(request: web.Request) -> web.Response:
        data = await request.post()
        return web.json_response({k: str(v) for k, v in data.items()})

    async def text(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    async def url(request: web.Request) -> web.Response:
        return web.json_response({"url": str(request.url), "host": request.host})

    async def tail(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info["tail"])

    async def header(request: web.Request) -> web.Response:
        return web.Response(text="x", headers={"X-Echo": request.query["v"]})

    app = web.Application()
    app.router.add_get("/cookies", cookies)
    app.router.add_post("/form", form)
    app.router.add_post("/text", text)
    app.router.add_get("/url", url)
    app.router.add_get("/files/{tail:.*}", tail)
    app.router.add_get("/header", header)
    return await server_for(app)


@pytest.mark.parametrize(
    "cookie",
    [
        'pref={"k": 1}; session=abc',
        "a=\xe9; session=abc",
        "path=/x; session=abc",
        "a=1;;session=abc",
    ],
    ids=["json-value", "non-ascii", "reserved-name", "empty-pair"],
)
async def test_a_malformed_cookie_does_not_drop_the_others(server: Any, cookie: str) -> None:
    status, body = await answer(server, request("/cookies", "Host: a", f"Cookie: {cookie}"))
    assert status == 200
    assert b'"session": "abc"' in body


MULTIPART = (
    b"--B\r\n"
    b'Content-Disposition: form-data; name="_charset_"\r\n\r\n'
    b"latin-\x00\r\n"
    b"--B\r\n"
    b'Content-Disposition: form-data; name="f"\r\n\r\n'
    b"value\r\n"
    b"--B--\r\n"
)
PART_CHARSET = (
    b"--B\r\n"
    b'Content-Disposition: form-data; name="f"\r\n'
    b"Content-Type: text/plain; charset=%s\r\n\r\n"
    b"value\r\n"
    b"--B--\r\n"
)


@pytest.mark.parametrize(
    ("target", "ctype", "body"),
    [
        ("/form", "application/x-www-form-urlencoded; charset=undefined", b"a=1"),
        ("/form", "application/x-www-form-urlencoded; charset=base64", b"a=1"),
        ("/form", "application/x-www-form-urlencoded; charset=no-such", b"a=1"),
        ("/form", "multipart/form-data; boundary=B", MULTIPART),
        ("/form", "multipart/form-data; boundary=B", PART_CHARSET % b"undefined"),
        ("/form", "multipart/form-data; boundary=B", PART_CHARSET % b"a\x00"),
        ("/form", "application/x-www-form-urlencoded; charset=utf-8", b"a=\xff"),
        ("/text", "text/plain; charset=undefined", b"hello"),
        ("/text", "text/plain; charset=rot13", b"hello"),
    ],
    ids=[
        "urlencoded-undefined",
        "urlencoded-not-a-text-codec",
        "urlencoded-unknown",
        "multipart-charset-field-with-nul",
        "part-charset-undefined",
        "part-charset-with-nul",
        "urlencoded-bad-bytes",
        "text-undefined",
        "text-not-a-text-codec",
    ],
)
async def test_a_client_chosen_charset_is_a_400(
    server: Any, caplog: pytest.LogCaptureFixture, target: str, ctype: str, body: bytes
) -> None:
    with caplog.at_level(logging.DEBUG):
        status, _ = await answer(
            server, request(target, "Host: a", f"Content-Type: {ctype}", body=body)
        )
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("host", ["a:99999", "a:65536", "[::1]:70000"])
async def test_a_port_over_65535_is_a_400_before_any_handler(server: Any, host: str) -> None:
    status, _ = await answer(server, request("/url", f"Host: {host}"))
    assert status == 400


async def test_the_largest_port_is_fine(server: Any) -> None:
    status, body = await answer(server, request("/url", "Host: a:65535"))
    assert status == 200 and b'"url": "http://a:65535/url"' in body


async def test_absolute_form_authority_wins_over_host(server: Any) -> None:
    # RFC 9112 §3.2.2: the origin server uses the target's authority, not Host.
    status, body = await answer(server, request("http://b.example:8080/url?q=1", "Host: a"))
    assert status == 200
    assert b'"url": "http://b.example:8080/url?q=1"' in body
    assert b'"host": "b.example:8080"' in body


async def test_absolute_form_with_a_bad_port_is_a_400(server: Any) -> None:
    status, _ = await answer(server, request("http://b:99999/url", "Host: a"))
    assert status == 400


@pytest.mark.parametrize(
    "path",
    ["/files/..%2fsecret", "/files/%2e%2e%5cx", "/files/a/..%2F..%2Fetc", "/files/..\\x"],
    ids=["dot-dot-escaped-slash", "escaped-dots-escaped-backslash", "nested", "raw-backslash"],
)
async def test_no_handler_sees_a_dot_segment(server: Any, path: str) -> None:
    status, body = await answer(server, request(path, "Host: a"))
    assert status == 404, body


async def test_an_escaped_slash_without_dots_still_reaches_the_handler(server: Any) -> None:
    status, body = await answer(server, request("/files/a%2Fb", "Host: a"))
    assert (status, body) == (200, b"a/b")


@pytest.mark.parametrize("char", ["%0B", "%0C", "%7F", "%01"], ids=["vt", "ff", "del", "soh"])
async def test_a_control_character_in_a_response_header_is_refused(server: Any, char: str) -> None:
    status, body = await answer(server, request(f"/header?v=a{char}b", "Host: a"))
    assert status == 500  # the handler's mistake: never sent raw
    assert b"X-Echo" not in body


async def test_a_tab_in_a_response_header_is_fine(server: Any) -> None:
    got = await exchange(server.port, request("/header?v=a%09b", "Host: a"))
    assert got.statuses == [200] and b"X-Echo: a\tb\r\n" in got.raw
