"""The serving options ``jackfield serve`` and ``python -m jackfield.web`` share.

Both commands take the same options with the same defaults (``localhost``,
port 8080, an access log on stderr), turn them into ``run_app`` keywords with
``run_options``, and set up logging with ``configure_logging``. ``--reload``
is handled before the application is imported (``reload``), so that an
application that fails to import leaves the watcher running.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shlex
import ssl
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..server.accesslog import DEFAULT_FORMAT, AccessLogger

__all__ = [
    "OptionError",
    "add_serve_options",
    "configure_logging",
    "reload",
    "run_options",
    "without_reload",
]


class OptionError(Exception):
    """A serving option the user gave cannot be used; the message says what to change."""


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {port}")
    return port


def _count(flag: str, what: str) -> Callable[[str], int]:
    """An argparse type for ``flag``: a whole number of ``what``, at least 1."""

    def parse(value: str) -> int:
        try:
            count = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number of {what}") from None
        if count < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be at least 1, got {count}")
        return count

    return parse


_workers = _count("--workers", "workers")
_max_connections = _count("--max-connections", "connections")


def _log_format(value: str) -> str:
    try:
        AccessLogger(logging.getLogger("jackfield.access"), value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """Add the serving options to ``parser`` (the application argument is the caller's)."""
    where = parser.add_argument_group("where to listen")
    where.add_argument(
        "-H",
        "--host",
        "--hostname",
        dest="host",
        metavar="HOST",
        help="interface to listen on (default: localhost; 0.0.0.0 to serve the network)",
    )
    where.add_argument("-P", "--port", type=_port, help="TCP port (default: 8080)")
    where.add_argument(
        "-U",
        "--path",
        metavar="PATH",
        help="Unix socket path to serve on; without -H/-P only this socket is served",
    )
    where.add_argument("--ssl-certfile", metavar="FILE", help="serve HTTPS with this certificate")
    where.add_argument("--ssl-keyfile", metavar="FILE", help="the certificate's private key")
    how = parser.add_argument_group("how to serve")
    how.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="serve from N processes sharing the port (default: 1)",
    )
    how.add_argument(
        "--max-connections",
        type=_max_connections,
        metavar="N",
        help="stop accepting past N open connections, resume below (default: no cap)",
    )
    how.add_argument(
        "--uvloop",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the uvloop event loop (default: when it is installed)",
    )
    how.add_argument(
        "--reload",
        action="store_true",
        help="restart when a Python file under the current folder changes (needs watchfiles)",
    )
    log = parser.add_argument_group("access log")
    log.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="do not log a line per request (logged on stderr by default)",
    )
    log.add_argument(
        "--access-log-format",
        type=_log_format,
        metavar="FORMAT",
        # argparse %-formats help strings: the format's own % signs are doubled.
        help="the access log line, in jackfield's directives (default: "
        + repr(DEFAULT_FORMAT).replace("%", "%%")
        + ")",
    )


def run_options(ns: argparse.Namespace, say: Callable[[str], None]) -> dict[str, Any]:
    """The ``run_app`` keywords for the parsed options; ``say`` reports choices made."""
    options: dict[str, Any] = {}
    if ns.path is None or ns.host is not None or ns.port is not None:
        options["host"] = ns.host if ns.host is not None else "localhost"
        options["port"] = ns.port if ns.port is not None else 8080
    if ns.path is not None:
        options["path"] = ns.path
    if ns.ssl_certfile is not None or ns.ssl_keyfile is not None:
        options["ssl_context"] = _ssl_context(ns.ssl_certfile, ns.ssl_keyfile)
    if ns.workers is not None:
        options["workers"] = ns.workers
    if ns.max_connections is not None:
        options["max_connections"] = ns.max_connections
    if not ns.access_log:
        options["access_log"] = None
    if ns.access_log_format is not None:
        options["access_log_format"] = ns.access_log_format
    loop_factory = _loop_factory(ns.uvloop, say)
    if loop_factory is not None:
        options["loop_factory"] = loop_factory
    return options


def _ssl_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext:
    if certfile is None:
        raise OptionError("--ssl-keyfile needs --ssl-certfile too (the certificate it belongs to)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as exc:
        raise OptionError(f"cannot read {exc.filename or certfile!r}: no such file") from None
    except (ssl.SSLError, OSError) as exc:
        key = f" and key {keyfile!r}" if keyfile else ""
        raise OptionError(
            f"cannot load the certificate {certfile!r}{key}: {exc}; give a PEM certificate "
            "with --ssl-certfile and its private key with --ssl-keyfile"
        ) from None
    return context


def _loop_factory(wanted: bool | None, say: Callable[[str], None]) -> Any:
    if wanted is False:
        return None
    if importlib.util.find_spec("uvloop") is None:
        if wanted:
            raise OptionError(
                "--uvloop: uvloop is not installed; pip install 'jackfield[speedups]', "
                "or leave --uvloop out"
            )
        return None
    import uvloop

    say("jackfield: using the uvloop event loop" + ("" if wanted else " (--no-uvloop to not)"))
    return uvloop.new_event_loop


def configure_logging(access_log: bool) -> None:
    """Show jackfield's log lines, and a line per request, on stderr.

    If the application configured logging itself (the root logger has
    handlers), its handlers decide where lines go: only the access logger's
    level is set, so that the access lines reach them. Otherwise only
    jackfield's own loggers get handlers; nothing else is touched.
    """
    access = logging.getLogger("jackfield.access")
    if access_log and access.level == logging.NOTSET:
        access.setLevel(logging.INFO)
    if logging.getLogger().handlers:
        return
    main = logging.getLogger("jackfield")
    if not main.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        main.addHandler(handler)
        if main.level == logging.NOTSET:
            main.setLevel(logging.INFO)
    if access_log and not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.propagate = False  # the line as formatted, not again with a prefix


_RELOADED = "JACKFIELD_RELOADED"


def without_reload(argv: Sequence[str]) -> list[str]:
    """``argv`` without ``--reload`` (options before the application only)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if not arg.startswith("-"):  # the application: the rest is its own
            return out + list(argv[i:])
        if arg != "--reload":
            out.append(arg)
    return out


def reload(command: Sequence[str], say: Callable[[str], None]) -> int:
    """Run ``command`` and run it again whenever a ``.py`` file under the current folder changes.

    Returns when interrupted (Ctrl+C or SIGTERM), after stopping the command.
    A command that exits (say, on a syntax error) is started again on the next change.
    """
    if os.environ.get(_RELOADED):
        # Would watch and restart itself without end: a bug in the caller's argv handling.
        raise OptionError(f"--reload reached a process that --reload started: {command!r}")
    try:
        import watchfiles
    except ImportError:
        raise OptionError("--reload needs watchfiles: pip install 'jackfield[reload]'") from None
    folder = os.getcwd()
    say(f"jackfield: reloading on changes to Python files under {folder}")

    def changed(changes: set[tuple[Any, str]]) -> None:
        names = sorted({os.path.relpath(path, folder) for _, path in changes})
        say(f"jackfield: {', '.join(names)} changed, restarting")

    os.environ[_RELOADED] = "1"  # inherited by the command
    watchfiles.run_process(
        folder,
        target=shlex.join(command),
        target_type="command",
        callback=changed,
        watch_filter=watchfiles.PythonFilter(),
        debounce=400,
        step=50,
    )
    return 0
