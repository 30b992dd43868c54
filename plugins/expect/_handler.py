"""The default ``Expect`` handling: accept ``100-continue``, refuse anything else with 417.

``default_expect_handler`` never writes ``100 Continue`` itself: the kernel
sends it when the handler first reads the body (RFC 9110 §10.1.1), so a
request refused before that (401, 404, 405, 413 by Content-Length) never
makes the client send its body. ``send_continue`` is for handlers that want
the line out at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from jackfield.responses import HTTPExpectationFailed

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["CONTINUE_LINE", "ExpectHandler", "default_expect_handler", "send_continue"]

#: What ``expect_handler=`` takes: ``None`` to go on, a response to answer with.
ExpectHandler = Callable[["Request"], Awaitable["StreamResponse | None"]]

#: The interim response a client waiting on ``Expect: 100-continue`` needs.
CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n\r\n"


async def default_expect_handler(request: Request) -> StreamResponse | None:
    """Return ``None`` for ``Expect: 100-continue``; raise ``HTTPExpectationFailed`` otherwise.

    Every member of every Expect field must be ``100-continue`` (any case).
    An HTTP/1.0 request's expectations are ignored, as RFC 9110 §10.1.1
    requires. Call it from a custom ``expect_handler`` to keep the default
    behaviour after your own checks.
    """
    if request.version < (1, 1):
        return None
    for value in request.headers.getall("Expect", ()):
        for member in value.split(","):
            token = member.strip()
            if token and token.lower() != "100-continue":
                raise HTTPExpectationFailed(
                    text=f"417: Unknown Expect: {token[:100]}; this server only meets 100-continue"
                )
    return None


def send_continue(request: Request) -> bool:
    """Send ``HTTP/1.1 100 Continue`` now if the client still waits for it; True if sent.

    Safe to call more than once, and after the body was read: the line goes
    out at most once per request (the kernel then does not send it again).
    """
    if not request.expects_continue:
        return False
    transport = request.transport
    if transport is None:
        return False
    transport.write(CONTINUE_LINE)
    return True
