"""``request.post()``: urlencoded and multipart forms, uploads, spooling, limits, clean-up."""

from __future__ import annotations

import asyncio
import gc
import gzip
import os
from typing import Any

import pytest

from jackfield.app.abc import AbstractMatchInfo
from jackfield.app.app import Application
from jackfield.bodies.forms import FileField, FormFiles, parse_urlencoded
from jackfield.bodies.multipart import (
    MultipartError,
    MultipartLimitError,
    MultipartLimits,
    set_multipart_limits,
)
from jackfield.bodies.streams import BodyStream
from jackfield.requests.request import Request
from jackfield.responses.exceptions import HTTPRequestEntityTooLarge
from jackfield.testing.testing import make_mocked_request

B = "formboundary"
MP = {"Content-Type": f"multipart/form-data; boundary={B}"}
URLENC = {"Content-Type": "application/x-www-form-urlencoded"}


def field(name: str, value: bytes, extra: str = "") -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"{extra}'
    return f"--{B}\r\n{head}\r\n\r\n".encode() + value + b"\r\n"


def upload(name: str, filename: str, data: bytes, ctype: str = "text/plain") -> bytes:
    return field(name, data, f'; filename="{filename}"\r\nContent-Type: {ctype}')


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{B}--\r\n".encode()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- urlencoded


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(b"a=1&b=2&a=3", [("a", "1"), ("b", "2"), ("a", "3")], id="repeated"),
        pytest.param(b"q=a+b%26c&e=", [("q", "a b&c"), ("e", "")], id="plus-and-escapes"),
        pytest.param(b"flag&&x=1&", [("flag", ""), ("x", "1")], id="bare-and-empty-pairs"),
        pytest.param(b"", [], id="empty"),
        pytest.param("n=é".encode(), [("n", "é")], id="raw-utf8"),
        pytest.param(b"bad=%zz", [("bad", "%zz")], id="bad-escape-kept"),
    ],
)
def test_parse_urlencoded(body: bytes, expected: list[tuple[str, str]]) -> None:
    assert list(parse_urlencoded(body, "utf-8", 1000).items()) == expected


def test_parse_urlencoded_limits_and_charset() -> None:
    with pytest.raises(MultipartLimitError, match="max_fields=2"):
        parse_urlencoded(b"a=1&b=2&c=3", "utf-8", 2)
    assert len(parse_urlencoded(b"a=1&&&&b=2", "utf-8", 2)) == 2  # empty pairs are not fields
    assert parse_urlencoded("x=é".encode("latin-1"), "latin-1", 10)["x"] == "é"
    with pytest.raises(MultipartError, match="not valid utf-8"):
        parse_urlencoded(b"x=\xff", "utf-8", 10)


async def test_post_urlencoded() -> None:
    request = make_mocked_request("POST", "/", URLENC, body=b"login=ada&password=s3cret")
    data = await request.post()
    assert data["login"] == "ada" and data["password"] == "s3cret"
    assert await request.post() is data  # cached


async def test_post_urlencoded_with_charset_and_gzip() -> None:
    body = gzip.compress("name=%E9t%E9&x=é".encode("latin-1"))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=latin-1",
        "Content-Encoding": "gzip",
    }
    data = await make_mocked_request("PUT", "/", headers, body=body).post()
    assert dict(data) == {"name": "été", "x": "é"}


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        pytest.param("GET", URLENC, id="get-form-lives-in-query"),
        pytest.param("POST", {"Content-Type": "application/json"}, id="other-type"),
        pytest.param("POST", {}, id="no-type"),
    ],
)
async def test_post_gives_an_empty_mapping(method: str, headers: dict[str, str]) -> None:
    request = make_mocked_request(method, "/?a=1", headers, body=b"a=2")
    assert dict(await request.post()) == {}
    assert request.query["a"] == "1"


# -- multipart


async def test_post_multipart_fields_and_files() -> None:
    body = form(
        field("title", "Grüße".encode()),
        upload("doc", "notes.txt", b"file content\r\nline 2"),
        upload("bin", "x.bin", b"\x00\x01", "application/octet-stream"),
        field("raw", b"\x00\xff", "\r\nContent-Type: application/octet-stream"),
        field("title", b"second"),
    )
    request = make_mocked_request("POST", "/", MP, body=body)
    data = await request.post()
    assert data.getall("title") == ["Grüße", "second"]
    doc = data["doc"]
    assert isinstance(doc, FileField)
    assert (doc.name, doc.filename, doc.content_type) == ("doc", "notes.txt", "text/plain")
    assert doc.headers["Content-Type"] == "text/plain"
    assert doc.file.read() == b"file content\r\nline 2"
    assert data["bin"].file.read() == b"\x00\x01"
    assert data["raw"] == b"\x00\xff"  # non-text, no filename: bytes
    request._cleanup()
    assert doc.file.closed and data["bin"].file.closed


async def test_post_decodes_part_codings_and_charset_field() -> None:
    body = form(
        field("_charset_", b"latin-1"),
        field("name", "été".encode("latin-1")),
        field("u8", "ü".encode(), "\r\nContent-Type: text/plain; charset=utf-8"),
        field("b64", b"aGVsbG8=", "\r\nContent-Transfer-Encoding: base64"),
        upload("z", "z.txt", gzip.compress(b"zipped " * 100)).replace(
            b"Content-Type: text/plain", b"Content-Type: text/plain\r\nContent-Encoding: gzip"
        ),
    )
    request = make_mocked_request("POST", "/", MP, body=body)
    data = await request.post()
    assert data["name"] == "été"
    assert data["u8"] == "ü"
    assert data["b64"] == "hello"
    assert data["z"].file.read() == b"zipped " * 100


async def test_files_spool_to_disk_past_the_threshold() -> None:
    app = Application(plugins=[])
    set_multipart_limits(app, MultipartLimits(spool_threshold=1000))
    body = form(upload("small", "s", b"s" * 999), upload("big", "b", b"b" * 5000))
    request = make_mocked_request("POST", "/", MP, body=body, app=app, client_max_size=0)
    data = await request.post()
    assert not data["small"].file._rolled  # in memory
    assert data["big"].file._rolled  # on disk
    assert data["big"].file.read() == b"b" * 5000


async def test_cleanup_closes_temporary_files_and_is_idempotent() -> None:
    limits = MultipartLimits(spool_threshold=10)
    body = form(*(upload(f"f{i}", f"{i}.txt", b"x" * 100) for i in range(5)))
    before = open_fds()
    request = make_mocked_request("POST", "/", MP, body=body)
    data = await request.post(limits=limits)
    assert open_fds() == before + 5
    request._cleanup()
    request._cleanup()
    assert open_fds() == before
    assert all(f.file.closed for f in data.values())


async def test_files_are_closed_when_the_request_is_collected() -> None:
    body = form(upload("f", "f.txt", b"x" * 100))
    before = open_fds()
    request = make_mocked_request("POST", "/", MP, body=body)
    data = await request.post(limits=MultipartLimits(spool_threshold=10))
    file = data["f"].file
    assert open_fds() == before + 1
    del request, data
    gc.collect()
    assert file.closed and open_fds() == before


def test_form_files_close_survives_a_failing_file() -> None:
    class Owner:
        pass

    owner = Owner()
    files = FormFiles(owner)

    class Broken:
        def close(self) -> None:
            raise OSError("disk gone")

    good = files.new(10)
    files._files.insert(0, Broken())  # type: ignore[arg-type]
    files.close()
    assert good.closed and len(files) == 0


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param(
            form(f"--{B}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode()),
            "no Content-Disposition",
            id="part-without-content-disposition",
        ),
        pytest.param(
            form(f"--{B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n".encode()),
            "no name",
            id="part-without-name",
        ),
        pytest.param(form(field("t", b"\xff\xfe")), "not valid utf-8", id="invalid-utf8-field"),
        pytest.param(form(field("t", b"x"))[:-10], "ends before", id="unterminated"),
    ],
)
async def test_post_bad_multipart_is_400_and_a_value_error(body: bytes, words: str) -> None:
    before = open_fds()
    request = make_mocked_request("POST", "/", MP, body=upload("f", "f", b"x") + body[0:0] + body)
    with pytest.raises(ValueError) as info:
        await request.post(limits=MultipartLimits(spool_threshold=0))
    assert isinstance(info.value, MultipartError)
    assert info.value.status == 400 and words in info.value.text
    request._cleanup()
    assert open_fds() == before


async def test_post_limits_fields() -> None:
    body = form(*(field(f"f{i}", b"v") for i in range(5)))
    request = make_mocked_request("POST", "/", MP, body=body)
    with pytest.raises(MultipartLimitError, match="max_fields=4"):
        await request.post(limits=MultipartLimits(max_fields=4))


async def test_post_nested_mixed_files_go_under_the_outer_name() -> None:
    inner = (
        b"--in\r\nContent-Disposition: file; filename=a.txt\r\n\r\nA\r\n"
        b"--in\r\nContent-Disposition: file; filename=b.txt\r\nContent-Type: text/x\r\n\r\nB\r\n"
        b"--in--"
    )
    body = form(field("files", inner, "\r\nContent-Type: multipart/mixed; boundary=in"))
    request = make_mocked_request("POST", "/", MP, body=body)
    data = await request.post()
    files = data.getall("files")
    assert [(f.filename, f.content_type, f.file.read()) for f in files] == [
        ("a.txt", "application/octet-stream", b"A"),
        ("b.txt", "text/x", b"B"),
    ]


async def test_post_after_read_parses_the_cached_body() -> None:
    request = make_mocked_request("POST", "/", MP, body=form(field("a", b"1")))
    await request.read()
    assert (await request.post())["a"] == "1"


# -- client_max_size


class Unread(BodyStream):
    """A body stream that fails the test if anything reads it."""

    def _note_read(self) -> None:
        raise AssertionError("the body was read")


def request_with_unread_body(headers: dict[str, str], length: int, **kw: Any) -> Request:
    request = make_mocked_request("POST", "/", {**headers, "Content-Length": str(length)}, **kw)
    request._payload = Unread()
    request._head = request._head._replace(content_length=length)
    return request


@pytest.mark.parametrize("headers", [URLENC, MP], ids=["urlencoded", "multipart"])
async def test_post_over_declared_length_is_413_before_reading(headers: dict[str, str]) -> None:
    request = request_with_unread_body(headers, 2000, client_max_size=1000)
    with pytest.raises(HTTPRequestEntityTooLarge) as info:
        await request.post()
    assert "1000" in info.value.text and "2000" in info.value.text
    assert isinstance(info.value, ValueError)


async def test_post_multipart_over_the_limit_fails_while_streaming() -> None:
    # The body never ends: post() must fail as soon as the limit is passed,
    # not wait for the rest.
    request = make_mocked_request("POST", "/", MP, client_max_size=10_000)
    stream = BodyStream()
    stream.feed_data(upload("f", "f", b"x" * 20_000))
    request._payload = stream
    with pytest.raises(HTTPRequestEntityTooLarge) as info:
        await asyncio.wait_for(request.post(), 5)
    assert "10000" in info.value.text
    assert not stream.is_eof()


async def test_clone_uploads_belong_to_the_original_request() -> None:
    request = make_mocked_request("POST", "/", MP, body=form(upload("f", "f", b"x")))
    data = await request.clone().post()
    gc.collect()
    assert data["f"].file.read() == b"x"  # the clone is gone, the file is not
    request._cleanup()
    assert data["f"].file.closed


async def test_post_decoded_size_counts_against_the_limit() -> None:
    bomb = gzip.compress(b"x" * 1_000_000)
    body = form(
        upload("f", "f", bomb).replace(b"text/plain", b"text/plain\r\nContent-Encoding: gzip")
    )
    request = make_mocked_request("POST", "/", MP, body=body, client_max_size=100_000)
    with pytest.raises(HTTPRequestEntityTooLarge):
        await request.post()
    request._cleanup()


class Route:
    def __init__(self, size: int | None) -> None:
        self.client_max_size = size


class Match(AbstractMatchInfo):
    def __init__(self, apps: tuple[Application, ...], route: Any = None) -> None:
        super().__init__()
        self._apps = apps
        self._route = route

    handler = expect_handler = http_exception = None  # type: ignore[assignment]

    @property
    def apps(self) -> tuple[Application, ...]:
        return self._apps

    @property
    def route(self) -> Any:
        return self._route

    def add_app(self, app: Application) -> None:
        raise NotImplementedError

    def freeze(self) -> None:
        pass


@pytest.mark.parametrize(
    ("root", "sub", "route", "expected"),
    [
        pytest.param(5000, None, None, 5000, id="root-only"),
        pytest.param(5000, 300, None, 300, id="sub-app-wins"),
        pytest.param(5000, None, Route(None), 5000, id="sub-app-none-inherits"),
        pytest.param(5000, 300, Route(70), 70, id="route-wins"),
        pytest.param(5000, 300, Route(0), 0, id="route-zero-means-no-limit"),
    ],
)
def test_client_max_size_resolves_innermost_first(
    root: int, sub: int | None, route: Any, expected: int
) -> None:
    root_app = Application(plugins=[], client_max_size=root)
    sub_app = Application(plugins=[], client_max_size=sub)  # type: ignore[arg-type]
    request = make_mocked_request(
        "POST", "/", app=root_app, match_info=Match((root_app, sub_app), route)
    )
    assert request.client_max_size == expected
    unrouted = make_mocked_request("POST", "/", app=root_app)
    assert unrouted.client_max_size == root


async def test_route_limit_is_enforced_by_post() -> None:
    app = Application(plugins=[])
    body = b"a=" + b"x" * 500
    request = make_mocked_request(
        "POST", "/", URLENC, body=body, app=app, match_info=Match((app,), Route(100))
    )
    with pytest.raises(HTTPRequestEntityTooLarge) as info:
        await request.post()
    assert "100" in info.value.text


# -- the 100 Continue watch on request.transport


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: Any) -> None:
        self.written += data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("1.2.3.4", 5)}.get(name, default)


def expecting_request() -> tuple[Request, Any]:
    request = make_mocked_request("POST", "/", {"Expect": "100-continue"}, body=b"x")
    protocol = request.protocol
    protocol.transport = FakeTransport()  # type: ignore[assignment]
    protocol._wants_continue = True  # type: ignore[attr-defined]
    protocol._continue_sent = False  # type: ignore[attr-defined]
    return request, protocol


def test_transport_notices_a_hand_written_100_continue() -> None:
    request, protocol = expecting_request()
    assert request.expects_continue
    transport = request.transport
    assert transport is not None and transport is not protocol.transport
    assert isinstance(transport, asyncio.Transport)
    assert transport.get_extra_info("peername") == ("1.2.3.4", 5)
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert protocol._continue_sent and not request.expects_continue
    assert request.transport is protocol.transport  # no wrapper once nothing is owed
    assert protocol.transport.written == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_transport_is_the_real_one_without_expect() -> None:
    request = make_mocked_request("POST", "/", body=b"x")
    assert not request.expects_continue
    assert request.transport is request.protocol.transport
