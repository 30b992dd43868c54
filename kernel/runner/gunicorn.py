"""gunicorn workers: ``gunicorn myapp:app -k jackfield.worker.GunicornWebWorker``.

(``jackfield.worker`` re-exports this module's classes under the short path
aiohttp users know; importing either needs gunicorn.)

gunicorn's master binds the sockets, forks the workers, restarts those that
die or stop checking in, and handles SIGHUP (reload), SIGTTIN/SIGTTOU (more or
fewer workers) and SIGTERM. Each worker here runs one asyncio event loop with
an ``AppRunner`` and one ``SockSite`` per socket gunicorn bound, and honours:

* the application named on the command line: an ``Application``
  (``myapp:app``), a function returning one, sync or async
  (``myapp:make_app``, called with no arguments), or a call with literal
  arguments (``'myapp:make_app("prod")'``), as gunicorn parses it;
* ``--graceful-timeout``: SIGTERM stops accepting and lets in-flight requests
  finish for 95 % of it (the master kills the worker when it runs out, so the
  rest is left for ``on_cleanup``); SIGINT and SIGQUIT stop at once;
* ``--max-requests`` (and its jitter): the worker stops gracefully after that
  many responses and the master starts a fresh one;
* ``--timeout``: the worker checks in with the master every second;
* ``--keep-alive``, TLS (``--certfile``/``--keyfile``...), and the access log:
  ``--access-logfile`` turns it on; ``--access-logformat`` takes gunicorn's
  ``%(h)s``-style atoms (translated to jackfield's directives, see
  ``gunicorn_access_format``) or jackfield's own ``%a %t "%r"`` directives.

``GunicornUVLoopWebWorker`` is the same worker on a uvloop event loop.
gunicorn and uvloop come with the ``gunicorn`` and ``speedups`` extras.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable
from types import FrameType
from typing import TYPE_CHECKING, Any

try:
    from gunicorn.errors import AppImportError
    from gunicorn.sock import ssl_context
    from gunicorn.workers import base
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("jackfield.worker needs gunicorn: pip install 'jackfield[gunicorn]'") from exc

from ..app.app import Application
from ..server.accesslog import DEFAULT_FORMAT, AccessLogger
from ._sites import SockSite
from .runner import AppRunner

if TYPE_CHECKING:
    from ..requests.request import Request
    from ..responses.response import StreamResponse

__all__ = ["GunicornUVLoopWebWorker", "GunicornWebWorker", "gunicorn_access_format"]

_CHECK_IN_EVERY = 1.0
"""Seconds between check-ins with the master (gunicorn's own workers use 1 s too)."""

_GRACE_SHARE = 0.95
"""Share of ``--graceful-timeout`` given to in-flight requests; the rest goes to clean-up."""

# gunicorn atom -> jackfield directive; atoms with no equivalent are errors.
_ATOMS = {
    "h": "%a",
    "l": "-",
    "u": "-",
    "t": "%t",
    "r": "%r",
    "s": "%s",
    "b": "%b",
    "B": "%b",
    "f": "%{Referer}i",
    "a": "%{User-Agent}i",
    "T": "%T",
    "D": "%D",
    "L": "%Tf",
    "p": "<%P>",
}
_ATOM = re.compile(r"%\(([^)]*)\)s")
_HEADER_ATOM = re.compile(r"\{([^}]+)\}([io])\Z")


def gunicorn_access_format(log_format: str) -> str:
    """Return the jackfield access-log format equivalent to gunicorn's ``log_format``.

    gunicorn's default becomes jackfield's ``DEFAULT_FORMAT``; a format with
    ``%(x)s`` atoms is translated atom by atom (``%(h)s`` -> ``%a``,
    ``%({x-real-ip}i)s`` -> ``%{x-real-ip}i`` ...); a format without atoms is
    taken as jackfield's own. Raises ``ValueError`` naming an atom jackfield
    cannot write (``m``, ``U``, ``q``, ``H``, ``M``, ``{name}e``).
    """
    from gunicorn.config import AccessLogFormat

    if log_format == AccessLogFormat.default:
        return DEFAULT_FORMAT

    def replace(match: re.Match[str]) -> str:
        atom = match.group(1)
        if atom in _ATOMS:
            return _ATOMS[atom]
        header = _HEADER_ATOM.match(atom)
        if header is not None:
            return f"%{{{header.group(1)}}}{header.group(2)}"
        raise ValueError(
            f"the gunicorn access log atom %({atom})s in {log_format!r} has no jackfield "
            f"equivalent; use one of {', '.join(sorted(_ATOMS))}, {{header}}i or {{header}}o, "
            "or write the format with jackfield's directives (%a %t %r %s %b %{Name}i ...)"
        )

    return _ATOM.sub(replace, log_format)


class _Counter:
    """An access logger that counts responses (for ``--max-requests``) and passes them on."""

    def __init__(self, inner: AccessLogger | None) -> None:
        self.inner = inner
        self.count = 0

    def log(self, request: Request, response: StreamResponse, elapsed: float) -> None:
        self.count += 1
        if self.inner is not None:
            self.inner.log(request, response, elapsed)


class GunicornWebWorker(base.Worker):  # type: ignore[misc]  # gunicorn ships no types
    """A gunicorn worker serving a jackfield application on an asyncio event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0
        self.alive: bool = True  # gunicorn's flag; typed here for mypy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._quick = False

    # -- gunicorn's entry points, in the order gunicorn calls them
    def init_process(self) -> None:
        """Make this process's event loop (after the fork), then let gunicorn boot."""
        self._loop = self._new_loop()
        asyncio.set_event_loop(self._loop)
        super().init_process()

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    @property
    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"{self} has no event loop: init_process() was not called")
        return self._loop

    def init_signals(self) -> None:
        """Route gunicorn's worker signals through the event loop."""
        loop = self._event_loop
        for signum in self.SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        loop.add_signal_handler(signal.SIGTERM, self._stop, signal.SIGTERM, False)
        loop.add_signal_handler(signal.SIGQUIT, self._stop, signal.SIGQUIT, True)
        loop.add_signal_handler(signal.SIGINT, self._stop, signal.SIGINT, True)
        loop.add_signal_handler(signal.SIGABRT, self._abort)
        loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
        # gunicorn's workers ignore SIGWINCH (it crashes them on OpenBSD otherwise).
        loop.add_signal_handler(signal.SIGWINCH, lambda: None)
        # A signal must not fail a system call half-way through a response.
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)

    def load_wsgi(self) -> None:
        """Import what the command line names (gunicorn's loader wants a WSGI callable)."""
        uri = getattr(self.app, "app_uri", None)
        if uri is None:  # --paste and other loaders: theirs is the only way in
            super().load_wsgi()
            return
        self.wsgi = _import_target(uri)

    def run(self) -> None:
        """Serve until told to stop, then exit with ``exit_code``."""
        loop = self._event_loop
        try:
            loop.run_until_complete(self._serve())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
        sys.exit(self.exit_code)

    # -- serving
    async def _serve(self) -> None:
        app = await _as_application(self.wsgi, getattr(self.app, "app_uri", "the application"))
        counter = _Counter(self._access_logger())
        counting = self.max_requests < sys.maxsize
        cfg = self.cfg
        runner = AppRunner(
            app,
            handle_signals=False,  # ours are installed in init_signals
            access_log=None,
            keepalive_timeout=float(cfg.keepalive) if cfg.keepalive > 0 else 75.0,
            shutdown_timeout=cfg.graceful_timeout * _GRACE_SHARE,
        )
        # Not booted until it serves: gunicorn's master stops everything when a
        # worker fails to boot (an error in on_startup, say) instead of
        # starting one worker after another that fails the same way.
        self.booted = False
        try:
            await runner.setup()
            server = runner.server
            if server is None:  # pragma: no cover - setup() always makes one
                raise RuntimeError("AppRunner.setup() made no server")
            # Counting costs a call per response, so only when --max-requests asks for it.
            server.access_logger = counter if counting else counter.inner
            context = ssl_context(cfg) if cfg.is_ssl else None
            for sock in self.sockets:
                await SockSite(runner, sock.sock, ssl_context=context, backlog=cfg.backlog).start()
            self.booted = True
            await self._check_in_until_stopped(counter)
        finally:
            await runner.cleanup(shutdown_timeout=0.0 if self._quick else None)

    async def _check_in_until_stopped(self, counter: _Counter) -> None:
        self._wake = asyncio.Event()
        while self.alive:
            self.notify()
            if counter.count >= self.max_requests:
                self.log.info("Max requests (%s), shutting down: %s", self.max_requests, self)
                self.alive = False
                break
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                self.alive = False
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), _CHECK_IN_EVERY)

    def _access_logger(self) -> AccessLogger | None:
        # gunicorn sets up "gunicorn.access" (file, syslog...) only with --access-logfile.
        if not self.cfg.accesslog:
            return None
        access_log: logging.Logger = self.log.access_log
        return AccessLogger(access_log, gunicorn_access_format(self.cfg.access_log_format))

    # -- signals
    def _stop(self, signum: int, quick: bool) -> None:
        self.alive = False
        if quick:
            self._quick = True
            self.cfg.worker_int(self)
        if self._wake is not None:
            self._wake.set()

    def _abort(self) -> None:
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)

    # gunicorn's synchronous handlers, replaced by the loop's; kept callable for its tests.
    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        self._stop(sig, True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stop(sig, False)


class GunicornUVLoopWebWorker(GunicornWebWorker):
    """``GunicornWebWorker`` on a uvloop event loop (``pip install 'jackfield[speedups]'``)."""

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        try:
            import uvloop
        except ImportError as exc:
            raise RuntimeError(
                "GunicornUVLoopWebWorker needs uvloop: pip install 'jackfield[speedups]', "
                "or use -k jackfield.worker.GunicornWebWorker"
            ) from exc
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop


# -- loading the application ----------------------------------------------------------------


def _import_target(uri: str) -> object:
    """What ``module:name`` or ``module:name(literal, ...)`` names, as gunicorn reads it.

    gunicorn's own loader insists on a WSGI callable, which an ``Application``
    is not; the syntax accepted here is the same.
    """
    module_name, _, expr = uri.partition(":")
    expr = expr or "application"  # gunicorn's default attribute
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        node = None
    func = node.func if isinstance(node, ast.Call) else node
    if not isinstance(func, ast.Name):
        raise AppImportError(
            f"{uri!r}: write module:name or module:name(literal arguments), "
            "for example myapp:app or 'myapp:make_app(\"prod\")'"
        )
    module = importlib.import_module(module_name)
    try:
        target = getattr(module, func.id)
    except AttributeError:
        raise AppImportError(f"{uri!r}: module {module_name!r} has no {func.id!r}") from None
    if isinstance(node, ast.Call):
        try:
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except ValueError:
            raise AppImportError(f"{uri!r}: the arguments must be Python literals") from None
        return target(*args, **kwargs)
    if isinstance(target, Application) or not callable(target):
        return target
    return target()  # a factory named without a call: aiohttp's gunicorn worker does this too


async def _as_application(target: object, uri: str) -> Application:
    if inspect.isawaitable(target):
        target = await _awaited(target)
    if not isinstance(target, Application):
        raise AppImportError(
            f"{uri!r} gave {target!r} ({type(target).__name__}), not a jackfield Application; "
            "name the app (myapp:app) or a function that returns it (myapp:make_app)"
        )
    return target


async def _awaited(awaitable: Awaitable[object]) -> object:
    return await awaitable
