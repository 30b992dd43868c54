"""Forms and uploads through a real server: httpx for good bodies, raw sockets for bad ones."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from pathlib import Path
from typing import IO, Any

import pytest

from jackfield import web
from jackfield.bodies import forms
from jackfield.bodies.forms import FileField
from jackfield.bodies.multipart import BodyPartReader, MultipartLimits, set_multipart_limits

from .conftest import exchange, read_to_close

BLOB = bytes(range(256)) * 4096 * 5  # 5 MiB


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch) -> list[IO[bytes]]:
    """Every temporary file ``post()`` creates during the test."""
    made: list[IO[bytes]] = []
    original = forms.FormFiles.new

    def new(self: forms.FormFiles, threshold: int) -> IO[bytes]:
        file = original(self, threshold)
        made.append(file)
        return file

    monkeypatch.setattr(forms.FormFiles, "new", new)
    return made


async def form_summary(request: web.Request) -> web.Response:
    data = await request.post()
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, FileField):
            content = value.file.read()
            out[name] = [value.filename, value.content_type, len(content),
                         hashlib.sha256(content).hexdigest()]  # fmt: skip
        else:
            out[name] = value
    return web.json_response(out)


def make_app(tmp: Path | None = None, **kwargs: Any) -> web.Application:
    async def store(request: web.Request) -> web.Response:
        assert tmp is not None
        reader = await request.multipart()
        stored = {}
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            if part.filename is None:
                stored[part.name] = await part.text()
                continue
            size = 0
            with open(tmp / Path(part.filename).name, "wb") as f:
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    f.write(chunk)
            stored[part.name] = size
        return web.json_response(stored)

    async def count_parts(request: web.Request) -> web.Response:
        n = 0
        async for _ in await request.multipart():
            n += 1
        return web.Response(text=str(n))

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="still serving")

    app = web.Application(**kwargs)
    app.router.add_post("/form", form_summary)
    app.router.add_post("/store", store)
    app.router.add_post("/count", count_parts)
    app.router.add_get("/ok", ok)
    return app


async def test_post_reads_fields_and_files(client_for: Any, spooled: list[IO[bytes]]) -> None:
    client = await client_for(make_app(client_max_size=8 * 2**20))
    response = await client.post(
        "/form",
        data={"title": "Grüße", "n": "1"},
        files={"doc": ("report.pdf", BLOB, "application/pdf"), "note": ("n.txt", b"hi")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "title": "Grüße",
        "n": "1",
        "doc": ["report.pdf", "application/pdf", len(BLOB), hashlib.sha256(BLOB).hexdigest()],
        "note": ["n.txt", "text/plain", 2, hashlib.sha256(b"hi").hexdigest()],
    }
    assert len(spooled) == 2 and all(f.closed for f in spooled)


async def test_post_urlencoded_and_gzip_encoded(client_for: Any) -> None:
    client = await client_for(make_app())
    assert (await client.post("/form", data={"a": "1 2", "b": "é"})).json() == {
        "a": "1 2",
        "b": "é",
    }
    body = gzip.compress(b"x=%C3%A9&y=2")
    response = await client.post(
        "/form",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "gzip",
        },
    )
    assert response.json() == {"x": "é", "y": "2"}
    unknown = await client.post(
        "/form",
        content=b"x=1",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "zz"},
    )
    assert unknown.status_code == 415


async def test_multipart_streams_a_file_to_disk(client_for: Any, tmp_path: Path) -> None:
    # client_max_size is far below the upload: the streaming reader ignores it.
    client = await client_for(make_app(tmp_path, client_max_size=1024))
    response = await client.post(
        "/store", data={"who": "ada"}, files={"f": ("../../big.bin", BLOB)}
    )
    assert response.json() == {"who": "ada", "f": len(BLOB)}
    assert (tmp_path / "big.bin").read_bytes() == BLOB


async def test_post_over_client_max_size_is_413_and_serving_goes_on(
    client_for: Any, spooled: list[IO[bytes]]
) -> None:
    client = await client_for(make_app(client_max_size=100_000))
    response = await client.post("/form", files={"f": ("f.bin", BLOB[:300_000])})
    assert response.status_code == 413
    assert "100000" in response.text
    assert (await client.get("/ok")).text == "still serving"
    assert not spooled  # refused by Content-Length, before a byte was read


async def test_chunked_post_over_client_max_size_fails_while_streaming(client_for: Any) -> None:
    client = await client_for(make_app(client_max_size=100_000))
    head = b'--zz\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n'

    async def body() -> Any:  # no Content-Length: httpx sends it chunked
        yield head
        for _ in range(50):
            yield b"x" * 10_000
        yield b"\r\n--zz--\r\n"

    response = await client.post("/form", content=body(), headers={"Content-Type": MP})
    assert response.status_code == 413 and "100000" in response.text
    assert (await client.get("/ok")).text == "still serving"


async def test_client_max_size_per_sub_app_and_per_route(client_for: Any) -> None:
    app = make_app(client_max_size=10_000)
    sub = web.Application(client_max_size=100)
    sub.router.add_post("/form", form_summary)
    roomy = sub.router.add_post("/roomy", form_summary)
    roomy.client_max_size = 50_000  # what add_route(..., client_max_size=N) will store
    app.add_subapp("/sub", sub)
    client = await client_for(app)
    body = {"v": "x" * 1000}
    assert (await client.post("/form", data=body)).status_code == 200
    small = await client.post("/sub/form", data=body)
    assert small.status_code == 413 and "100" in small.text
    assert (await client.post("/sub/roomy", data=body)).status_code == 200


async def test_app_multipart_limits_apply(client_for: Any) -> None:
    app = make_app()
    set_multipart_limits(app, MultipartLimits(max_fields=2))
    client = await client_for(app)
    assert (await client.post("/form", data={"a": "1", "b": "2"})).status_code == 200
    assert (await client.post("/form", data={"a": "1", "b": "2", "c": "3"})).status_code == 413


# -- bad input over raw sockets


def post(target: str, body: bytes, content_type: str, extra: str = "") -> bytes:
    return (
        f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def then_ok(data: bytes) -> bytes:
    return data + b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


MP = "multipart/form-data; boundary=zz"
GOOD_PART = b'--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'


@pytest.mark.parametrize(
    ("target", "body", "ctype", "status"),
    [
        pytest.param("/form", GOOD_PART + b"--zz--", "multipart/form-data", 400,
                     id="missing-boundary"),
        pytest.param("/count", GOOD_PART + b"--zz--", "multipart/form-data; boundary=" + "z" * 80,
                     400, id="invalid-boundary"),
        pytest.param("/form", GOOD_PART, MP, 400, id="unterminated-body"),
        pytest.param("/form", b"--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n--zz--", MP, 400,
                     id="part-without-content-disposition"),
        pytest.param("/count", b"--zz\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\nx\r\n--zz--", MP,
                     413, id="header-block-over-limit"),
        pytest.param("/count", b"--zz\r\n\r\n\r\n" * 100_000 + b"--zz--", MP, 413,
                     id="100000-tiny-parts"),
    ],
)  # fmt: skip
async def test_bad_multipart_bodies_get_clear_errors(
    server_for: Any, target: str, body: bytes, ctype: str, status: int
) -> None:
    server = await server_for(make_app(client_max_size=2**21))
    result = await exchange(server.port, then_ok(post(target, body, ctype)))
    assert result.closed
    assert result.statuses == [status, 200], result.raw[:300]
    assert result.raw.endswith(b"still serving")


async def test_client_gone_mid_upload_frees_temporary_files(
    server_for: Any, spooled: list[IO[bytes]]
) -> None:
    finished = asyncio.Event()
    started = asyncio.Event()

    async def slow_form(request: web.Request) -> web.Response:
        started.set()
        try:
            await request.post(limits=MultipartLimits(spool_threshold=1000))
        finally:
            finished.set()
        return web.Response(text="unreachable")

    app = make_app(client_max_size=2**21)
    app.router.add_post("/slow", slow_form)
    server = await server_for(app)
    head_and_part = post(
        "/slow",
        b'--zz\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n' + b"x" * 50_000,
        MP,
    ).replace(b"Content-Length: 50062", b"Content-Length: 900000")
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head_and_part)
    await writer.drain()
    await asyncio.wait_for(started.wait(), 3)
    writer.close()
    await asyncio.wait_for(finished.wait(), 3)
    del reader
    # The next request on a new connection is answered after the failed one ended.
    result = await exchange(
        server.port, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert result.statuses == [200]
    assert spooled and all(f.closed for f in spooled)


async def test_upload_with_expect_100_continue(server_for: Any) -> None:
    server = await server_for(make_app())
    body = GOOD_PART + b"--zz--\r\n"
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        head = post("/form", b"", MP, "Expect: 100-continue\r\nConnection: close\r\n")
        writer.write(head.replace(b"Content-Length: 0", f"Content-Length: {len(body)}".encode()))
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        result = await read_to_close(reader)
    finally:
        writer.close()
    assert result.statuses == [200] and result.raw.endswith(b'{"a": "1"}')
