"""Static files: jackfield's add_static against aiohttp's, with nginx (sendfile on) as the ceiling.

Run by hand (never in CI):
``flock /tmp/jackfield-bench.lock .venv/bin/python bench/static.py [--duration 10]``.

* small (1 KiB) and large (1 MiB) file: each server, in turn, pinned to CPU 0,
  serves the same directory; ``wrk -t1 -c64`` (CPU 1) fetches one file.
  Requests/s, MB/s and server CPU per request; ratios at the end against the
  targets of issue 21: small >= 5x aiohttp, large >= 1.2x aiohttp and >= 0.9x nginx.
* huge: one download of a 4 GiB sparse file from jackfield; the server's peak
  memory growth (``VmHWM`` after minus ``VmRSS`` before, peak reset through
  ``/proc/PID/clear_refs``) must stay under 16 MiB.
* ``--fs-calls``: the cost of ``os.stat`` + ``open`` + ``close`` of a small file
  inline against the same through ``loop.run_in_executor`` (what aiohttp does),
  which decided that jackfield makes these calls inline (docs/static.md).

nginx runs from ``/usr/sbin/nginx`` (Debian package ``nginx``) with a config
written to a temporary directory: one process (``master_process off``),
``sendfile on``, ``tcp_nopush on``, access log off. Without nginx the column
says unavailable and its ratio is not checked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # bench/ is not a package: run.py is found through sys.path
    ServerError,
    Settings,
    cpu_seconds,
    free_port,
    parse_wrk,
    pinning,
    run_wrk,
    server,
    table,
)

APP = Path(__file__).resolve().parent / "apps" / "static_app.py"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
FILES = {"small": ("small.bin", 1024), "large": ("large.bin", 1024 * 1024)}
HUGE = ("huge.bin", 4 * 1024**3)
TARGETS = (
    ("small", "jackfield", "aiohttp", 5.0),
    ("large", "jackfield", "aiohttp", 1.2),
    ("large", "jackfield", "nginx", 0.9),
)
MEMORY_LIMIT = 16 * 1024 * 1024


@dataclass
class Row:
    case: str
    contender: str
    rps: float = 0.0
    mbps: float = 0.0
    cpu_us: float | None = None
    error: str | None = None


def make_files(root: Path) -> None:
    """The served directory: two random files and a sparse 4 GiB one, all settled."""
    for name, size in FILES.values():
        (root / name).write_bytes(os.urandom(size))
    with open(root / HUGE[0], "wb") as f:
        f.truncate(HUGE[1])
    # jackfield caches a small file's bytes once its ctime is a second old: let
    # every contender start from files that are not being written.
    time.sleep(1.2)


def nginx_conf(workdir: Path, root: Path, port: int) -> Path:
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""daemon off;
master_process off;
worker_processes 1;
error_log {workdir}/error.log warn;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    types {{ application/octet-stream bin; }}
    client_body_temp_path {workdir};
    proxy_temp_path {workdir};
    fastcgi_temp_path {workdir};
    uwsgi_temp_path {workdir};
    scgi_temp_path {workdir};
    server {{
        listen 127.0.0.1:{port};
        location /static/ {{ alias {root}/; }}
    }}
}}
"""
    )
    return conf


def argv_for(contender: str, settings: Settings, root: Path, port: int, workdir: Path) -> list[str]:
    if contender == "nginx":
        if NGINX is None:
            raise ServerError("nginx not installed (apt-get install nginx)")
        conf = nginx_conf(workdir, root, port)
        return [*settings.server_pin, NGINX, "-p", str(workdir), "-c", str(conf)]
    return [
        *settings.server_pin,
        sys.executable,
        str(APP),
        contender,
        "--port",
        str(port),
        "--root",
        str(root),
    ]


def check(port: int, name: str, expected: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        request = f"GET /static/{name} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(1 << 20):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or body != expected:
        raise ServerError(f"GET /static/{name}: {head[:60]!r}, {len(body)} bytes")


def measure(settings: Settings, case: str, contender: str, root: Path) -> Row:
    name, size = FILES[case]
    row = Row(case, contender)
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        try:
            argv = argv_for(contender, settings, root, port, Path(workdir))
            with server(argv, port) as (pid, _):
                check(port, name, (root / name).read_bytes())
                url = f"http://127.0.0.1:{port}/static/{name}"
                if settings.warmup:
                    run_wrk(settings, url, settings.warmup)
                before = cpu_seconds(pid)
                output = run_wrk(settings, url, settings.duration)
                after = cpu_seconds(pid)
                row.rps = parse_wrk(output)[0]
                row.mbps = row.rps * size / 1e6
                if before is not None and after is not None and row.rps:
                    row.cpu_us = (after - before) / (row.rps * settings.duration) * 1e6
        except ServerError as exc:
            row.error = str(exc)
    return row


def memory(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def huge_download(settings: Settings, root: Path) -> tuple[float, int]:
    """Seconds to download the sparse file from jackfield, and the server's memory growth."""
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        argv = argv_for("jackfield", settings, root, port, Path(workdir))
        with server(argv, port) as (pid, _):
            check(port, FILES["small"][0], (root / FILES["small"][0]).read_bytes())
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                base = memory(pid)["VmRSS"]
            except OSError:
                base = memory(pid)["VmHWM"]
            started = time.monotonic()
            received = 0
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(f"GET /static/{HUGE[0]} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
                buf = bytearray(1 << 20)
                head = b""
                while b"\r\n\r\n" not in head:
                    head += sock.recv(4096)
                received = len(head.partition(b"\r\n\r\n")[2])
                while received < HUGE[1]:
                    n = sock.recv_into(buf)
                    if not n:
                        raise ServerError(f"connection closed after {received} bytes")
                    received += n
            elapsed = time.monotonic() - started
            return elapsed, max(0, memory(pid)["VmHWM"] - base)


async def fs_calls(path: Path, rounds: int) -> tuple[float, float]:
    """µs per stat+open+close of ``path``: inline, and each call through the default executor."""
    loop = asyncio.get_running_loop()

    def inline() -> None:
        os.stat(path)
        os.close(os.open(path, os.O_RDONLY))

    started = time.perf_counter()
    for _ in range(rounds):
        inline()
    direct = (time.perf_counter() - started) / rounds * 1e6
    started = time.perf_counter()
    for _ in range(rounds):
        await loop.run_in_executor(None, os.stat, path)
        fd = await loop.run_in_executor(None, os.open, path, os.O_RDONLY)
        await loop.run_in_executor(None, os.close, fd)
    threaded = (time.perf_counter() - started) / rounds * 1e6
    return direct, threaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--contenders", default="jackfield,aiohttp,nginx")
    parser.add_argument("--files", default="small,large", help="which of small,large to fetch")
    parser.add_argument(
        "--repeat", type=int, default=1, help="interleaved rounds; each keeps its best run"
    )
    parser.add_argument("--no-huge", action="store_true", help="skip the 4 GiB download")
    parser.add_argument("--fs-calls", action="store_true", help="only measure stat/open costs")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    with tempfile.TemporaryDirectory(prefix="jackfield-static-bench-") as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        if args.fs_calls:
            (root / "f").write_bytes(b"x" * 1024)
            direct, threaded = asyncio.run(fs_calls(root / "f", 20000))
            print(f"stat+open+close of a 1 KiB file: inline {direct:.1f} µs, "
                  f"through the executor {threaded:.1f} µs ({threaded / direct:.0f}x)")  # fmt: skip
            return 0
        if wrk is None:
            print("wrk not found on PATH", file=sys.stderr)
            return 2
        server_pin, client_pin, pin_note = pinning()
        settings = Settings(
            args.duration, args.warmup, args.connections, wrk, server_pin, client_pin
        )
        make_files(root)
        contenders = args.contenders.split(",")
        cases = args.files.split(",")
        best: dict[tuple[str, str], Row] = {}
        for _ in range(max(args.repeat, 1)):  # interleaved: a slow spell hits every contender
            for case in cases:
                for contender in contenders:
                    row = measure(settings, case, contender, root)
                    kept = best.get((case, contender))
                    if kept is None or kept.error or (not row.error and row.rps > kept.rps):
                        best[(case, contender)] = row
        rows = list(best.values())
        print(
            f"static files, wrk -t1 -c{args.connections} -d{args.duration}s, best of "
            f"{max(args.repeat, 1)}; {pin_note}\n"
        )
        cells = [
            [
                r.case,
                r.contender,
                "unavailable" if r.error else f"{r.rps:,.0f}",
                "" if r.error else f"{r.mbps:,.1f}",
                "" if r.error or r.cpu_us is None else f"{r.cpu_us:.1f}",
            ]
            for r in rows
        ]
        print(table(["file", "server", "req/s", "MB/s", "CPU µs/req"], cells, args.markdown))
        for r in rows:
            if r.error:
                print(f"  {r.case}/{r.contender}: {r.error}")
        failed = False
        print()
        by = {(r.case, r.contender): r for r in rows}
        for case, top, bottom, minimum in TARGETS:
            a, b = by.get((case, top)), by.get((case, bottom))
            if a is None or b is None or a.error or b.error or not b.rps:
                print(f"{case}: {top}/{bottom} not measured")
                continue
            value = a.rps / b.rps
            ok = value >= minimum
            failed |= not ok
            print(f"{case}: {top}/{bottom} = {value:.2f} (target >= {minimum}) "
                  f"{'ok' if ok else 'MISSED'}")  # fmt: skip
        if not args.no_huge:
            elapsed, growth = huge_download(settings, root)
            ok = growth < MEMORY_LIMIT
            failed |= not ok
            print(
                f"4 GiB sparse download: {HUGE[1] / elapsed / 1e9:.2f} GB/s, server memory "
                f"growth {growth / 2**20:.1f} MiB (target < 16) {'ok' if ok else 'MISSED'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
