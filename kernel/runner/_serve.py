"""``python -m jackfield.web``: serve an application named on the command line.

    python -m jackfield.web [-H HOST] [-P PORT] [-U PATH] package.module:init_func [args ...]

``init_func`` is called with the arguments this parser does not know (a list
of strings) and returns the ``Application``. Problems the user can fix (a bad
option, a module that does not import, a name that is not callable) print one
clear line on stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ._loader import AppLoadError, load_app
from .runner import run_app

__all__ = ["serve_main"]

PROG = "python -m jackfield.web"

_DESCRIPTION = """\
Serve a jackfield application for development.

ENTRY names a callable as package.module:function. It is called with the
command-line arguments not listed below (a list of strings, possibly empty)
and must return a web.Application.
"""

_EPILOG = """\
examples:
  python -m jackfield.web -P 8080 myproject.app:init_func
  python -m jackfield.web -H 0.0.0.0 myproject.app:init_func --db sqlite:///dev.db
  python -m jackfield.web -U /tmp/app.sock myproject.app:init_func

Stop with Ctrl+C (SIGINT) or SIGTERM: in-flight requests finish first.
"""


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "entry_func",
        metavar="ENTRY",
        help="the application factory, as package.module:init_func",
    )
    parser.add_argument(
        "-H",
        "--hostname",
        metavar="HOST",
        help="TCP/IP host to serve on (default: localhost)",
    )
    parser.add_argument(
        "-P",
        "--port",
        type=_port,
        metavar="PORT",
        help="TCP/IP port to serve on (default: 8080)",
    )
    parser.add_argument(
        "-U",
        "--path",
        metavar="PATH",
        help="Unix socket path to serve on; without -H/-P only this socket is served",
    )
    return parser


def serve_main(
    argv: list[str] | None = None,
    *,
    run: Callable[..., None] | None = None,
) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), load the app, serve it; return the exit status.

    ``run`` replaces ``run_app`` (tests pass a stand-in that records its arguments).
    """
    parser = _parser()
    try:
        args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        app = load_app(args.entry_func, rest)
    except AppLoadError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {}
    if args.path is None or args.hostname is not None or args.port is not None:
        options["host"] = args.hostname if args.hostname is not None else "localhost"
        options["port"] = args.port if args.port is not None else 8080
    if args.path is not None:
        options["path"] = args.path
    if run is None:
        run = run_app
    run(app, **options)
    return 0
