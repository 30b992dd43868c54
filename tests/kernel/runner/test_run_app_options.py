"""run_app() forwards server options (limits, timeouts, Server header)."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading

import httpx
import pytest

from jackfield import web


def test_run_app_passes_server_options_through() -> None:
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="ok"))
    seen: dict[str, object] = {}
    lines: list[str] = []

    def capture(*args: object) -> None:
        line = " ".join(map(str, args))
        lines.append(line)
        match = re.search(r"http://([\d.]+):(\d+)", line)
        if match:
            threading.Thread(target=probe, args=(match.group(1), int(match.group(2)))).start()

    def probe(host: str, port: int) -> None:
        try:
            ok = httpx.get(f"http://{host}:{port}/")
            seen["server"] = ok.headers.get("server")
            big = httpx.get(f"http://{host}:{port}/", headers={"X-Big": "x" * 300})
            seen["big"] = big.status_code
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    web.run_app(
        app,
        host="127.0.0.1",
        port=0,
        print=capture,
        server_header="edge/2",
        limits=web.Limits(max_field_size=200),
    )
    assert seen == {"server": "edge/2", "big": 431}


def test_run_app_refuses_an_unknown_server_option() -> None:
    app = web.Application()
    with pytest.raises(TypeError, match="no_such_option"):
        web.run_app(app, host="127.0.0.1", port=0, print=None, no_such_option=1)


def test_run_app_caps_connections() -> None:
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="ok"))
    seen: dict[str, object] = {}

    def capture(*args: object) -> None:
        match = re.search(r"http://([\d.]+):(\d+)", " ".join(map(str, args)))
        if match:
            threading.Thread(target=probe, args=(match.group(1), int(match.group(2)))).start()

    def probe(host: str, port: int) -> None:
        try:
            # Half a request head: a connection in use, which is never closed to make room.
            holder = socket.create_connection((host, port))
            holder.sendall(b"GET / HTTP/1.1\r\n")
            try:
                httpx.get(f"http://{host}:{port}/", timeout=0.5)
            except httpx.TimeoutException as exc:
                seen["past the cap"] = type(exc).__name__
            holder.close()
            seen["below the cap"] = httpx.get(f"http://{host}:{port}/", timeout=5).text
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    web.run_app(app, host="127.0.0.1", port=0, print=capture, max_connections=1)
    assert seen == {"past the cap": "ReadTimeout", "below the cap": "ok"}
