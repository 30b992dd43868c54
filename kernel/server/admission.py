"""Admission: which accepted connections a server keeps, and when it stops accepting.

Every connection passes ``Admission.admit`` as it is made and ``release`` as
it is lost. Two things decide:

* **Connection gates** that plugins provide (hook ``jackfield_connection_gate``,
  collected once when the application freezes). Each is asked with the peer's
  address; one refusal closes the connection at once, before a byte is read
  (logged at debug level). No gate: no call, no cost.
* **The cap** (``max_connections``, off by default), counted over every site of
  the server. At the cap the registered listeners (``PausableListener``) stop
  accepting, so new clients wait in the listen queue; the first close below
  the cap resumes them. Idle keep-alive connections count, but while clients
  wait the one idle the longest is closed to make room, checked every
  ``WAIT_CHECK`` seconds: an idle client never starves a waiting one.

A connection accepted past the cap anyway (the loop accepts a burst of queued
clients before the pause, or no listener can pause: a server made with
``make_server`` and served by the caller's own ``loop.create_server``) takes
the place of an idle one, or else is answered ``503`` with ``Retry-After``
and closed without a byte of its request read.

Invariant: ``connections`` holds the admitted connections that are still
open, and every gate that admitted one of them hears ``connection_lost`` once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .protocol import HttpProtocol

__all__ = ["WAIT_CHECK", "Admission", "ConnectionGate", "Listener", "has_unread_input"]

log = logging.getLogger("jackfield.server")

WAIT_CHECK = 0.1
"""Seconds between checks for waiting clients while the server is at its cap."""

_PEEK = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)
_BUSY_BODY = b"503 Service Unavailable: too many connections, try again\n"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n\r\n" + _BUSY_BODY
)


class ConnectionGate(Protocol):
    """Decides whether the server keeps a connection; a plugin provides one.

    ``peername`` is the transport's ``peername``: ``(host, port)`` for TCP
    (``(host, port, flowinfo, scope_id)`` for IPv6), a path or ``""`` for a
    Unix socket.
    """

    def connection_made(self, peername: Any) -> bool:
        """Return False to refuse this connection (it is closed at once, unread)."""
        ...

    def connection_lost(self, peername: Any) -> None:
        """A connection this gate admitted has closed (called once for each)."""
        ...


class Listener(Protocol):
    """A listener the cap can pause (``jackfield.server.listener.PausableListener``)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def clients_waiting(self) -> bool: ...


def has_unread_input(conn: HttpProtocol) -> bool:
    """True when bytes from the peer wait in the socket, not yet read by the loop.

    Peeks at a duplicate of the socket: uvloop's socket objects have no
    ``recv``, and the peek must not change the transport's own.
    """
    transport = conn.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    try:
        with socket.socket(fileno=os.dup(sock.fileno())) as dup:
            return bool(dup.recv(1, _PEEK))  # b"": the peer closed, nothing to answer
    except OSError:  # BlockingIOError: nothing waits; others: no socket to ask
        return False


def is_idle(conn: HttpProtocol) -> bool:
    """True when ``conn`` waits for a request and none of one has arrived.

    ``conn.idle_since`` says that it answered everything and nothing more is
    buffered; the socket is peeked at for bytes the loop has not read yet.
    """
    return conn.idle_since is not None and not has_unread_input(conn)


class Admission:
    """The gates and the cap of one server (see the module docstring)."""

    def __init__(
        self,
        connections: set[HttpProtocol],
        max_connections: int | None,
        gates: Callable[[], tuple[ConnectionGate, ...]],
    ) -> None:
        if max_connections is not None and (
            isinstance(max_connections, bool)
            or not isinstance(max_connections, int)
            or max_connections < 1
        ):
            raise ValueError(
                f"max_connections must be a positive int or None (no cap), got {max_connections!r}"
            )
        self.connections = connections
        self.max_connections = max_connections
        self._gates = gates
        self.listeners: list[Listener] = []
        self.paused = False
        self._check: asyncio.TimerHandle | None = None

    @property
    def gates(self) -> tuple[ConnectionGate, ...]:
        """The connection gates the plugins provided (read when the app froze)."""
        return self._gates()

    def add_listener(self, listener: Listener) -> None:
        """Let the cap pause ``listener`` (a site does this as it starts)."""
        self.listeners.append(listener)
        if self.paused:
            listener.pause()

    def remove_listener(self, listener: Listener) -> None:
        """Forget ``listener`` (a site does this as it stops)."""
        if listener in self.listeners:
            self.listeners.remove(listener)

    def admit(self, conn: HttpProtocol) -> bool:
        """Keep ``conn`` (True), or refuse it and close it at once (False)."""
        transport = conn.transport
        if transport is None:  # lost before it was made: nothing to keep
            return False
        gates = self.gates
        if gates and not self._ask_gates(gates, transport.get_extra_info("peername")):
            log.debug("connection from %s refused by a connection gate", conn.remote)
            transport.close()
            return False
        cap = self.max_connections
        if cap is None:
            self.connections.add(conn)
            return True
        if len(self.connections) >= cap and not self._close_oldest_idle():
            log.debug("over max_connections=%d: 503 to %s", cap, conn.remote)
            self._tell_gates_lost(transport.get_extra_info("peername"))
            transport.write(_BUSY)
            transport.close()
            return False
        self.connections.add(conn)
        if len(self.connections) >= cap and not self.paused:
            self._pause()
        return True

    def release(self, conn: HttpProtocol) -> None:
        """``conn`` is lost: forget it, tell the gates, accept again below the cap."""
        if conn not in self.connections:
            return  # refused, or already released when it was closed to make room
        self._forget(conn)
        if self.paused and len(self.connections) < (self.max_connections or 0):
            self._resume()

    def stop(self) -> None:
        """No more pausing or checking: the server is shutting down."""
        self.max_connections = None
        if self._check is not None:
            self._check.cancel()
            self._check = None
        self.paused = False

    def _forget(self, conn: HttpProtocol) -> None:
        self.connections.discard(conn)
        if self.gates and conn.transport is not None:
            self._tell_gates_lost(conn.transport.get_extra_info("peername"))

    @staticmethod
    def _ask_gates(gates: tuple[ConnectionGate, ...], peername: Any) -> bool:
        for i, gate in enumerate(gates):
            if not gate.connection_made(peername):
                for earlier in gates[:i]:
                    earlier.connection_lost(peername)
                return False
        return True

    def _tell_gates_lost(self, peername: Any) -> None:
        for gate in self.gates:
            gate.connection_lost(peername)

    # -- the cap
    def _pause(self) -> None:
        self.paused = True
        for listener in self.listeners:
            listener.pause()
        if self.listeners and self._check is None:
            self._check = asyncio.get_running_loop().call_later(WAIT_CHECK, self._on_check)

    def _resume(self) -> None:
        self.paused = False
        if self._check is not None:
            self._check.cancel()
            self._check = None
        for listener in self.listeners:
            listener.resume()

    def _on_check(self) -> None:
        """While paused: if a client waits, close the connection idle the longest."""
        self._check = None
        if not self.paused:
            return
        if any(listener.clients_waiting() for listener in self.listeners):
            self._close_oldest_idle()  # its release resumes the listeners
        if self.paused:
            self._check = asyncio.get_running_loop().call_later(WAIT_CHECK, self._on_check)

    def _close_oldest_idle(self) -> bool:
        """Close the connection idle the longest to make room; False if none is idle."""
        # Oldest first, and the socket is peeked at (a system call) only until one qualifies.
        candidates = sorted(
            (c for c in self.connections if c.idle_since is not None),
            key=lambda c: c.idle_since or 0.0,
        )
        oldest = next((c for c in candidates if is_idle(c)), None)
        if oldest is None:
            return False
        log.debug("at max_connections: closing the idle connection from %s", oldest.remote)
        oldest.close_when_idle()
        # Released now, not when the loop reports it lost: its slot is free from here.
        self._forget(oldest)
        if self.paused and len(self.connections) < (self.max_connections or 0):
            self._resume()
        return True
