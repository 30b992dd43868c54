"""Running an application: ``AppRunner``, the sites, ``run_app`` and signals.

``AppRunner`` owns one application's life on a server: ``setup()`` runs
``on_startup`` (and enters ``cleanup_ctx``), freezes the app and builds the
protocol factory; sites (``TCPSite``, ``UnixSite``, ``SockSite``) then listen
for it; ``cleanup()`` shuts down gracefully in the order the spec gives:

1. every site stops accepting connections;
2. keep-alive stops (idle connections get ``SHUTDOWN_GRACE`` for one more
   request, then close) and ``on_shutdown`` is sent;
3. in-flight requests get up to ``shutdown_timeout`` seconds to finish, then
   their handlers are cancelled and every connection is closed; what is left
   of that timeout goes to the app's shutdown waiters (``add_shutdown_waiter``);
4. ``on_cleanup`` is sent and ``cleanup_ctx`` generators are resumed.

``run_app`` wraps all of that with an event loop of its own, and turns SIGINT
and SIGTERM into that graceful shutdown.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from ..app.app import Application
from ..server.accesslog import DEFAULT_FORMAT, AccessLogger
from ..server.server import AccessLoggerProtocol, Server
from ._sites import (
    AddressInUseError,
    BaseSite,
    SockSite,
    TCPSite,
    UnixSite,
    address_error,
    make_sites,
)

__all__ = [
    "AddressInUseError",
    "AppRunner",
    "BaseSite",
    "GracefulExit",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "run_app",
]

_log = logging.getLogger("jackfield.server")

ACCESS_LOG = logging.getLogger("jackfield.access")
"""The logger access lines go to unless ``access_log=`` says otherwise."""

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class GracefulExit(SystemExit):
    """Raised on SIGINT/SIGTERM to leave the event loop and shut down gracefully.

    It is a ``SystemExit`` with code 0, so an uncaught one ends the process
    as a successful exit.
    """

    code = 0


class AppRunner:
    """The runner serving one application; give it to one or more sites.

    ``access_log`` is the logger for access lines (``None`` turns access
    logging off), formatted by ``access_log_class(access_log,
    access_log_format)``. ``handle_signals=True`` makes SIGINT and SIGTERM raise
    ``GracefulExit`` in the event loop. ``shutdown_timeout`` bounds how long
    ``cleanup()`` waits for in-flight requests. Other keyword arguments
    (``head_timeout``, ``body_timeout``, ``body_min_rate``, ``send_timeout``,
    ``limits``, ``handler_cancellation`` ...) go to
    ``jackfield.server.Server``.
    """

    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        access_log_class: Callable[[logging.Logger, str], AccessLoggerProtocol] = AccessLogger,
        access_log_format: str = DEFAULT_FORMAT,
        access_log: logging.Logger | None = ACCESS_LOG,
        keepalive_timeout: float = 75.0,
        shutdown_timeout: float = 60.0,
        **server_kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(
                f"AppRunner needs a jackfield Application, got {app!r}; "
                "build one with web.Application()"
            )
        if shutdown_timeout < 0:
            raise ValueError(f"shutdown_timeout must be >= 0 seconds, got {shutdown_timeout}")
        self._app = app
        self._handle_signals = handle_signals
        # Built now so that a bad format fails here, not on the first request.
        self._access_logger = (
            access_log_class(access_log, access_log_format) if access_log is not None else None
        )
        self._keepalive_timeout = keepalive_timeout
        self._shutdown_timeout = shutdown_timeout
        self._server_kwargs = server_kwargs
        self._server: Server | None = None
        self._sites: list[BaseSite] = []
        self._closed_listeners: list[asyncio.Server] = []
        self._site_timeouts: list[float] = []
        self._started = False
        self._cleaned_up = False
        self._signals_installed: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_waiter: asyncio.Future[int] | None = None

    @property
    def app(self) -> Application:
        """The application this runner serves."""
        return self._app

    @property
    def server(self) -> Server | None:
        """The protocol factory, once ``setup()`` ran (``None`` before and after)."""
        return self._server

    @property
    def sites(self) -> tuple[BaseSite, ...]:
        """The started sites, in the order they started."""
        return tuple(self._sites)

    @property
    def addresses(self) -> list[Any]:
        """The ``getsockname()`` of every listening socket of every site."""
        return [sock.getsockname() for site in self._sites for sock in site.sockets]

    @property
    def shutdown_timeout(self) -> float:
        """Seconds ``cleanup()`` lets in-flight requests run (a site's value wins)."""
        return max(self._site_timeouts) if self._site_timeouts else self._shutdown_timeout

    async def setup(self) -> None:
        """Start the application: ``on_startup``, freeze, build the server."""
        if self._started:
            raise RuntimeError("this AppRunner was already set up; create one runner per run")
        # Built before start-up so that a wrong keyword fails before any side effect.
        server = Server(
            self._app,
            access_logger=self._access_logger,
            keepalive_timeout=self._keepalive_timeout,
            **self._server_kwargs,
        )
        self._started = True
        self._loop = asyncio.get_running_loop()
        if self._handle_signals:
            self._install_signal_handlers(self._loop)
        app = self._app
        # on_startup receivers may still add on_cleanup receivers and app
        # state; only the start-up list itself is final from here on.
        app.on_startup.freeze()
        await app.startup()
        app.freeze()
        self._server = server

    async def cleanup(self, *, shutdown_timeout: float | None = None) -> None:
        """Shut down gracefully (see the module docstring for the order); idempotent.

        ``shutdown_timeout``, when given, replaces the runner's and the sites'
        for this shutdown (``0`` cancels in-flight requests at once).
        Safe to call after a failed ``setup()``: whatever started is cleaned up.
        """
        if not self._started or self._cleaned_up:
            return
        self._cleaned_up = True
        self._remove_signal_handlers()
        for site in list(self._sites):
            await site.stop()
        server = self._server
        timeout = self.shutdown_timeout if shutdown_timeout is None else shutdown_timeout
        try:
            if server is not None:
                server.pre_shutdown()
            await self._app.shutdown()
        finally:
            try:
                if server is not None:
                    await server.shutdown(timeout)
                await self._wait_listeners_closed()
            finally:
                self._server = None
                await self._app.cleanup()

    async def _wait_listeners_closed(self) -> None:
        # From Python 3.12 on wait_closed() also waits for accepted connections;
        # they are closed by now, but a peer that stopped reading can hold its
        # transport open, so bound the wait instead of hanging the shutdown.
        listeners, self._closed_listeners = self._closed_listeners, []
        for listener in listeners:
            try:
                await asyncio.wait_for(listener.wait_closed(), timeout=1.0)
            except asyncio.TimeoutError:
                _log.debug("listener %r still has connections after shutdown", listener)

    # -- sites
    def _reg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"{site!r} is already registered with this runner")
        self._sites.append(site)
        if site.shutdown_timeout is not None:
            self._site_timeouts.append(site.shutdown_timeout)

    def _unreg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            self._sites.remove(site)

    # -- signals
    def _install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        for signum in _SIGNALS:
            try:
                loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError) as exc:
                # Windows has no add_signal_handler, and it only works in the
                # main thread: Ctrl+C then ends the loop with KeyboardInterrupt.
                _log.debug("cannot handle signal %s here: %s", signum, exc)
            else:
                self._signals_installed.append(signum)

    def _remove_signal_handlers(self) -> None:
        # Restores the default handlers, so a second Ctrl+C during a slow
        # shutdown stops the process at once.
        loop = self._loop
        while self._signals_installed:
            signum = self._signals_installed.pop()
            if loop is not None and not loop.is_closed():
                loop.remove_signal_handler(signum)

    def _on_signal(self, signum: int) -> None:
        _log.info("received %s, shutting down", signal.Signals(signum).name)
        waiter = self._stop_waiter
        if waiter is not None:
            # A second signal before the waiting task resumes changes nothing.
            if not waiter.done():
                waiter.set_result(signum)
            return
        # Nobody waits in _wait_for_signal(): leave the loop the way Ctrl+C
        # would; whoever runs the loop catches GracefulExit and cleans up.
        raise GracefulExit()

    async def _wait_for_signal(self) -> int:
        """Wait until SIGINT or SIGTERM arrives (forever without signal handling)."""
        loop = asyncio.get_running_loop()
        self._stop_waiter = loop.create_future()
        try:
            return await self._stop_waiter
        finally:
            self._stop_waiter = None

    def __repr__(self) -> str:
        return f"<AppRunner {self._app!r} sites={[s.name for s in self._sites]}>"


async def _serve(
    app: Application | Awaitable[Application],
    *,
    print: Callable[..., None] | None,
    site_options: dict[str, Any],
    runner_options: dict[str, Any],
    on_started: Callable[[AppRunner], object] | None = None,
) -> None:
    if not isinstance(app, Application):
        app = await app
    runner = AppRunner(app, **runner_options)
    try:
        await runner.setup()
        sites = make_sites(runner, **site_options)
        for site in sites:
            try:
                await site.start()
            except OSError as exc:
                raise address_error(site.name, exc) from exc
        if print is not None:
            for site in sites:
                print(f"jackfield: serving on {site.name}")
            print("(press Ctrl+C to stop)")
        if on_started is not None:
            on_started(runner)
        await runner._wait_for_signal()
    finally:
        await runner.cleanup()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception in a task left over after run_app()",
                    "exception": task.exception(),
                    "task": task,
                }
            )


def _server_option_names() -> frozenset[str]:
    params = inspect.signature(Server.__init__).parameters
    return frozenset(n for n, p in params.items() if p.kind is p.KEYWORD_ONLY)


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _server_option_names())
    if unknown:
        valid = sorted(_RUN_APP_OPTIONS | _server_option_names())
        raise TypeError(
            f"run_app() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"valid keywords: {', '.join(valid)}"
        )


def run_app(
    app: Application | Awaitable[Application],
    *,
    host: str | Sequence[str] | None = None,
    port: int | None = None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float = 75.0,
    ssl_context: ssl.SSLContext | None = None,
    print: Callable[..., None] | None = print,
    backlog: int = 128,
    access_log_class: Callable[[logging.Logger, str], AccessLoggerProtocol] = AccessLogger,
    access_log_format: str = DEFAULT_FORMAT,
    access_log: logging.Logger | None = ACCESS_LOG,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = True,
    loop: asyncio.AbstractEventLoop | None = None,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    workers: int = 1,
    **server_options: Any,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down gracefully and return.

    ``app`` is an ``Application`` or an awaitable returning one (awaited in the
    server's loop, so it may create loop-bound objects). Where to listen:
    ``host`` (a name or a list: one TCP site each) and ``port`` (default 8080);
    ``path`` (one Unix socket or a list); ``sock`` (pre-bound sockets). With
    none of them, every IPv4 interface on port 8080. ``print`` shows the
    addresses (``None`` keeps quiet). The other options are those of
    ``AppRunner`` and the sites; any further keyword (``limits=web.Limits(...)``,
    ``head_timeout``, ``body_timeout``, ``body_min_rate``, ``send_timeout``,
    ``max_pipelined``, ``max_discard``, ``server_header``) goes
    to the ``Server``; an unknown one is a ``TypeError`` listing the valid ones.
    An address already in use is an ``AddressInUseError`` (an ``OSError``).

    The loop is a new one from ``loop_factory`` (``uvloop.new_event_loop``,
    say), by default from the current event loop policy; it is closed on
    return after leftover tasks are cancelled and async generators finalized.
    A ``loop`` you pass is used and left open for you to close.

    ``workers=N`` (N > 1, Unix) serves from N processes forked from this one,
    which only supervises them: see ``jackfield.runner.workers``. Each worker
    runs the application's whole life (``on_startup`` ... ``on_cleanup``) in a
    loop of its own, so ``loop`` cannot be given with it (``loop_factory`` can).
    """
    _check_options(server_options)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    site_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "path": path,
        "sock": sock,
        "ssl_context": ssl_context,
        "backlog": backlog,
        "reuse_address": reuse_address,
        "reuse_port": reuse_port,
    }
    runner_options: dict[str, Any] = {
        "handle_signals": handle_signals,
        "access_log_class": access_log_class,
        "access_log_format": access_log_format,
        "access_log": access_log,
        "keepalive_timeout": keepalive_timeout,
        "shutdown_timeout": shutdown_timeout,
        "handler_cancellation": handler_cancellation,
        **server_options,
    }
    if workers == 1:
        _run(app, print, site_options, runner_options, loop=loop, loop_factory=loop_factory)
        return
    if loop is not None:
        raise ValueError(
            "run_app(workers=...) cannot use loop=: each worker process needs a loop of its "
            "own; pass loop_factory= (uvloop.new_event_loop, say) instead"
        )
    # Imported here: the supervisor forks, which only this path needs.
    from .workers import serve_workers

    serve_workers(
        app,
        workers,
        run_one=_run,
        print=print,
        site_options=site_options,
        runner_options={**runner_options, "handle_signals": True},
        loop_factory=loop_factory,
    )


_RUN_APP_OPTIONS = frozenset(inspect.signature(run_app).parameters) - {"app", "server_options"}


def _run(
    app: Application | Awaitable[Application],
    print: Callable[..., None] | None,
    site_options: dict[str, Any],
    runner_options: dict[str, Any],
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    on_started: Callable[[AppRunner], object] | None = None,
) -> None:
    """Serve in this process until a signal: ``run_app``'s body, also run by each worker."""
    own_loop = loop is None
    if loop is None:
        loop = loop_factory() if loop_factory is not None else asyncio.new_event_loop()
    main = loop.create_task(
        _serve(
            app,
            print=print,
            site_options=site_options,
            runner_options=runner_options,
            on_started=on_started,
        )
    )
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    except (GracefulExit, KeyboardInterrupt):
        pass  # the signal came before serving started, or without handlers
    finally:
        try:
            if not main.done():
                # _serve's finally block runs the graceful shutdown.
                main.cancel()
                (outcome,) = loop.run_until_complete(asyncio.gather(main, return_exceptions=True))
                if isinstance(outcome, Exception) and not isinstance(
                    outcome, asyncio.CancelledError
                ):
                    raise outcome  # the graceful shutdown itself failed
            if own_loop:
                _cancel_all_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            if own_loop:
                loop.close()
