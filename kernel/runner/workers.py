"""Several worker processes serving one application: ``run_app(app, workers=N)``.

The process that calls ``run_app`` becomes a supervisor. It binds the
addresses itself, so a port is held (and ``port=0`` resolved) for the whole
run, then forks N workers. Each worker serves the application exactly as a
single-process ``run_app`` does, with its own event loop and its own
``on_startup`` ... ``on_cleanup``.

Sharing the port. Where the system has ``SO_REUSEPORT`` (Linux, the BSDs,
macOS) each worker listens on a socket of its own bound to the same address,
and the kernel spreads new connections over the workers' sockets; the
supervisor's socket is bound but never listens, so no connection waits on it.
Elsewhere, or with ``reuse_port=False``, and always for Unix sockets and the
``sock=`` you pass, the workers accept on the one listening socket the
supervisor made. Either way, when a worker dies only the connections it had
accepted (and, with ``SO_REUSEPORT``, those queued on its own socket) go with it.

Supervision. A worker that exits while serving is replaced, and a warning
says how it ended (one that dies within a second of its start is replaced a
second later, so a worker that keeps crashing cannot spin the CPU). A
worker that fails before it is ready (an exception in ``on_startup``, say)
stops the whole run: starting it again would fail the same way, so
``run_app`` raises ``WorkerError`` after the others stopped.

Stopping. SIGINT or SIGTERM to the supervisor sends SIGTERM to every worker,
each shuts down gracefully (in-flight requests get ``shutdown_timeout``),
and ``run_app`` returns when all have exited. A second signal stops them at
once. Workers run in a process group of their own, so the Ctrl+C a terminal
sends reaches them only through the supervisor (once), and each worker
checks every second that its supervisor still lives, stopping if not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import socket
import stat
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from ..app.app import Application
from ._sites import address_error

if TYPE_CHECKING:
    from .runner import AppRunner

RunOne = Callable[..., None]
"""``runner._run``: serve in this process until a signal (passed in, to keep imports one-way)."""

__all__ = ["WorkerError", "serve_workers"]

_log = logging.getLogger("jackfield.server")

_STOP_MARGIN = 10.0
"""Seconds past ``shutdown_timeout`` before workers that have not exited are killed."""

_PARENT_CHECK = 1.0
"""Seconds between a worker's checks that its supervisor is alive."""

_QUICK_DEATH = 1.0
"""Seconds: a worker dying sooner after its start is replaced only after this long."""

_NOT_READY = 3
"""Exit status of a worker that failed before it was ready (gunicorn uses 3 too)."""


class WorkerError(RuntimeError):
    """A worker process failed to start, so the run stopped; its error was printed."""


class _Listener:
    """One address the workers serve: the supervisor's socket and how workers get theirs."""

    def __init__(self, sock: socket.socket, *, shared: bool, scheme: str, unlink: str | None):
        self.sock = sock
        self.shared = shared  # workers accept on ``sock`` itself
        self.scheme = scheme
        self.unlink = unlink  # a Unix socket file this run created

    @property
    def url(self) -> str:
        name = self.sock.getsockname()
        if self.sock.family == getattr(socket, "AF_UNIX", None):
            return f"{self.scheme}://unix:{name}:"
        host = f"[{name[0]}]" if ":" in name[0] else name[0]
        return f"{self.scheme}://{host}:{name[1]}"

    def for_worker(self, backlog: int) -> socket.socket:
        """The socket a newly forked worker listens on."""
        if self.shared:
            return self.sock
        own = _tcp_socket(self.sock.family, reuse_port=True)
        own.bind(self.sock.getsockname())
        own.listen(backlog)
        return own


def _tcp_socket(family: int, *, reuse_port: bool, reuse_address: bool = True) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            # As asyncio does: an IPv6 socket does not also take the IPv4 port.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def _as_list(value: Any, single: type | tuple[type, ...]) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, single) else list(value)


def _bind_all(options: dict[str, Any]) -> list[_Listener]:
    """Bind every address ``run_app``'s options name (the rules of ``make_sites``)."""
    scheme = "https" if options["ssl_context"] is not None else "http"
    backlog: int = options["backlog"]
    can_reuse_port = hasattr(socket, "SO_REUSEPORT") and options["reuse_port"] is not False
    hosts: list[str] = _as_list(options["host"], str)
    paths: list[Any] = _as_list(options["path"], (str, os.PathLike))
    socks: list[socket.socket] = _as_list(options["sock"], socket.socket)
    port: int | None = options["port"]
    if not hosts and (port is not None or not (paths or socks)):
        hosts = ["0.0.0.0"]
    if port is None:
        port = 8443 if scheme == "https" else 8080
    listeners: list[_Listener] = []
    try:
        for host in hosts:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            for family, _, _, _, address in dict.fromkeys(infos):
                sock = _tcp_socket(
                    family,
                    reuse_port=can_reuse_port,
                    reuse_address=options["reuse_address"] is not False,
                )
                listeners.append(
                    _Listener(sock, shared=not can_reuse_port, scheme=scheme, unlink=None)
                )
                try:
                    if can_reuse_port and port:
                        _probe(family, address)
                    sock.bind(address)
                except OSError as exc:
                    where = f"[{host}]" if ":" in host else host
                    raise address_error(f"{scheme}://{where}:{port}", exc) from exc
                port = sock.getsockname()[1]  # port=0: every later address gets the same one
        for path in map(os.fspath, paths):
            _remove_stale_socket(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listeners.append(_Listener(sock, shared=True, scheme=scheme, unlink=path))
            sock.bind(path)
        listeners += [_Listener(s, shared=True, scheme=scheme, unlink=None) for s in socks]
        for listener in listeners:
            if listener.shared:
                listener.sock.listen(backlog)
    except BaseException:
        _close_all(listeners, own_socks=socks)
        raise
    return listeners


def _probe(family: int, address: Any) -> None:
    """Raise EADDRINUSE if anything listens on ``address``, even with SO_REUSEPORT.

    Binding with SO_REUSEPORT succeeds next to any socket of the same user
    that set it too (an earlier run still up, say), and the two servers would
    then share the port without a word; a socket without it cannot, so it tells.
    """
    with _tcp_socket(family, reuse_port=False) as probe:
        probe.bind(address)


def _remove_stale_socket(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)


def _close_all(listeners: Iterable[_Listener], own_socks: Iterable[socket.socket] = ()) -> None:
    given = set(map(id, own_socks))
    for listener in listeners:
        if id(listener.sock) not in given:  # the caller's sockets are the caller's to close
            listener.sock.close()
        if listener.unlink is not None:
            with contextlib.suppress(OSError):
                os.unlink(listener.unlink)


def serve_workers(
    app: Application | Awaitable[Application],
    count: int,
    *,
    print: Callable[..., None] | None,
    site_options: dict[str, Any],
    runner_options: dict[str, Any],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None,
    run_one: RunOne,
) -> None:
    """Serve ``app`` from ``count`` forked workers until SIGINT/SIGTERM (see the module doc).

    ``run_one`` is ``run_app``'s single-process body, which each worker runs.
    """
    if not hasattr(os, "fork"):
        raise RuntimeError(
            "run_app(workers=...) needs os.fork, which this platform lacks; run one "
            "process per core under a process manager instead, or leave workers at 1"
        )
    listeners = _bind_all(site_options)
    try:
        _Supervisor(
            app, count, listeners, print, site_options, runner_options, loop_factory, run_one
        ).run()
    finally:
        _close_all(listeners, own_socks=_as_list(site_options["sock"], socket.socket))
        close = getattr(app, "close", None)  # a coroutine, or resolve_app's awaitable
        if not isinstance(app, Application) and callable(close):
            close()  # the supervisor never awaits its own copy


class _Supervisor:
    """Forks the workers, replaces those that die, stops them all on a signal."""

    def __init__(
        self,
        app: Application | Awaitable[Application],
        count: int,
        listeners: list[_Listener],
        print: Callable[..., None] | None,
        site_options: dict[str, Any],
        runner_options: dict[str, Any],
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None,
        run_one: RunOne,
    ) -> None:
        self.run_one = run_one
        self.app = app
        self.count = count
        self.listeners = listeners
        self.print = print
        self.site_options = site_options
        self.runner_options = runner_options
        self.loop_factory = loop_factory
        self.pid = os.getpid()
        self.workers: dict[int, bool] = {}  # pid -> ready
        self.born: dict[int, float] = {}  # pid -> when it was forked (monotonic)
        self.respawn_at: list[float] = []  # replacements due (monotonic times)
        self.stopping = False
        self.kill_at: float | None = None
        self.failed: str | None = None
        self.announced = False

    # -- the supervisor's loop
    def run(self) -> None:
        wake_r, wake_w = os.pipe()
        ready_r, ready_w = os.pipe()
        self.pipes = (wake_r, wake_w, ready_r, ready_w)
        for fd in (wake_r, wake_w, ready_r):
            os.set_blocking(fd, False)
        previous = self._install_signals(wake_w)
        try:
            for _ in range(self.count):
                self._spawn()
            while self.workers or not self.stopping:
                wait = min([1.0, *(t - time.monotonic() for t in self.respawn_at)])
                readable, _, _ = select.select([wake_r, ready_r], [], [], max(wait, 0.0))
                if wake_r in readable:
                    _drain(wake_r)
                if ready_r in readable:
                    self._mark_ready(_drain(ready_r))
                self._reap()
                self._respawn_due()
                if self.stopping and self.kill_at is not None and time.monotonic() > self.kill_at:
                    self._signal_all(signal.SIGKILL)
                    self.kill_at = None
        finally:
            if self.workers:  # an exception in the loop: leave no worker behind
                self._signal_all(signal.SIGKILL)
                for pid in list(self.workers):
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
            self._restore_signals(previous)
            for fd in self.pipes:
                os.close(fd)
        if self.failed is not None:
            raise WorkerError(self.failed)

    def _install_signals(self, wake_w: int) -> dict[int, Any]:
        previous: dict[int, Any] = {
            s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)
        }
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        # A handler, not SIG_DFL, so that a child's exit wakes select() through the fd.
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        previous[-1] = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        signal.set_wakeup_fd(previous.pop(-1))
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            _log.warning("second %s: stopping the workers at once", signal.Signals(signum).name)
            self._signal_all(signal.SIGKILL)
            return
        self._stop()

    def _stop(self) -> None:
        self.stopping = True
        timeout = float(self.runner_options.get("shutdown_timeout", 60.0))
        self.kill_at = time.monotonic() + timeout + _STOP_MARGIN
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, signum: int) -> None:
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _mark_ready(self, data: bytes) -> None:
        for line in data.decode().split():
            pid = int(line)
            if pid in self.workers:
                self.workers[pid] = True
                if self.print is not None:
                    self.print(f"jackfield: worker {pid} ready")
        if not self.announced and len(self.workers) == self.count and all(self.workers.values()):
            self.announced = True
            if self.print is not None:
                for listener in self.listeners:
                    self.print(
                        f"jackfield: serving on {listener.url} with {self.count} worker "
                        f"processes (supervisor pid {self.pid})"
                    )
                self.print("(press Ctrl+C to stop)")

    def _reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ready = self.workers.pop(pid, None)
            born = self.born.pop(pid, 0.0)
            if ready is None:
                continue  # not one of ours
            how = _describe_exit(status)
            if self.stopping:
                continue
            if not ready:
                self.failed = (
                    f"worker {pid} failed to start ({how}); its error is printed above. "
                    "Fix it and run again (a worker fails at start-up on an error in the "
                    "app factory or in on_startup, for instance)"
                )
                _log.error("%s", self.failed)
                self._stop()
                continue
            # One that dies within a second of its start waits a second before
            # its replacement, so a worker that keeps crashing cannot spin the CPU.
            quick = time.monotonic() - born < _QUICK_DEATH
            _log.warning("worker %d %s; starting another", pid, how)
            self.respawn_at.append(time.monotonic() + (_QUICK_DEATH if quick else 0.0))

    def _respawn_due(self) -> None:
        now = time.monotonic()
        due = [t for t in self.respawn_at if t <= now]
        self.respawn_at = [t for t in self.respawn_at if t > now]
        if not self.stopping:
            for _ in due:
                self._spawn()

    # -- a worker
    def _spawn(self) -> None:
        pid = os.fork()
        if pid:
            self.workers[pid] = False
            self.born[pid] = time.monotonic()
            return
        _worker_main(self)


def _drain(fd: int) -> bytes:
    chunks = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    return b"".join(chunks)


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


def _worker_main(sup: _Supervisor) -> NoReturn:
    """The forked worker: serve until told to stop, then leave without returning."""
    status = _NOT_READY
    ready = False
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        os.setpgid(0, 0)  # see the module docstring: Ctrl+C reaches workers through the supervisor
        wake_r, wake_w, ready_r, ready_w = sup.pipes
        for fd in (wake_r, wake_w, ready_r):
            os.close(fd)
        backlog = int(sup.site_options["backlog"])
        socks = [listener.for_worker(backlog) for listener in sup.listeners]
        for listener in sup.listeners:
            if not listener.shared:
                listener.sock.close()  # bound, never listening: the supervisor keeps the port

        def started(runner: AppRunner) -> None:
            nonlocal ready
            ready = True
            os.write(ready_w, f"{os.getpid()}\n".encode())
            asyncio.get_running_loop().create_task(_watch_supervisor(runner, sup.pid))

        site_options = {
            "host": None,
            "port": None,
            "path": None,
            "sock": socks,
            "ssl_context": sup.site_options["ssl_context"],
            "backlog": backlog,
        }
        sup.run_one(
            sup.app,
            None,
            site_options,
            sup.runner_options,
            loop_factory=sup.loop_factory,
            on_started=started,
        )
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        status = 1 if ready else _NOT_READY
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


async def _watch_supervisor(runner: AppRunner, supervisor: int) -> None:
    # Workers sit in their own process group, so nothing else stops them if the
    # supervisor is killed outright.
    while os.getppid() == supervisor:
        await asyncio.sleep(_PARENT_CHECK)
    _log.warning("worker %d: the supervisor %d is gone, shutting down", os.getpid(), supervisor)
    runner._on_signal(signal.SIGTERM)
