"""Real server processes for the deployment tests: gunicorn, ``run_app(workers=N)``, the CLI.

``Proc`` starts a command, collects its stdout and stderr on threads, and lets
a test wait for a line matching a pattern (the "Listening at" line that gives
the port, a worker's "Booting" line ...). ``APP`` is a small application
module the tests write into a temporary folder and serve.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
"""The virtualenv's scripts (``gunicorn``, ``jackfield``)."""

APP = """
import asyncio
import os

from jackfield import web

routes = web.RouteTableDef()


@routes.get("/")
async def pid(request):
    loop = type(asyncio.get_running_loop()).__module__
    return web.json_response({"pid": os.getpid(), "loop": loop})


@routes.get("/slow")
async def slow(request):
    await asyncio.sleep(float(request.query.get("s", "1")))
    return web.Response(text=f"slept {os.getpid()}")


@routes.get("/stream")
async def stream(request):
    # The pid first, so that a client knows which worker has it while it runs.
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(f"{os.getpid()}\\n".encode())
    await asyncio.sleep(float(request.query.get("s", "1")))
    await response.write(b"done\\n")
    await response.write_eof()
    return response


def build():
    app = web.Application()
    app.router.add_routes(routes)
    return app


app = build()


async def make_app():
    return build()


def init(argv):
    return build()


async def init_async(argv):
    return build()


not_an_app = 42


async def _refuse(app):
    raise RuntimeError("database unreachable")


def failing_app():
    app = build()
    app.on_startup.append(_refuse)
    return app
"""


def write_app(folder: Path, name: str = "served_app") -> str:
    """Write ``APP`` as ``folder/name.py``; return the module name."""
    (folder / f"{name}.py").write_text(APP, encoding="utf-8")
    return name


class Proc:
    """A child process whose output lines are collected as they come."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(cwd), full_env.get("PYTHONPATH", "")) if p
        )
        self.popen = subprocess.Popen(
            args,
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.popen.stdout, self.popen.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        """Everything printed so far, stdout and stderr interleaved as read."""
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 20.0, count: int = 1) -> list[re.Match[str]]:
        """Wait until ``count`` lines match ``pattern``; return the matches.

        Fails with the output so far if the process exits or ``timeout`` passes first.
        """
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [m for m in map(regex.search, self.lines) if m]
            if len(found) >= count:
                return found
            if self.popen.poll() is not None or time.monotonic() > deadline:
                for reader in self._readers:
                    reader.join(1.0)
                raise AssertionError(
                    f"no {count} line(s) matching {pattern!r} (exit code "
                    f"{self.popen.poll()}); output:\n{self.output}"
                )
            time.sleep(0.05)

    def port(self, pattern: str = r"(?:Listening at:|serving on) \S+?:(\d+)") -> int:
        """The port from the first line that announces it."""
        return int(self.wait_for(pattern)[0].group(1))

    def signal(self, signum: signal.Signals) -> None:
        """Send ``signum`` to the process."""
        self.popen.send_signal(signum)

    def wait(self, timeout: float = 15.0) -> int:
        """Wait for the exit and return the exit code (fails after ``timeout``)."""
        code = self.popen.wait(timeout)
        for reader in self._readers:
            reader.join(2.0)
        return code

    def stop(self) -> None:
        """Make sure the process and its children are gone (SIGKILL after 5 s)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(5.0)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5.0)
        for reader in self._readers:
            reader.join(2.0)


def send_slow_request(port: int, seconds: float) -> socket.socket:
    """Send ``GET /slow`` on a raw connection and make sure the server is handling it.

    A second request on another connection is answered first: the server
    accepts in order, so by then it has the slow one too.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /slow?s={seconds} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    with socket.create_connection(("127.0.0.1", port)) as other:
        other.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        read_all(other)
    time.sleep(0.1)
    return sock


def read_all(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """Read until the peer closes (within ``timeout``)."""
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def start_stream(port: int, seconds: float) -> tuple[socket.socket, int]:
    """Send ``GET /stream`` on a raw connection; return it and the pid of the worker serving it."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        f"GET /stream?s={seconds} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    sock.settimeout(10.0)
    data = b""
    first_chunk = re.compile(rb"\r\n\r\n[0-9a-fA-F]+\r\n(\d+)\n")
    while (match := first_chunk.search(data)) is None:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before the pid came: {data!r}")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200 "):
        raise AssertionError(f"/stream did not answer 200: {data!r}")
    return sock, int(match.group(1))


def finish_stream(sock: socket.socket) -> bytes:
    """Read the rest of a ``/stream`` response (after the pid) until the server closes."""
    with sock:
        return read_all(sock)


def pid_alive(pid: int) -> bool:
    """True while a process with ``pid`` exists (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
