"""One request's life on a connection, written once: ``exchange``.

``exchange(connection, head, body)`` builds the ``Request``, runs the
application, maps what it raised to a response, sends the response through
``prepare()`` and ``write_eof()``, logs the access line, drops an unread body
and says whether the connection may carry another request. Every request goes
this way, whichever of the connection's two drivers runs the coroutine: its
task (``HttpProtocol._run``), or, for a request that arrived while the
connection was idle, ``HttpProtocol._serve_now`` stepping it from
``data_received`` until it first suspends (``_eager.py`` says why).

Decisions made here and nowhere else:
* what answers an exception (``answer_for``): an ``HTTPException`` is its own
  answer, a vanished client gets none, anything else a logged 500 — unless a
  response already started, when only closing is left;
* whether an unread request body may be read and dropped to keep the
  connection (``_drop_body``), or ends it.

Whether the connection stays open is the response's ``keep_alive`` (decided
once, when its head is built: ``StreamResponse._start``) and the connection's
own ``closing``.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import TYPE_CHECKING, Any

from ..bodies.streams import EMPTY_STREAM, BodyStream
from ..http import RequestHead
from ..requests.request import Request
from ..responses.exceptions import HTTPException
from ..responses.response import Response, StreamResponse

if TYPE_CHECKING:
    from .protocol import HttpProtocol

__all__ = ["answer_for", "exchange"]

log = logging.getLogger("jackfield.server")


async def exchange(conn: HttpProtocol, head: RequestHead, body: BodyStream) -> bool:
    """Answer one request on ``conn``; True when the connection may carry another."""
    request = Request(head, body, conn, conn.app, conn.task)
    conn.begin_exchange(head)
    logger = conn.server.access_logger
    started = conn.loop.time() if logger is not None else 0.0
    response: StreamResponse | None
    try:
        try:
            response = await conn.app._handle(request)
            # The class test first: isinstance() on these ABC-derived classes
            # goes through ABCMeta, three times the cost (bench/, issue 2).
            if response.__class__ is not Response and not isinstance(response, StreamResponse):
                raise _wrong_type(request, response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            response = answer_for(conn, request, exc)
        if response is not None:
            try:
                # ``body is EMPTY_STREAM`` first: a bodyless request (most of them)
                # skips two method calls, 2% of a small request (bench/inproc.py).
                if (
                    body is not EMPTY_STREAM
                    and not body.at_eof()
                    and not response.prepared
                    and not _may_drop(conn, head, body)
                ):
                    response.force_close()  # say so: the unread body ends the connection
                await response.prepare(request)  # returns at once if the handler did it
                await response.write_eof()
            except (ConnectionError, asyncio.CancelledError):
                raise
            except Exception:
                response = await _send_failed(conn, request)
    except ConnectionError as exc:
        # The client went away while the answer was being written.
        log.debug("client left during %s %s: %s", request.method, request.raw_path, exc)
        return False
    finally:
        request._cleanup()  # uploaded files go, even when cancelled
    if logger is not None and response is not None:
        try:
            logger.log(request, response, conn.loop.time() - started)
        except Exception:  # logging must never break serving
            log.debug("access logger failed", exc_info=True)
    if response is None or not response.keep_alive or conn.closing:
        return False
    if body is not EMPTY_STREAM and not body.at_eof():
        return await _drop_body(conn, head, body)
    return True


async def _send_failed(conn: HttpProtocol, request: Request) -> StreamResponse | None:
    """Log the error that stopped sending; send a 500 instead if nothing went out yet."""
    log.exception("error while sending the response to %s %s", request.method, request.raw_path)
    if conn.response_started:
        return None
    # Nothing went out (say, a CR in a header value): a 500 still can.
    fallback = Response(status=500, text="500 Internal Server Error")
    fallback.force_close()
    await fallback.prepare(request)
    await fallback.write_eof()
    return fallback


def answer_for(conn: HttpProtocol, request: Request, exc: Exception) -> StreamResponse | None:
    """The response that answers ``exc`` from the application; ``None``: close instead."""
    if conn.response_started:
        # The head is out: a second response is impossible.
        if isinstance(exc, ConnectionError) and conn.closing:
            # Writing to a connection that is going away (the client left, or a
            # WebSocket closed it) is the usual end of a stream, not a bug.
            log.debug(
                "connection ended while %s %s was streaming: %s",
                request.method,
                request.raw_path,
                exc,
            )
        elif not isinstance(exc, HTTPException):
            log.exception("error in handler after the response started")
        return None
    if isinstance(exc, HTTPException):
        return exc
    if isinstance(exc, ConnectionError) and conn.closing:
        # The client went away (mid-body, say): nobody to answer, no error.
        log.debug("client left during %s %s: %s", request.method, request.raw_path, exc)
        return None
    log.exception("error handling %s %s", request.method, request.raw_path)
    if conn.app.debug:
        text = "500 Internal Server Error\n\n" + "".join(traceback.format_exception(exc))
    else:
        text = "500 Internal Server Error\n\nServer got itself in trouble"
    response = Response(status=500, text=text)
    response.force_close()
    return response


def _may_drop(conn: HttpProtocol, head: RequestHead, body: BodyStream) -> bool:
    """Whether an unread body may be read and dropped to keep the connection."""
    if conn.expects_continue:
        return False  # the client may still be waiting to send it
    declared = head.content_length
    return declared is None or declared - body.total_bytes <= conn.server.max_discard


async def _drop_body(conn: HttpProtocol, head: RequestHead, body: BodyStream) -> bool:
    """Read and drop an unread body before the next request; False to close instead."""
    if not _may_drop(conn, head, body):
        return False
    limit = conn.server.max_discard
    dropped = 0
    try:
        while piece := await body.readany():
            dropped += len(piece)
            if dropped > limit:
                return False
    except Exception:
        return False
    return True


def _wrong_type(request: Request, value: Any) -> TypeError:
    return TypeError(
        f"handler for {request.method} {request.raw_path} returned "
        f"{type(value).__name__}, expected a Response (or StreamResponse)"
    )
