"""Sites: the listening sockets an ``AppRunner`` accepts connections on.

A site is created for a runner that has been set up, binds when ``start()`` is
awaited, and stops accepting when ``stop()`` is awaited. Stopping a site never
touches connections it already accepted: they belong to the runner, whose
``cleanup()`` lets them finish and closes them. The runner also awaits the
listener's ``wait_closed()`` - only after the connections are gone, because
from Python 3.12 on it waits for every connection, and awaiting it first would
deadlock on an idle keep-alive connection.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import ssl
import stat
import sys
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..server.listener import PausableListener

if TYPE_CHECKING:
    from ..server.server import Server
    from .runner import AppRunner

__all__ = [
    "AddressInUseError",
    "BaseSite",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "address_error",
    "make_sites",
]


async def _unix_server(
    loop: asyncio.AbstractEventLoop,
    factory: Callable[[], asyncio.Protocol],
    path: str | None,
    *,
    sock: socket.socket | None = None,
    ssl_context: ssl.SSLContext | None,
    backlog: int,
) -> asyncio.Server:
    """``loop.create_unix_server`` that leaves the socket file alone when the server closes.

    From Python 3.13 on, closing the server unlinks the file, which a pause
    for ``max_connections`` does; ``UnixSite.stop()`` removes it instead.
    """
    if sys.version_info >= (3, 13):
        return await loop.create_unix_server(
            factory, path, sock=sock, ssl=ssl_context, backlog=backlog, cleanup_socket=False
        )
    return await loop.create_unix_server(factory, path, sock=sock, ssl=ssl_context, backlog=backlog)


_QUEUED_HANDSHAKE = 1.0  # seconds for connections accepted from the listen queue at shutdown

log = logging.getLogger("jackfield.server")


class AddressInUseError(OSError):
    """The address ``run_app`` was to listen on is taken; the message says what to change."""


def address_error(where: str, exc: OSError) -> OSError:
    """``exc`` as an ``AddressInUseError`` saying what to change, if that is what it is."""
    if exc.errno != errno.EADDRINUSE:
        return exc
    error = AddressInUseError(
        f"cannot listen on {where}: the address is already in use (another server, or "
        "an earlier run still shutting down); stop it, or choose another port "
        "(port=... in run_app, -P/--port on the command line)"
    )
    error.errno = exc.errno  # set apart from the message, which then reads without "[Errno 98]"
    return error


def _url_for_sockname(scheme: str, family: int, sockname: Any) -> str:
    if family == getattr(socket, "AF_UNIX", None):
        path = sockname.decode() if isinstance(sockname, bytes) else str(sockname)
        return f"{scheme}://unix:{path}:"
    host, port = sockname[0], sockname[1]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


class BaseSite(ABC):
    """A place a runner accepts connections on; subclasses say where.

    ``shutdown_timeout``, when given, is how long the runner's ``cleanup()``
    lets in-flight requests run (the longest one given by any site wins over
    the runner's own). ``ssl_context`` serves HTTPS; ``backlog`` is the
    listen queue length.
    """

    def __init__(
        self,
        runner: AppRunner,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        if runner.server is None:
            raise RuntimeError(
                f"cannot create {type(self).__name__} for a runner that is not set up; "
                "call `await runner.setup()` first"
            )
        if shutdown_timeout is not None and shutdown_timeout < 0:
            raise ValueError(f"shutdown_timeout must be >= 0 seconds, got {shutdown_timeout}")
        self._runner = runner
        self._shutdown_timeout = shutdown_timeout
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._listener: PausableListener | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """The site's address as a URL-like string (``http://127.0.0.1:8080``)."""

    @property
    def shutdown_timeout(self) -> float | None:
        """Seconds in-flight requests get at shutdown, or ``None`` for the runner's."""
        return self._shutdown_timeout

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets (empty unless started)."""
        if self._listener is None:
            return ()
        return self._listener.sockets

    @property
    def _scheme(self) -> str:
        return "https" if self._ssl_context is not None else "http"

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._listener is not None:
            raise RuntimeError(f"{self!r} is already started")
        server = self._runner.server
        if server is None:
            raise RuntimeError(
                f"cannot start {self!r}: its runner was cleaned up; create a new runner and site"
            )
        self._runner._reg_site(self)
        try:
            listening = await self._create_server(server)
        except BaseException:
            self._runner._unreg_site(self)
            raise
        self._listener = PausableListener(listening, self._reopener(server))
        # The runner's max_connections counts over all of its sites: one server.
        server.admission.add_listener(self._listener)

    @abstractmethod
    async def _create_server(self, factory: Server) -> asyncio.Server:
        """Bind the listener and return it (serving)."""

    def _reopener(self, server: Server) -> Callable[[socket.socket], Awaitable[asyncio.Server]]:
        """How the listener resumes on one of its sockets after the cap paused it."""

        async def reopen(sock: socket.socket) -> asyncio.Server:
            loop = asyncio.get_running_loop()
            if sock.family == getattr(socket, "AF_UNIX", None):
                return await _unix_server(
                    loop,
                    server,
                    None,
                    sock=sock,
                    ssl_context=self._ssl_context,
                    backlog=self._backlog,
                )
            return await loop.create_server(
                server, sock=sock, ssl=self._ssl_context, backlog=self._backlog
            )

        return reopen

    async def stop(self) -> None:
        """Stop accepting connections; already accepted ones stay with the runner."""
        self._runner._unreg_site(self)
        listener = self._listener
        if listener is None:
            return
        self._listener = None
        server = self._runner.server
        if server is not None:
            server.admission.remove_listener(listener)
        closed, queued = listener.close()
        self._runner._closed_listeners.extend(closed)
        if queued and server is not None:
            await self._serve_queued(server, queued)
        else:
            for sock in queued:
                sock.close()

    async def _serve_queued(self, server: Server, queued: list[socket.socket]) -> None:
        """Hand the connections accepted from the listen queue at shutdown to the server.

        Graceful shutdown then treats them as the other connections that have
        not sent a request yet (``jackfield.server.server.SHUTDOWN_GRACE``).
        """
        loop = asyncio.get_running_loop()
        pending = [
            loop.create_task(loop.connect_accepted_socket(server, sock, ssl=self._ssl_context))
            for sock in queued
        ]
        # A TLS handshake waits for the client: bound it, the shutdown has a timeout to keep.
        _, not_done = await asyncio.wait(pending, timeout=_QUEUED_HANDSHAKE)
        for task in not_done:
            task.cancel()
        if not_done:
            await asyncio.wait(not_done)
        for sock, task in zip(queued, pending, strict=True):
            if task.cancelled() or task.exception() is not None:
                log.debug("a connection queued at shutdown was not served: %r", task)
                sock.close()

    def __repr__(self) -> str:
        state = "started" if self._listener is not None else "stopped"
        return f"<{type(self).__name__} {self.name} {state}>"


class TCPSite(BaseSite):
    """A TCP listener on ``host``:``port``.

    ``host=None`` binds every IPv4 interface (``0.0.0.0``); ``port=None`` is
    8080, or 8443 with an ``ssl_context``; ``port=0`` picks a free port (read
    it from ``.port`` after ``start()``). ``reuse_address`` and ``reuse_port``
    set the socket options of the same names (``None`` keeps asyncio's default).
    """

    def __init__(
        self,
        runner: AppRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        if port is None:
            port = 8443 if ssl_context is not None else 8080
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        self._host = host if host is not None else "0.0.0.0"
        self._port = port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def host(self) -> str:
        """The host this site binds."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port once started (useful with ``port=0``), else the one asked for."""
        for sock in self.sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                return int(sock.getsockname()[1])
        return self._port

    @property
    def name(self) -> str:
        """``http://host:port`` (``https`` with TLS; IPv6 hosts in brackets)."""
        host = self._host
        if ":" in host:
            host = f"[{host}]"
        return f"{self._scheme}://{host}:{self.port}"

    async def _create_server(self, factory: Server) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            factory,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    """A Unix domain socket listener at ``path`` (not on Windows).

    A stale socket file at ``path`` is replaced; the file is removed when the
    site stops.
    """

    def __init__(
        self,
        runner: AppRunner,
        path: str | os.PathLike[str],
        *,
        shutdown_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._path = os.fspath(path)

    @property
    def path(self) -> str:
        """The socket file's path."""
        return self._path

    @property
    def name(self) -> str:
        """``http://unix:/path/to.sock:``."""
        return f"{self._scheme}://unix:{self._path}:"

    async def _create_server(self, factory: Server) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await _unix_server(
            loop,
            factory,
            self._path,
            ssl_context=self._ssl_context,
            backlog=self._backlog,
        )

    async def stop(self) -> None:
        """Stop accepting connections and remove the socket file."""
        started = self._listener is not None
        await super().stop()
        if not started:
            return
        # Python < 3.13 leaves the file behind; a later bind would replace it,
        # but a stale file misleads anyone looking for a running server.
        try:
            if stat.S_ISSOCK(os.stat(self._path).st_mode):
                os.unlink(self._path)
        except OSError:
            pass


class SockSite(BaseSite):
    """A listener on a socket you bound yourself (TCP or Unix).

    Useful for ports handed over by a supervisor (systemd socket activation)
    or bound before dropping privileges. The socket is closed when the site stops.
    """

    def __init__(
        self,
        runner: AppRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"SockSite needs a stream socket, got {sock!r}")
        self._sock = sock
        self._name = _url_for_sockname(self._scheme, sock.family, sock.getsockname())

    @property
    def sock(self) -> socket.socket:
        """The socket this site listens on."""
        return self._sock

    @property
    def name(self) -> str:
        """The socket's address as ``http://host:port`` or ``http://unix:/path:``."""
        return self._name

    async def _create_server(self, factory: Server) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            factory, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


def _as_list(value: Any, single: type | tuple[type, ...]) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, single):
        return [value]
    return list(value)


def make_sites(
    runner: AppRunner,
    *,
    host: str | Sequence[str] | None,
    port: int | None,
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int = 128,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
) -> list[BaseSite]:
    """The sites ``run_app`` starts for these addresses (see ``run_app``)."""
    common: dict[str, Any] = {"ssl_context": ssl_context, "backlog": backlog}
    tcp: dict[str, Any] = {**common, "reuse_address": reuse_address, "reuse_port": reuse_port}
    sites: list[BaseSite] = []
    hosts = _as_list(host, str)
    paths = _as_list(path, (str, os.PathLike))
    socks = _as_list(sock, socket.socket)
    for h in hosts:
        sites.append(TCPSite(runner, h, port, **tcp))
    # No host but a port, or nothing at all: every interface, like a bare run_app(app).
    if not hosts and (port is not None or not (paths or socks)):
        sites.append(TCPSite(runner, None, port, **tcp))
    sites.extend(UnixSite(runner, p, **common) for p in paths)
    sites.extend(SockSite(runner, s, **common) for s in socks)
    return sites
