"""Serving files through a real server and httpx: types, validators, conditions, ranges, HEAD."""

from __future__ import annotations

import re
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from jackfield import web
from jackfield.testing.testing import TestServer

from .conftest import HELLO, raw, status_of


async def test_get_file_headers(serve) -> None:
    served = await serve()
    r = await served.client.get("/static/hello.txt")
    assert r.status_code == 200
    assert r.content == HELLO
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == str(len(HELLO))
    assert r.headers["accept-ranges"] == "bytes"
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', r.headers["etag"])
    mtime = int((served.root / "hello.txt").stat().st_mtime)
    assert parsedate_to_datetime(r.headers["last-modified"]).timestamp() == mtime


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("sub/page.html", "text/html; charset=utf-8"),
        ("sub/deeper/data.bin", "application/octet-stream"),
        ("big.bin", "application/octet-stream"),
    ],
)
async def test_content_types(serve, name: str, ctype: str) -> None:
    served = await serve()
    r = await served.client.get(f"/static/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == ctype
    assert r.content == (served.root / name).read_bytes()


async def test_big_file_whole(serve) -> None:
    served = await serve()
    r = await served.client.get("/static/big.bin")
    assert r.status_code == 200
    assert r.content == (served.root / "big.bin").read_bytes()


async def test_head_sends_the_head_only(serve) -> None:
    served = await serve()
    size = (served.root / "big.bin").stat().st_size
    answer = await served.raw(
        b"HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == 200
    assert f"Content-Length: {size}".encode() in head
    assert body == b""


async def test_keep_alive_after_files(serve) -> None:
    served = await serve()
    request = b"GET /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
    answer = await raw(
        served.port,
        request * 2 + b"GET /static/sub/page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert answer.count(HELLO) == 2 and answer.endswith(b"<p>page</p>")


async def test_conditional_get(serve) -> None:
    served = await serve()
    first = await served.client.get("/static/big.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    r = await served.client.get("/static/big.bin", headers={"If-None-Match": etag})
    assert (r.status_code, r.content) == (304, b"")
    assert r.headers["etag"] == etag
    r = await served.client.get("/static/big.bin", headers={"If-Modified-Since": modified})
    assert r.status_code == 304
    r = await served.client.get("/static/big.bin", headers={"If-None-Match": '"nope"'})
    assert r.status_code == 200 and len(r.content) == len(first.content)
    r = await served.client.get("/static/big.bin", headers={"If-Match": '"nope"'})
    assert r.status_code == 412
    old = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    r = await served.client.get("/static/big.bin", headers={"If-Unmodified-Since": old})
    assert r.status_code == 412
    r = await served.client.get("/static/big.bin", headers={"If-Match": etag})
    assert r.status_code == 200


async def test_etag_changes_with_the_file(serve) -> None:
    served = await serve()
    before = (await served.client.get("/static/hello.txt")).headers["etag"]
    path = served.root / "hello.txt"
    path.write_bytes(b"changed!")
    r = await served.client.get("/static/hello.txt", headers={"If-None-Match": before})
    assert (r.status_code, r.content) == (200, b"changed!")
    assert r.headers["etag"] != before


async def test_single_range(serve) -> None:
    served = await serve()
    data = (served.root / "big.bin").read_bytes()
    r = await served.client.get("/static/big.bin", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == data[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"
    r = await served.client.get("/static/big.bin", headers={"Range": "bytes=-10"})
    assert (r.status_code, r.content) == (206, data[-10:])


async def test_multiple_ranges(serve) -> None:
    served = await serve()
    data = (served.root / "big.bin").read_bytes()
    r = await served.client.get("/static/big.bin", headers={"Range": "bytes=0-9,1000-1009,-5"})
    assert r.status_code == 206
    ctype = r.headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    assert int(r.headers["content-length"]) == len(r.content)
    parts = r.content.split(b"--" + boundary)
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, body = part.partition(b"\r\n\r\n")
        assert b"Content-Type: application/octet-stream" in head
        bodies.append((re.search(rb"Content-Range: bytes (\d+)-(\d+)/(\d+)", head), body))
    expected = [(0, 9), (1000, 1009), (len(data) - 5, len(data) - 1)]
    for (match, body), (start, end) in zip(bodies, expected, strict=True):
        assert match is not None
        assert (int(match[1]), int(match[2]), int(match[3])) == (start, end, len(data))
        assert body.removesuffix(b"\r\n") == data[start : end + 1]


async def test_unsatisfiable_range(serve) -> None:
    served = await serve()
    size = (served.root / "hello.txt").stat().st_size
    r = await served.client.get("/static/hello.txt", headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{size}"


async def test_if_range(serve) -> None:
    served = await serve()
    data = (served.root / "big.bin").read_bytes()
    etag = (await served.client.head("/static/big.bin")).headers["etag"]
    r = await served.client.get("/static/big.bin", headers={"Range": "bytes=0-3", "If-Range": etag})
    assert (r.status_code, r.content) == (206, data[:4])
    r = await served.client.get(
        "/static/big.bin", headers={"Range": "bytes=0-3", "If-Range": '"stale"'}
    )
    assert r.status_code == 200 and r.content == data


async def test_head_ignores_range(serve) -> None:
    served = await serve()
    r = await served.client.head("/static/big.bin", headers={"Range": "bytes=0-3"})
    assert r.status_code == 200
    assert r.headers["content-length"] == str((served.root / "big.bin").stat().st_size)


async def test_directory_is_403_without_index(serve) -> None:
    served = await serve()
    for path in ("/static", "/static/", "/static/sub", "/static/sub/"):
        assert (await served.client.get(path)).status_code == 403, path


async def test_file_with_trailing_slash_is_404(serve) -> None:
    served = await serve()
    assert (await served.client.get("/static/hello.txt/")).status_code == 404


async def test_missing_is_404_and_other_methods_405(serve) -> None:
    served = await serve()
    assert (await served.client.get("/static/nope")).status_code == 404
    r = await served.client.post("/static/hello.txt", content=b"x")
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


async def test_index_page(serve, tree: Path) -> None:
    (tree / '<b>bold<"q"> & co.txt').write_text("x")
    (tree / "sp ace.txt").write_text("x")
    served = await serve(show_index=True)
    r = await served.client.get("/static/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    assert "<b>" not in page
    assert "&lt;b&gt;bold&lt;&quot;q&quot;&gt; &amp; co.txt" in page
    assert 'href="/static/%3Cb%3Ebold%3C%22q%22%3E%20&amp;%20co.txt"' in page
    assert 'href="/static/sp%20ace.txt"' in page
    assert 'href="/static/sub/"' in page
    assert f"{len(HELLO)} bytes" in page
    assert "../" not in page  # no parent link at the root
    assert "link-in.txt" not in page  # symlinks are not listed when not followed
    names = re.findall(r'<a href="[^"]*">([^<]*)</a>', page)
    assert names == sorted(names)
    sub = await served.client.get("/static/sub/")
    assert 'href="/static/"' in sub.text and "page.html" in sub.text
    # Every link of the index works.
    for href in re.findall(r'href="([^"]*)"', page):
        link = href.replace("&amp;", "&")
        assert (await served.client.get(link)).status_code == 200, link


async def test_registration_errors(tree: Path, tmp_path: Path) -> None:
    app = web.Application()
    with pytest.raises(ValueError, match="does not exist"):
        app.router.add_static("/s", tmp_path / "missing")
    with pytest.raises(ValueError, match="is not a directory"):
        app.router.add_static("/s", tree / "hello.txt")
    with pytest.raises(ValueError, match="starting with '/'"):
        app.router.add_static("static", tree)
    with pytest.raises(ValueError, match="the root"):
        app.router.add_static("/", tree)
    with pytest.raises(TypeError, match="unknown options"):
        app.router.add_static("/s", tree, show_idx=True)
    with pytest.raises(TypeError, match=r"str or pathlib\.Path"):
        app.router.add_static("/s", 42)


async def test_route_table_and_str_path(tree: Path) -> None:
    app = web.Application()
    routes = app.router.add_routes([web.static("/files", str(tree), name="files")])
    assert [r.method for r in routes] == ["GET", "HEAD"]
    assert isinstance(app.router["files"], web.StaticResource)
    async with TestServer(app) as server, httpx.AsyncClient() as client:
        r = await client.get(server.make_url("/files/hello.txt"))
        assert r.content == HELLO


async def test_url_for_and_append_version(tree: Path) -> None:
    app = web.Application()
    resource = app.router.add_static("/static", tree, name="static")
    url = app.router["static"].url_for(filename="sub/page.html")
    assert str(url) == "/static/sub/page.html"
    assert str(resource.url_for(filename="sp ace/é.txt")) == "/static/sp%20ace/%C3%A9.txt"
    versioned = resource.url_for(filename="hello.txt", append_version=True)
    version = versioned.query["v"]
    assert versioned.path == "/static/hello.txt" and len(version) >= 16
    assert resource.url_for(filename=Path("hello.txt"), append_version=True) == versioned
    (tree / "hello.txt").write_bytes(b"a new version of hello")
    assert resource.url_for(filename="hello.txt", append_version=True).query["v"] != version
    # Missing files get no version rather than an error.
    assert "v" not in resource.url_for(filename="missing.txt", append_version=True).query
    always = web.Application().router.add_static("/s", tree, append_version=True)
    assert "v" in always.url_for(filename="hello.txt").query
    assert "v" not in always.url_for(filename="hello.txt", append_version=False).query


async def test_static_in_a_subapp(tree: Path) -> None:
    app = web.Application()
    sub = web.Application()
    sub.router.add_static("/assets", tree, name="assets")
    app.add_subapp("/sub", sub)
    assert str(sub.router["assets"].url_for(filename="hello.txt")) == "/sub/assets/hello.txt"
    async with TestServer(app) as server, httpx.AsyncClient() as client:
        r = await client.get(server.make_url("/sub/assets/hello.txt"))
        assert (r.status_code, r.content) == (200, HELLO)
        r = await client.get(server.make_url("/sub/assets/../../outside.txt"))
        assert r.status_code == 404


async def test_add_static_needs_the_plugin(tree: Path) -> None:
    app = web.Application(plugins=["routing"])
    with pytest.raises(RuntimeError, match="needs the 'static' plugin"):
        app.router.add_static("/static", tree)


async def test_empty_file(serve, tree: Path) -> None:
    (tree / "empty.txt").write_bytes(b"")
    served = await serve()
    r = await served.client.get("/static/empty.txt")
    assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "0")


async def test_expect_handler_option(tree: Path) -> None:
    seen = []

    async def expect(request: web.Request) -> None:
        seen.append(request.path)
        raise web.HTTPExpectationFailed()

    app = web.Application()
    app.router.add_static("/static", tree, expect_handler=expect)
    async with TestServer(app) as server:
        answer = await raw(
            server.port,
            b"GET /static/hello.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n",
        )
    assert status_of(answer) == 417 and seen == ["/static/hello.txt"]


async def test_http_10_client_gets_length_and_close(serve) -> None:
    served = await serve()
    data = (served.root / "big.bin").read_bytes()
    answer = await served.raw(b"GET /static/big.bin HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert f"Content-Length: {len(data)}".encode() in head
    assert body == data  # and the server closed: raw() read to the end


async def test_pipelined_ranges_and_files_on_one_connection(serve) -> None:
    served = await serve()
    data = (served.root / "big.bin").read_bytes()
    answer = await served.raw(
        b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n\r\n"
        b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
        b"GET /static/hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    first, _, rest = answer.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 206") and rest[:5] == data[:5]
    rest = rest[5:]
    second, _, rest = rest.partition(b"\r\n\r\n")
    assert second.startswith(b"HTTP/1.1 200") and rest[: len(data)] == data
    third, _, body = rest[len(data) :].partition(b"\r\n\r\n")
    assert third.startswith(b"HTTP/1.1 200") and body == HELLO
