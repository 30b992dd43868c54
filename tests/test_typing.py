"""A user's ``mypy --strict`` sees jackfield's types after the README's install (issue 18).

The README installs with ``pip install -e .``: setuptools then maps ``kernel/``
to ``jackfield`` through an import hook that mypy cannot follow, which is why
``setup.py`` adds a folder mypy can read (see its docstring). This test runs
mypy the way a user would, on an application outside the repository, against
whatever install this interpreter has (editable, or the compiled build in CI).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

APP = """
from jackfield import web

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204)


@web.middleware
async def passthrough(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    return await handler(request)


def make_app() -> web.Application:
    app = web.Application(middlewares=[passthrough])
    app.add_routes(routes)
    app.add_routes([web.options("/", preflight)])
    route: web.AbstractRoute = app.router.add_get("/again", index)
    assert route.method == "GET"
    return app
"""

MISTAKES = """
from jackfield import web

router: int = web.Application().router
response: str = web.Response(text="x")
"""


def _mypy(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    (folder / "app.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "app.py"],
        cwd=folder,  # no configuration of the repository's applies here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_mypy_strict_passes_on_a_typed_app(tmp_path: Path) -> None:
    result = _mypy(tmp_path, APP)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_sees_the_real_types(tmp_path: Path) -> None:
    """Not ``Any`` everywhere: wrong uses of jackfield's types are reported."""
    result = _mypy(tmp_path, MISTAKES)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'expression has type "UrlDispatcher", variable has type "int"' in result.stdout
    assert 'expression has type "Response", variable has type "str"' in result.stdout
