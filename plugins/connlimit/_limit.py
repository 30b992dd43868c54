"""``PerIPLimit``: a connection gate that counts open connections per client address."""

from __future__ import annotations

from typing import Any

__all__ = ["PerIPLimit"]


class PerIPLimit:
    """Admits at most ``per_ip`` open connections from one IP address.

    A ``jackfield.server.ConnectionGate``: the server calls
    ``connection_made`` for every accepted connection and ``connection_lost``
    for every one admitted. A peer without an IP address (a Unix socket) is
    always admitted and not counted. The counts live in one dict whose entries
    go away with a client's last connection, so memory follows the clients
    connected now, not every client ever seen.
    """

    __slots__ = ("_open", "per_ip")

    def __init__(self, per_ip: int) -> None:
        if isinstance(per_ip, bool) or not isinstance(per_ip, int) or per_ip < 1:
            raise ValueError(f"per_ip must be a positive int, got {per_ip!r}")
        self.per_ip = per_ip
        self._open: dict[str, int] = {}

    def connection_made(self, peername: Any) -> bool:
        """Admit (and count) the connection unless its address is at the limit."""
        if not isinstance(peername, tuple):
            return True
        host = peername[0]
        count = self._open.get(host, 0)
        if count >= self.per_ip:
            return False
        self._open[host] = count + 1
        return True

    def connection_lost(self, peername: Any) -> None:
        """Uncount an admitted connection."""
        if not isinstance(peername, tuple):
            return
        host = peername[0]
        count = self._open.get(host, 0)
        if count <= 1:
            self._open.pop(host, None)
        else:
            self._open[host] = count - 1

    def open_connections(self, host: str) -> int:
        """How many admitted connections from ``host`` are open now."""
        return self._open.get(host, 0)
