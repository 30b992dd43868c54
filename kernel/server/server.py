"""The server: a protocol factory that serves one application.

``Server`` holds what every connection of a listening socket shares (the
application, limits, timeouts, the access logger) and the set of live
connections, and runs the connection side of graceful shutdown: stop
keep-alive, let in-flight requests finish within a timeout, then close.
Each accepted connection is an ``HttpProtocol`` (``jackfield.server.protocol``);
which ones it keeps, and when it stops accepting, is ``admission``'s part.

At shutdown no connection is closed while a request may be on its way to
it: busy ones close after their response; the others get ``SHUTDOWN_GRACE``
seconds, in which a request that arrives is answered with ``Connection:
close``; then those with no request underway close (issue 20: requests sent
a few milliseconds after SIGTERM were closed as idle, unanswered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..http import Limits
from .accesslog import DEFAULT_FORMAT, AccessLogger
from .admission import Admission, ConnectionGate, is_idle
from .protocol import HttpProtocol

if TYPE_CHECKING:
    from ..app.app import Application
    from ..requests.request import Request
    from ..responses.response import StreamResponse

__all__ = ["SHUTDOWN_GRACE", "AccessLoggerProtocol", "Server", "make_server"]

SHUTDOWN_GRACE = 0.5
"""Seconds an idle connection gets at shutdown to send one more request."""


class AccessLoggerProtocol(Protocol):
    """What the server needs from an access logger."""

    def log(self, request: Request, response: StreamResponse, elapsed: float) -> None: ...


class Server:
    """A protocol factory for ``loop.create_server`` serving one application.

    ``max_connections`` caps the open connections (``None``: no cap); see
    ``jackfield.server.admission`` for what happens at the cap.
    """

    def __init__(
        self,
        app: Application,
        *,
        access_logger: AccessLoggerProtocol | None = None,
        keepalive_timeout: float = 75.0,
        head_timeout: float = 60.0,
        body_timeout: float = 60.0,
        body_min_rate: float = 500.0,
        send_timeout: float = 60.0,
        limits: Limits | None = None,
        handler_cancellation: bool = True,
        max_pipelined: int = 32,
        max_discard: int = 1024 * 1024,
        server_header: str | None = "jackfield",
        max_connections: int | None = None,
    ) -> None:
        for name, seconds in (
            ("keepalive_timeout", keepalive_timeout),
            ("head_timeout", head_timeout),
            ("body_timeout", body_timeout),
            ("send_timeout", send_timeout),
        ):
            if not seconds > 0:  # also refuses NaN
                raise ValueError(f"{name} must be > 0 seconds, got {seconds!r}")
        if not body_min_rate >= 0:
            raise ValueError(
                f"body_min_rate must be >= 0 bytes per second (0: no rate), got {body_min_rate!r}"
            )
        if max_pipelined < 1:
            raise ValueError(f"max_pipelined must be >= 1, got {max_pipelined}")
        if server_header is not None and (
            not server_header.isprintable() or not server_header.isascii()
        ):
            # It goes on every response unchecked, so check it once here.
            raise ValueError(
                f"server_header must be printable ASCII, got {server_header!r}; "
                "pass None to send no Server header"
            )
        self.app = app
        self.access_logger = access_logger
        self.keepalive_timeout = keepalive_timeout
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout
        self.body_min_rate = body_min_rate
        self.send_timeout = send_timeout
        self.limits = limits if limits is not None else Limits()
        self.handler_cancellation = handler_cancellation
        self.max_pipelined = max_pipelined
        self.max_discard = max_discard
        self.server_header = server_header
        self.connections: set[HttpProtocol] = set()
        self.admission = Admission(self.connections, max_connections, self._gates)
        # Connection tasks outlive their connection when handler_cancellation is
        # off; shutdown must wait for those too, before on_cleanup runs.
        self._tasks: set[asyncio.Task[None]] = set()
        self.closing = False

    def __call__(self) -> HttpProtocol:
        return HttpProtocol(self)

    @property
    def max_connections(self) -> int | None:
        """The cap on open connections (``None``: no cap)."""
        return self.admission.max_connections

    def _gates(self) -> tuple[ConnectionGate, ...]:
        return self.app.connection_gates

    def admit(self, conn: HttpProtocol) -> bool:
        """Called by each connection as it is made: keep it (True) or it was closed."""
        return self.admission.admit(conn)

    def release(self, conn: HttpProtocol) -> None:
        """Called by each connection as it is lost."""
        self.admission.release(conn)

    def pre_shutdown(self) -> None:
        """Stop keep-alive: every response from now on closes its connection.

        Busy connections close after their response; the others get
        ``SHUTDOWN_GRACE`` seconds for one more request (answered, then
        closed), after which those with no request underway close. Idempotent.
        """
        if self.closing:
            return
        self.closing = True
        self.admission.stop()
        if self.connections:
            loop = next(iter(self.connections)).loop
            loop.call_later(SHUTDOWN_GRACE, self._close_idle)

    def _close_idle(self) -> None:
        """End of the shutdown grace: connections with no request underway close."""
        for conn in list(self.connections):
            if is_idle(conn):  # no request sent, none underway: nothing to lose
                conn.close_when_idle()

    async def shutdown(self, timeout: float | None = 60.0) -> None:
        """Let in-flight requests finish within ``timeout``, then close everything.

        Within the same ``timeout``, it then waits for the work the application
        registered with ``app.add_shutdown_waiter()`` (jobs, for instance).
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self.pre_shutdown()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for conn in list(self.connections):
            conn.abort()
        tasks = [t for t in tasks if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        left = None if deadline is None else max(0.0, deadline - loop.time())
        with contextlib.suppress(asyncio.TimeoutError):  # on_cleanup deals with the rest
            await asyncio.wait_for(self.app._wait_shutdown_waiters(), left)


def make_server(
    app: Application,
    *,
    access_log: logging.Logger | None = logging.getLogger("jackfield.access"),
    access_log_format: str = DEFAULT_FORMAT,
    access_log_class: Callable[[logging.Logger, str], AccessLoggerProtocol] = AccessLogger,
    **kwargs: Any,
) -> Server:
    """Build the ``Server`` for ``app`` with ``AppRunner``'s access-log options.

    What ``Application.make_handler()`` returns (the app is not frozen here).
    """
    logger = access_log_class(access_log, access_log_format) if access_log is not None else None
    return Server(app, access_logger=logger, **kwargs)
