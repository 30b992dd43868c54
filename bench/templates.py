"""Template rendering over HTTP: jackfield's templates plugin against aiohttp + aiohttp_jinja2.

Both servers render the same Jinja2 page (a layout, a loop over 20 rows, a
``url()`` call, autoescaping) from the same files with the same handler
decorated by their ``@template``; ``wrk`` drives one server at a time over
loopback (server on CPU 0, wrk on CPU 1 when ``taskset`` exists) and the
script prints requests per second and the ratio. aiohttp_jinja2 is a bench-only
dependency: ``pip install aiohttp-jinja2``.

    .venv/bin/python bench/templates.py --duration 5
    .venv/bin/python bench/templates.py --serve jackfield --port 8080   # one server, by hand
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LAYOUT = "<html><title>{% block title %}{% endblock %}</title><body>{% block body %}{% endblock %}"
PAGE = (
    '{% extends "layout.html" %}{% block title %}{{ title }}{% endblock %}{% block body %}'
    "<a href=\"{{ url('page') }}\">self</a><ul>"
    "{% for row in rows %}<li>{{ row.name }}: {{ row.note }}</li>{% endfor %}</ul>{% endblock %}"
)
ROWS = [{"name": f"item {i}", "note": "<escaped> & fine"} for i in range(20)]


def write_templates() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="jackfield-bench-templates-"))
    (folder / "layout.html").write_text(LAYOUT)
    (folder / "page.html").write_text(PAGE)
    return folder


def serve(contender: str, port: int, folder: Path) -> None:
    """Serve the page with ``contender`` ("jackfield" or "aiohttp") until killed."""
    import jinja2

    context = {"title": "bench", "rows": ROWS}
    loader = jinja2.FileSystemLoader(folder)
    web: Any
    if contender == "jackfield":
        from jackfield import web
        from jackfield.plugins import templates

        app = web.Application()
        templates.setup(app, loader=loader)
        decorate = templates.template("page.html")
    else:
        import aiohttp_jinja2
        from aiohttp import web

        app = web.Application()
        aiohttp_jinja2.setup(app, loader=loader, autoescape=True)
        decorate = aiohttp_jinja2.template("page.html")

    @decorate
    async def page(request: Any) -> dict[str, Any]:
        return context

    app.router.add_get("/", page, name="page")
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(contender: str, folder: Path, pin: list[str]) -> Iterator[int]:
    port = free_port()
    argv = [*pin, sys.executable, __file__, "--serve", contender, "--port", str(port)]
    argv += ["--folder", str(folder)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise SystemExit(f"{contender} server did not start:\n{err}") from None
                time.sleep(0.1)
        # Same page from both: escaped rows and the route's URL.
        if body.count("&lt;escaped&gt; &amp; fine") != 20 or '<a href="/">' not in body:
            raise SystemExit(f"{contender} rendered an unexpected page:\n{body}")
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def run_wrk(port: int, duration: int, connections: int, pin: list[str]) -> float:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found on PATH; install it (apt-get install wrk)")
    cmd = [*pin, wrk, "-t1", f"-c{connections}", f"-d{duration}s", f"http://127.0.0.1:{port}/"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per contender")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve", choices=("jackfield", "aiohttp"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8080, help="with --serve")
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.folder or write_templates())
        return 0
    try:
        import aiohttp_jinja2  # noqa: F401
    except ImportError:
        print("aiohttp_jinja2 is not installed: pip install aiohttp-jinja2", file=sys.stderr)
        return 2
    taskset = shutil.which("taskset")
    server_pin, wrk_pin = ([taskset, "-c", "0"], [taskset, "-c", "1"]) if taskset else ([], [])
    folder = write_templates()
    rps: dict[str, float] = {}
    for contender in ("jackfield", "aiohttp"):
        with server(contender, folder, server_pin) as port:
            if args.warmup:
                run_wrk(port, args.warmup, args.connections, wrk_pin)
            rps[contender] = run_wrk(port, args.duration, args.connections, wrk_pin)
    print(f"template page, wrk -t1 -c{args.connections} -d{args.duration}s, asyncio loop")
    print(f"{'contender':<28} {'req/s':>10}")
    print(f"{'jackfield + templates':<28} {rps['jackfield']:>10.0f}")
    print(f"{'aiohttp + aiohttp_jinja2':<28} {rps['aiohttp']:>10.0f}")
    print(f"ratio jackfield/aiohttp: {rps['jackfield'] / rps['aiohttp']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
