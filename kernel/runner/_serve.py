"""``python -m jackfield.web``: serve an application named on the command line.

    python -m jackfield.web [-H HOST] [-P PORT] [options] package.module:init_func [args ...]

``init_func`` is called with the arguments this parser does not know (a list
of strings) and returns the ``Application``. The serving options are those of
``jackfield serve`` (``jackfield.runner._options``). Problems the user can fix
(a bad option, a module that does not import, a name that is not callable, a
port in use) print one clear line on stderr and exit with status 2, without a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .. import __version__
from ._loader import AppLoadError, load_app
from ._options import (
    OptionError,
    add_serve_options,
    configure_logging,
    reload,
    run_options,
    without_reload,
)
from .runner import AddressInUseError, run_app

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
  python -m jackfield.web --reload myproject.app:init_func

Stop with Ctrl+C (SIGINT) or SIGTERM: in-flight requests finish first.
"""


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
    parser.add_argument("--version", action="version", version=f"jackfield {__version__}")
    add_serve_options(parser)
    return parser


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def serve_main(
    argv: list[str] | None = None,
    *,
    run: Callable[..., None] | None = None,
) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), load the app, serve it; return the exit status.

    ``run`` replaces ``run_app`` (tests pass a stand-in that records its arguments).
    """
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    try:
        args, rest = parser.parse_known_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.reload:
            if args.workers is not None and args.workers > 1:
                raise OptionError("--reload serves from one process; leave --workers out")
            return reload([sys.executable, "-m", "jackfield.web", *without_reload(argv)], _say)
        app = load_app(args.entry_func, rest)
        options = run_options(args, _say)
        configure_logging(args.access_log)
        (run or run_app)(app, **options)
    except (AppLoadError, OptionError, AddressInUseError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    return 0
