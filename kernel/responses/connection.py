"""``Connection``: what a response may use of the connection it is sent on.

A response sends its head with ``start_response`` (from then on the
connection knows no other response can answer this request), its body with
``write`` and waits in ``drain`` while the peer reads slowly. A file
response needs more: output the connection holds back for the end of the loop
turn must go first (``flush``), partial frames may be held back
(``set_tcp_cork``), the file should go with the kernel's ``sendfile``
when the transport allows it, and a response that cannot keep its promised
length must end the connection. This ``typing.Protocol`` lists exactly that,
so responses (and plugins such as ``static``) depend on it rather than on
``HttpProtocol``'s private state; ``HttpProtocol`` implements it.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol

__all__ = ["Connection"]


class Connection(Protocol):
    """The narrow interface between a response and its HTTP/1.1 connection.

    Added in 0.1 (issue 21). ``HttpProtocol`` implements it; test doubles may too.
    """

    @property
    def closing(self) -> bool:
        """True when the connection closes after the current response."""

    @property
    def secure(self) -> bool:
        """True for a TLS connection."""

    @property
    def server_header(self) -> str | None:
        """The ``Server`` field value responses carry (``None``: no such field)."""

    @property
    def tcp_nodelay(self) -> bool:
        """Whether Nagle's algorithm is off."""

    @property
    def tcp_cork(self) -> bool:
        """Whether partial frames are held back."""

    def start_response(self, head: bytes) -> None:
        """Send the response head (``write`` it); the request now has its response.

        Added in 0.1 (issue 17): an error after this point can only close the
        connection, and ``100 Continue`` is no longer sent.
        """

    def write(self, data: bytes) -> None:
        """Send bytes at the end of this loop turn, with the rest written in it.

        Large or many pieces go to the transport at once; dropped once closed.
        """

    def flush(self) -> None:
        """Hand bytes held back for the end of the loop turn to the transport now."""

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark.

        Raises ``ConnectionResetError`` once the peer has gone.
        """

    def set_tcp_cork(self, value: bool) -> None:
        """Hold back partial TCP frames (True) until cleared; no-op off TCP."""

    def set_tcp_nodelay(self, value: bool) -> None:
        """Turn Nagle's algorithm off (True) or on; no-op off TCP."""

    async def sendfile(self, file: BinaryIO, offset: int, count: int) -> int:
        """Send ``count`` bytes of ``file`` from ``offset`` with the OS's sendfile.

        Returns the bytes sent: fewer than ``count`` when the file ended
        early. Raises ``asyncio.SendfileNotAvailableError`` before sending
        anything when the transport cannot (TLS, a loop or transport without
        native sendfile): the caller then reads and writes the file itself.
        """

    def close_when_idle(self) -> None:
        """Close the connection once the current response has been written."""

    def abort(self) -> None:
        """Close at once, dropping unsent data."""
