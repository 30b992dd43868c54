"""AccessLogger: every directive, the compiled format, errors at set-up, never raising.

Most tests use small stand-ins for the request and response (the logger only
reads a handful of attributes); one test logs real requests through a server.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from jackfield.app.app import Application
from jackfield.requests.request import HttpVersion
from jackfield.responses.response import Response
from jackfield.runner.runner import AppRunner, TCPSite
from jackfield.server.accesslog import DEFAULT_FORMAT, DIRECTIVES, AccessLogger


class FakeRequest:
    def __init__(
        self,
        method: str = "GET",
        raw_path: str = "/p",
        query_string: str = "q=1",
        headers: dict[str, str] | None = None,
        remote: str | None = "10.0.0.7",
    ) -> None:
        self.method = method
        self.raw_path = raw_path
        self.query_string = query_string
        self.version = HttpVersion(1, 1)
        self.headers = CIMultiDictProxy(CIMultiDict(headers or {}))
        self.remote = remote


class FakeResponse:
    def __init__(self, status: int = 200, body_length: int = 12, **headers: str) -> None:
        self.status = status
        self.body_length = body_length
        self.headers = CIMultiDict({k.replace("_", "-"): v for k, v in headers.items()})


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def handler() -> Iterator[ListHandler]:
    logger = logging.getLogger("test.access")
    h = ListHandler()
    logger.addHandler(h)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield h
    logger.removeHandler(h)


def log_one(
    handler: ListHandler,
    fmt: str,
    request: Any = None,
    response: Any = None,
    elapsed: float = 0.25,
) -> str:
    logger = logging.getLogger("test.access")
    AccessLogger(logger, fmt).log(request or FakeRequest(), response or FakeResponse(), elapsed)
    assert len(handler.records) == 1
    return handler.records[0].getMessage()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%a", "10.0.0.7"),
        ("%r", "GET /p?q=1 HTTP/1.1"),
        ("%s", "200"),
        ("%b", "12"),
        ("%T", "0"),
        ("%Tf", "0.250000"),
        ("%D", "250000"),
        ("%P", str(os.getpid())),
        ("%{User-Agent}i", "probe/1.0"),
        ("%{X-Missing}i", "-"),
        ("%{Content-Type}o", "text/plain"),
        ("%{X-Missing}o", "-"),
        ("100%%", "100%"),
        ("plain text", "plain text"),
        ("%s%%%b", "200%12"),
    ],
    ids=[
        "remote",
        "request-line",
        "status",
        "size",
        "whole-seconds",
        "float-seconds",
        "microseconds",
        "pid",
        "request-header",
        "absent-request-header",
        "response-header",
        "absent-response-header",
        "literal-percent",
        "no-directives",
        "adjacent-directives",
    ],
)
def test_directive(handler: ListHandler, fmt: str, expected: str) -> None:
    request = FakeRequest(headers={"User-Agent": "probe/1.0"})
    response = FakeResponse(Content_Type="text/plain")
    assert log_one(handler, fmt, request, response) == expected


def test_request_line_keeps_the_path_encoded_so_it_cannot_break_the_line(
    handler: ListHandler,
) -> None:
    request = FakeRequest(raw_path="/a%0Ab", query_string="")
    assert log_one(handler, "%r", request) == "GET /a%0Ab HTTP/1.1"


def test_unknown_remote_is_a_dash(handler: ListHandler) -> None:
    assert log_one(handler, "%a", FakeRequest(remote=None)) == "-"


def test_default_format(handler: ListHandler) -> None:
    request = FakeRequest(headers={"User-Agent": "probe/1.0"})
    line = log_one(handler, DEFAULT_FORMAT, request)
    assert re.fullmatch(
        r'10\.0\.0\.7 \[[^]]+\] "GET /p\?q=1 HTTP/1\.1" 200 12 "-" "probe/1\.0"', line
    )


@pytest.fixture
def tz_plus_0230(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # POSIX TZ offsets have the opposite sign: "XYZ-02:30" is UTC+02:30.
    monkeypatch.setenv("TZ", "XYZ-02:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_start_time_is_local_with_offset_and_english_month(
    handler: ListHandler, tz_plus_0230: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2024-03-05 22:00:10 UTC, the request took 10 s: it started at 22:00:00 UTC.
    monkeypatch.setattr(time, "time", lambda: 1709676010.0)
    assert log_one(handler, "%t", elapsed=10.0) == "[06/Mar/2024:00:30:00 +0230]"


@pytest.mark.parametrize(
    "fmt",
    ["%x", "%{User-Agent}", "%{}i", "%{Name}x", "ends with %", "%{unclosed"],
    ids=[
        "unknown-letter",
        "header-without-kind",
        "empty-header-name",
        "bad-kind",
        "lone-percent",
        "unclosed-brace",
    ],
)
def test_bad_format_fails_at_construction(fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown access log directive") as info:
        AccessLogger(logging.getLogger("test.access"), fmt)
    assert repr(fmt) in str(info.value) and "%%" in str(info.value)


def test_every_documented_directive_compiles() -> None:
    AccessLogger(logging.getLogger("test.access"), " ".join(DIRECTIVES))


def test_record_carries_the_values_as_extra(handler: ListHandler) -> None:
    fmt = '%a "%r" %s %b %{User-Agent}i %{Server}o %D'
    request = FakeRequest(headers={"User-Agent": "probe/1.0"})
    AccessLogger(logging.getLogger("test.access"), fmt).log(
        request, FakeResponse(Server="jackfield"), 0.5
    )
    record: Any = handler.records[0]
    assert record.levelno == logging.INFO
    assert record.remote_address == "10.0.0.7"
    assert record.first_request_line == "GET /p?q=1 HTTP/1.1"
    assert record.response_status == "200"
    assert record.response_size == "12"
    assert record.request_header == {"User-Agent": "probe/1.0"}
    assert record.response_header == {"Server": "jackfield"}
    assert record.request_time_micro == "500000"


def test_a_failing_getter_writes_a_dash_and_never_raises(handler: ListHandler) -> None:
    class Broken(FakeResponse):
        @property  # type: ignore[misc]
        def status(self) -> int:
            raise RuntimeError("boom")

        @status.setter
        def status(self, value: int) -> None:
            pass

    assert log_one(handler, "%s %b", response=Broken()) == "- 12"


def test_a_failing_logger_never_raises() -> None:
    class Exploding(logging.Logger):
        def info(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("disk full")

    logger = Exploding("exploding")
    logger.setLevel(logging.INFO)
    AccessLogger(logger).log(FakeRequest(), FakeResponse(), 0.1)  # must not raise


def test_disabled_logger_skips_the_work(handler: ListHandler) -> None:
    logger = logging.getLogger("test.access")
    access = AccessLogger(logger)
    assert access.enabled
    logger.setLevel(logging.WARNING)
    assert not access.enabled
    access.log(FakeRequest(), FakeResponse(), 0.1)
    assert handler.records == []


async def test_real_requests_are_logged(
    tiny_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    async def hello(request: Any) -> Response:
        return Response(text="Hello, world")

    tiny_app.router.add("GET", "/hello", hello)  # type: ignore[attr-defined]
    runner = AppRunner(tiny_app, access_log_format='%a "%r" %s %b "%{User-Agent}i"')
    await runner.setup()
    site = TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        with caplog.at_level(logging.INFO, logger="jackfield.access"):
            async with httpx.AsyncClient() as client:
                r = await client.get(
                    f"http://127.0.0.1:{site.port}/hello?x=1", headers={"User-Agent": "probe"}
                )
                missing = await client.get(f"http://127.0.0.1:{site.port}/missing")
    finally:
        await runner.cleanup()
    assert r.status_code == 200 and missing.status_code == 404
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "jackfield.access"]
    assert lines[0] == '127.0.0.1 "GET /hello?x=1 HTTP/1.1" 200 12 "probe"'
    assert lines[1].startswith('127.0.0.1 "GET /missing HTTP/1.1" 404 ')
