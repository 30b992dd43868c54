"""The README's example and ``examples/demo.py`` run, as a reader would run them (issue 18)."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import httpx

from jackfield import web
from jackfield.testing.testing import ClientFactory

from .e2e.processes import Proc

ROOT = Path(__file__).resolve().parents[1]


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert match, "the README shows no Python example"
    return match.group(1)


async def test_the_readme_example_serves_hello_world(client_for: ClientFactory) -> None:
    namespace: dict[str, object] = {"__name__": "readme"}  # not __main__: no run_app(port=8080)
    exec(compile(_readme_example(), "README.md", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, web.Application)
    client = await client_for(app)
    assert await client.get_text("/") == "Hello, world"


async def test_the_demo_app(client_for: ClientFactory) -> None:
    from examples.demo import init_func

    client = await client_for(init_func())
    assert await client.get_text("/") == "Hello, world"
    assert await client.get_json("/users/ada") == {"name": "ada"}
    echoed = await client.post("/echo", data={"greeting": "hi", "to": "you"})
    assert echoed.json() == {"greeting": "hi", "to": "you"}


def test_the_demo_served_from_the_command_line() -> None:
    proc = Proc(
        [
            sys.executable,
            "-m",
            "jackfield.web",
            "-H",
            "127.0.0.1",
            "-P",
            "0",
            "examples.demo:init_func",
        ],
        cwd=ROOT,
    )
    try:
        port = proc.port()
        assert httpx.get(f"http://127.0.0.1:{port}/").text == "Hello, world"
        proc.signal(signal.SIGINT)
        assert proc.wait() == 0
    finally:
        proc.stop()
