"""A listener that stops accepting connections without closing its sockets, and resumes.

``max_connections`` (``jackfield.server.admission``) needs the listening
sockets to stop being polled at the cap, so that new clients wait in the
kernel's listen queue instead of being accepted and dropped. asyncio has no
public "pause accepting" (``asyncio.Server`` can only close, which closes its
sockets), so ``PausableListener`` does it with public calls only:

* pause: keep a duplicate of every listening socket (``os.dup``), then close
  the ``asyncio.Server``. The kernel socket stays open through the duplicate
  and keeps queueing connections (up to the backlog); nothing accepts them.
* resume: ``loop.create_server(sock=duplicate)`` (``create_unix_server`` for
  a Unix socket) makes a new ``asyncio.Server`` on the same socket, which
  accepts the clients that waited, oldest first.

The same works on uvloop, whose servers take ``sock=`` too. Pausing is
synchronous (the next loop turn accepts nothing); resuming awaits the new
server, so a pause that comes meanwhile is applied when it is ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
from collections.abc import Awaitable, Callable

__all__ = ["PausableListener"]

log = logging.getLogger("jackfield.server")

Reopen = Callable[[socket.socket], Awaitable[asyncio.Server]]


class PausableListener:
    """The ``asyncio.Server`` of one site, able to stop and resume accepting.

    ``reopen(sock)`` must return a started ``asyncio.Server`` listening on
    ``sock`` with the site's protocol factory, TLS context and backlog (it
    takes ownership of ``sock``).
    """

    def __init__(self, server: asyncio.Server, reopen: Reopen) -> None:
        self._servers: list[asyncio.Server] = [server]
        self._reopen = reopen
        self._held: list[socket.socket] = []  # the listening sockets while paused
        self._want_accepting = True
        self._resuming: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets, accepting or not."""
        socks: list[socket.socket] = list(self._held)
        for server in self._servers:
            socks.extend(server.sockets)
        return tuple(socks)

    @property
    def accepting(self) -> bool:
        """True while connections are being accepted."""
        return bool(self._servers) and not self._held

    def pause(self) -> None:
        """Stop accepting now; clients wait in the listen queue until ``resume()``."""
        self._want_accepting = False
        if self._resuming is None and not self._closed:
            self._hold_sockets()

    def resume(self) -> None:
        """Accept again (the new server is ready a loop turn or so later)."""
        self._want_accepting = True
        if self._resuming is None and self._held and not self._closed:
            self._resuming = asyncio.get_running_loop().create_task(self._reopen_held())

    def clients_waiting(self) -> bool:
        """True when a client waits in the listen queue of a paused socket.

        A listening socket reads as readable when a connection is queued for
        ``accept()``. Where ``poll`` is missing, say so (True): the caller
        then acts as if someone waited.
        """
        if not self._held:
            return False
        if not hasattr(select, "poll"):
            return True
        poller = select.poll()
        for sock in self._held:
            poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> tuple[list[asyncio.Server], list[socket.socket]]:
        """Stop for good: close every server and held socket.

        Returns the servers closed, and the connections that were waiting in
        the listen queue, accepted here so that closing the listening socket
        does not reset them (issue 20): the kernel completed their handshake,
        so their clients may already have sent a request. The caller serves
        them (``loop.connect_accepted_socket``) or closes them.

        A server closed by an earlier pause is not returned: from Python 3.12
        on its ``wait_closed()`` waits for the connections it accepted, and
        shutdown must not wait once per pause.
        """
        self._closed = True
        if self._resuming is not None:
            self._resuming.cancel()
            self._resuming = None
        queued = _accept_queued(self.sockets)
        servers = self._close_servers()
        held, self._held = self._held, []
        for sock in held:
            sock.close()
        return servers, queued

    def _hold_sockets(self) -> None:
        if not self._servers:
            return
        try:
            held = [
                socket.socket(fileno=os.dup(sock.fileno()))
                for server in self._servers
                for sock in server.sockets
            ]
        except OSError as exc:
            # Out of file descriptors, most likely: keep accepting; past the cap the
            # server then answers 503 (see jackfield.server.admission).
            log.warning("cannot pause accepting connections: %s", exc)
            return
        self._close_servers()
        self._held.extend(held)

    def _close_servers(self) -> list[asyncio.Server]:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        return servers

    async def _reopen_held(self) -> None:
        try:
            while self._held and self._want_accepting:
                sock = self._held[0]
                try:
                    server = await self._reopen(sock)
                except OSError as exc:  # the socket itself failed: nothing to wait for
                    log.error("cannot resume accepting on %r: %s", sock, exc)
                    self._held.pop(0).close()
                    continue
                self._held.pop(0)
                self._servers.append(server)
        finally:
            self._resuming = None
        if not self._want_accepting and not self._closed:
            self._hold_sockets()  # a pause came while the servers were reopening


def _accept_queued(listening: tuple[socket.socket, ...]) -> list[socket.socket]:
    """Accept, without waiting, every connection queued on ``listening``."""
    accepted: list[socket.socket] = []
    for sock in listening:
        try:
            dup = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            continue
        with dup:
            dup.setblocking(False)  # already so: the flag is shared with the loop's socket
            while True:
                try:
                    conn, _ = dup.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # out of file descriptors, say: leave the rest
                    log.debug("cannot accept a queued connection at shutdown: %s", exc)
                    break
                conn.setblocking(False)
                accepted.append(conn)
    return accepted
