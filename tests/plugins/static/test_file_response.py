"""``web.FileResponse`` from handlers: errors, sendfile and read paths, TLS, variants, changes."""

from __future__ import annotations

import asyncio
import gzip
import os
import ssl
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest

from jackfield import web
from jackfield.plugins.static import _files
from jackfield.plugins.static._response import SMALL_FILES
from jackfield.responses.connection import Connection
from jackfield.testing.testing import TestServer

from .conftest import HELLO, raw, status_of


async def test_live_connection_has_every_member_of_connection(tree: Path) -> None:
    # mypy checks the structure (the plugin assigns an HttpProtocol to a Connection);
    # this checks a real, connected one at run time.
    members = [name for name in vars(Connection) if not name.startswith("_")]
    seen: dict[str, bool] = {}

    async def handler(request: web.Request) -> web.Response:
        conn = request.protocol
        seen.update({name: hasattr(conn, name) for name in members})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    await get(app, "/")
    assert len(members) >= 10
    assert seen == dict.fromkeys(members, True)


def file_app(path: Path, **kwargs: Any) -> web.Application:
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, **kwargs)

    app = web.Application()
    app.router.add_get("/file", handler)
    return app


async def get(app: web.Application, path: str = "/file", **kwargs: Any) -> httpx.Response:
    async with TestServer(app) as server, httpx.AsyncClient() as client:
        return await client.get(server.make_url(path), **kwargs)


async def test_file_response_from_a_handler(tree: Path) -> None:
    r = await get(file_app(tree / "hello.txt"))
    assert (r.status_code, r.content) == (200, HELLO)
    assert "etag" in r.headers


async def test_file_response_missing_is_404_and_directory_403(tree: Path) -> None:
    assert (await get(file_app(tree / "nope.txt"))).status_code == 404
    assert (await get(file_app(tree / "sub"))).status_code == 403


async def test_file_response_keeps_given_headers_and_status(tree: Path) -> None:
    app = file_app(
        tree / "hello.txt",
        status=404,
        headers={"Content-Type": "text/x-custom", "X-Extra": "1"},
    )
    r = await get(app, headers={"If-None-Match": "*", "Range": "bytes=0-1"})
    # A custom status is not a 200: conditions and ranges do not apply to it.
    assert (r.status_code, r.content) == (404, HELLO)
    assert r.headers["content-type"] == "text/x-custom" and r.headers["x-extra"] == "1"


async def test_file_response_rejects_bad_chunk_size(tree: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        web.FileResponse(tree / "hello.txt", chunk_size=0)


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server and a client context around a fresh self-signed certificate."""
    from tests.e2e.certs import write_self_signed

    cert_path, key_path = write_self_signed(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


async def test_tls_reads_chunks_instead_of_sendfile(
    tree: Path, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_ctx, client_ctx = tls
    app = web.Application()
    app.router.add_static("/static", tree, chunk_size=64 * 1024)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with httpx.AsyncClient(verify=client_ctx) as client:
            url = f"https://127.0.0.1:{port}/static/big.bin"
            r = await client.get(url)
            assert r.content == (tree / "big.bin").read_bytes()
            r = await client.get(url, headers={"Range": "bytes=5-9,100-104"})
            assert r.status_code == 206 and r.content.count(b"Content-Range") == 2
    finally:
        await runner.cleanup()


@pytest.fixture
def variants(tree: Path) -> bytes:
    body = b"body { color: red; }\n" * 200
    (tree / "style.css").write_bytes(body)
    (tree / "style.css.gz").write_bytes(gzip.compress(body))
    (tree / "style.css.br").write_bytes(brotli.compress(body))
    return body


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        pytest.param("gzip, deflate, br", "br", id="br-preferred"),
        pytest.param("gzip", "gzip", id="gzip-only"),
        pytest.param("br;q=0.1, gzip;q=0.9", "gzip", id="q-values"),
        pytest.param("br;q=0, gzip;q=0", None, id="both-refused"),
        pytest.param("zstd", None, id="no-zst-file"),
        pytest.param("identity", None, id="identity"),
    ],
)
async def test_precompressed_variants(
    serve, variants: bytes, accept: str, coding: str | None
) -> None:
    served = await serve()
    # Raw socket: httpx would decode the body for us and hide what was sent.
    answer = await served.raw(
        f"GET /static/style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {accept}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == 200
    assert b"Vary: Accept-Encoding" in head
    assert b"Content-Type: text/css; charset=utf-8" in head
    if coding is None:
        assert b"Content-Encoding" not in head and body == variants
    else:
        assert f"Content-Encoding: {coding}".encode() in head
        decoded = brotli.decompress(body) if coding == "br" else gzip.decompress(body)
        assert decoded == variants
        size = (served.root / ("style.css." + ("br" if coding == "br" else "gz"))).stat().st_size
        assert f"Content-Length: {size}".encode() in head


async def test_ranges_and_etag_apply_to_the_variant_sent(serve, variants: bytes) -> None:
    served = await serve()
    plain = await served.client.get("/static/style.css", headers={"Accept-Encoding": "identity"})
    gz = (served.root / "style.css.gz").read_bytes()
    answer = await served.raw(
        b"GET /static/style.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n"
        b"Range: bytes=0-9\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == 206 and body == gz[:10]
    assert f"Content-Range: bytes 0-9/{len(gz)}".encode() in head
    assert plain.headers["etag"].encode() not in head


async def test_symlinked_variant_is_not_sent_without_follow(serve, tree: Path) -> None:
    body = b"x" * 1000
    (tree / "a.js").write_bytes(body)
    (tree.parent / "evil.gz").write_bytes(gzip.compress(b"outside"))
    (tree / "a.js.gz").symlink_to(tree.parent / "evil.gz")
    served = await serve()
    answer = await served.raw(
        b"GET /static/a.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n"
        b"Connection: close\r\n\r\n"
    )
    head, _, got = answer.partition(b"\r\n\r\n")
    assert b"Content-Encoding" not in head and got == body


async def test_cache_never_serves_a_changed_file(
    serve, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_files, "SETTLE", 0.05)
    SMALL_FILES.clear()
    path = tree / "cached.txt"
    path.write_bytes(b"version one")
    await asyncio.sleep(0.1)  # settled: the next request caches it
    served = await serve()
    assert (await served.client.get("/static/cached.txt")).content == b"version one"
    assert SMALL_FILES.get(str(path), path.stat()) == b"version one"
    assert (await served.client.get("/static/cached.txt")).content == b"version one"
    # Same size, mtime put back: only the ctime tells, and it must be enough.
    stat = path.stat()
    path.write_bytes(b"version two")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    r = await served.client.get("/static/cached.txt")
    assert r.content == b"version two"


async def test_file_truncated_mid_send_ends_short_and_closes(serve, tree: Path) -> None:
    path = tree / "huge.bin"
    size = 256 * 1024 * 1024
    with open(path, "wb") as f:
        f.truncate(size)  # sparse: no disk used
    served = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    try:
        writer.write(b"GET /static/huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert f"Content-Length: {size}".encode() in head
        got = len(await asyncio.wait_for(reader.readexactly(1024 * 1024), 5))
        os.truncate(path, 2 * 1024 * 1024)
        while chunk := await asyncio.wait_for(reader.read(1 << 20), 10):
            got += len(chunk)
    finally:
        writer.close()
    # The connection ended (read returned b"") before the promised length.
    assert got < size


async def test_client_leaving_mid_file_does_not_break_the_server(serve, tree: Path) -> None:
    path = tree / "huge.bin"
    with open(path, "wb") as f:
        f.truncate(256 * 1024 * 1024)
    served = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"GET /static/huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    await asyncio.wait_for(reader.readexactly(64 * 1024), 5)
    writer.transport.abort()
    await asyncio.sleep(0.05)
    r = await served.client.get("/static/hello.txt")
    assert (r.status_code, r.content) == (200, HELLO)


async def test_handler_prepared_file_response(tree: Path) -> None:
    async def handler(request: web.Request) -> web.FileResponse:
        response = web.FileResponse(tree / "sub" / "page.html")
        await response.prepare(request)
        return response

    app = web.Application()
    app.router.add_get("/p", handler)
    async with TestServer(app) as server:
        answer = await raw(server.port, b"GET /p HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 200 and answer.endswith(b"<p>page</p>")


async def test_zstd_variant_is_sent_as_stored(serve, tree: Path) -> None:
    # No zstd codec is needed to check the choice: the variant's bytes go out untouched.
    (tree / "data.json").write_text('{"a": 1}')
    (tree / "data.json.zst").write_bytes(b"\x28\xb5\x2f\xfd stored zstd bytes")
    served = await serve()
    answer = await served.raw(
        b"GET /static/data.json HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0.5, zstd\r\n"
        b"Connection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Encoding: zstd" in head and b"Content-Type: application/json" in head
    assert body == b"\x28\xb5\x2f\xfd stored zstd bytes"


async def test_file_changed_mid_send_ends_short_and_closes(
    tree: Path, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    # Through TLS the file goes in chunk_size reads, and a change is seen after each.
    path = tree / "moving.bin"
    size = 32 * 1024 * 1024
    with open(path, "wb") as f:
        f.truncate(size)
    server_ctx, client_ctx = tls
    app = web.Application()
    app.router.add_static("/static", tree, chunk_size=64 * 1024)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="127.0.0.1"
        )
        writer.write(b"GET /static/moving.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert f"Content-Length: {size}".encode() in head
        got = len(await asyncio.wait_for(reader.readexactly(256 * 1024), 5))
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # same size, new mtime
        while chunk := await asyncio.wait_for(reader.read(1 << 20), 10):
            got += len(chunk)
        writer.close()
        assert got < size
    finally:
        await runner.cleanup()


async def test_enable_compression_compresses_the_file(tree: Path) -> None:
    body = b"compress me, " * 5000
    (tree / "plain.txt").write_bytes(body)

    async def handler(request: web.Request) -> web.FileResponse:
        response = web.FileResponse(tree / "plain.txt")
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/c", handler)
    async with TestServer(app) as server:
        answer = await raw(
            server.port,
            b"GET /c HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nRange: bytes=0-9\r\n"
            b"Connection: close\r\n\r\n",
        )
    head, _, chunked = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == 200  # Range is ignored for a compressed body
    assert b"Content-Encoding: gzip" in head and b"Transfer-Encoding: chunked" in head
    compressed = b""
    while True:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        compressed += chunked[:size]
        chunked = chunked[size + 2 :]
    assert gzip.decompress(compressed) == body


async def test_cached_answer_with_accept_encoding_and_no_variant(
    serve, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Browsers always send Accept-Encoding: without a variant the cached answer is used,
    # and it carries no Vary (nothing varies); once a variant appears, it is sent.
    monkeypatch.setattr(_files, "SETTLE", 0.0)
    SMALL_FILES.clear()
    body = b"x" * 2000
    (tree / "lib.js").write_bytes(body)
    served = await serve()
    headers = {"Accept-Encoding": "gzip, br"}
    first = await served.client.get("/static/lib.js", headers=headers)
    assert SMALL_FILES.get(str(tree / "lib.js"), (tree / "lib.js").stat()) == body
    second = await served.client.get("/static/lib.js", headers=headers)
    assert first.content == second.content == body
    assert "vary" not in second.headers and "content-encoding" not in second.headers
    (tree / "lib.js.gz").write_bytes(gzip.compress(body))
    third = await served.client.get("/static/lib.js", headers=headers)
    assert third.headers["content-encoding"] == "gzip" and third.content == body
