"""What the framework contenders share: command line, loop choice and the app itself.

``aiohttp_app.py`` and ``jackfield_app.py`` pass their ``web`` module to
:func:`serve`, so both frameworks serve exactly the same routes and handlers
and a difference in throughput can only come from the framework. The web
module is taken as ``Any`` because the two frameworks' types are unrelated;
the API used here is the part they share.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

SCENARIOS = ("hello", "json_user", "routes")
TEXT_BODY = "Hello, world"


def parse_args(description: str) -> argparse.Namespace:
    """Return the parsed command line common to every benchmark server."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--scenario", choices=SCENARIOS, default="hello")
    parser.add_argument(
        "--routes", type=int, default=1, help="route count for --scenario routes (>= 1)"
    )
    args = parser.parse_args()
    if args.routes < 1:
        parser.error(f"--routes must be at least 1, got {args.routes}")
    return args


def install_loop(loop: str) -> None:
    """Make new event loops of the ``loop`` kind ("asyncio" or "uvloop")."""
    if loop == "uvloop":
        import uvloop  # only needed for this choice; a missing uvloop fails loudly here

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def loop_matches(loop: str) -> bool:
    """Return True when the running loop is of the kind that was asked for."""
    is_uvloop = type(asyncio.get_running_loop()).__module__.startswith("uvloop")
    return is_uvloop == (loop == "uvloop")


def build_app(web: Any, scenario: str, routes: int, loop: str) -> Any:
    """Return an application of ``web`` serving ``scenario``.

    routes: ``routes - 1`` filler routes, alternately fixed (``/f{i}``) and
    variable (``/r{i}/{x}``), then the requested one, ``/target/{name}``,
    registered last so a router that scans in order pays the whole scan.
    """

    async def hello(request: Any) -> Any:
        return web.Response(text=TEXT_BODY)

    async def user(request: Any) -> Any:
        return web.json_response({"name": request.match_info["name"], "id": 1})

    async def filler(request: Any) -> Any:
        return web.Response(text="filler")

    async def target(request: Any) -> Any:
        return web.Response(text=request.match_info["name"])

    async def check_loop(app: Any) -> None:
        # A policy that did not take effect would silently benchmark the wrong loop.
        if not loop_matches(loop):
            running = type(asyncio.get_running_loop())
            raise RuntimeError(
                f"asked for --loop {loop} but the server runs on {running.__module__}."
                f"{running.__qualname__}; check that the framework's run_app uses the policy"
            )

    app = web.Application()
    app.on_startup.append(check_loop)
    if scenario == "hello":
        app.router.add_get("/", hello)
    elif scenario == "json_user":
        app.router.add_get("/users/{name}", user)
    else:
        for i in range(routes - 1):
            path = f"/f{i}" if i % 2 == 0 else f"/r{i}/{{x}}"
            app.router.add_get(path, filler)
        app.router.add_get("/target/{name}", target)
    return app


def serve(web: Any, args: argparse.Namespace) -> None:
    """Serve the scenario's app with ``web.run_app`` until SIGTERM; access log off."""
    install_loop(args.loop)
    app = build_app(web, args.scenario, args.routes, args.loop)
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
        shutdown_timeout=1.0,
    )
