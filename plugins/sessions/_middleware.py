"""The per-request part: the session middleware, ``get_session``, ``new_session``, saving.

The middleware only puts a small ``_RequestSessions`` record on the request;
the session is loaded on the first ``get_session()`` (a handler that never
asks costs no cookie parsing and no store round trip). It is saved once,
before the response head goes out:

* by the middleware, when the handler returns (or raises as an
  ``HTTPException``) a response that is not prepared yet, which is the
  common case; a store that is down then turns the answer into a 503;
* by ``save_on_prepare``, an ``on_response_prepare`` receiver that
  ``setup()`` connects, when the handler prepares the response itself
  (streamed responses, WebSocket handshakes).

An unexpected exception in the handler saves nothing: a request that failed
half-way must not persist half its changes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from jackfield.app import middleware
from jackfield.responses import HTTPException, HTTPServiceUnavailable

from ._errors import StorageUnavailableError
from ._server import ServerStorage
from ._session import Session
from ._storage import AbstractStorage

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["get_session", "new_session", "save_on_prepare", "session_middleware"]

log = logging.getLogger("jackfield.sessions")

_KEY = "jackfield.sessions"


class _RequestSessions:
    """The session state of one request."""

    __slots__ = ("failed", "saved", "session", "storage")

    def __init__(self, storage: AbstractStorage) -> None:
        self.storage = storage
        self.session: Session | None = None
        self.saved = False
        self.failed = False


def _state(request: Request, caller: str) -> _RequestSessions:
    state = request.get(_KEY)
    if state is None:
        raise RuntimeError(
            f"{caller}() needs the session middleware, which did not run for this request: "
            "call sessions.setup(app, storage) or add sessions.session_middleware(storage) "
            "to the application's middlewares"
        )
    return state  # type: ignore[no-any-return]


def _unavailable(exc: StorageUnavailableError) -> HTTPServiceUnavailable:
    log.error("session store unavailable: %s", exc)
    return HTTPServiceUnavailable(text="503: the session store is unavailable; try again later")


async def get_session(request: Request) -> Session:
    """The request's session, loaded on first use (a new empty one if none came).

    Raises ``HTTPServiceUnavailable`` (503) when a server-side store cannot be
    reached, and ``RuntimeError`` when the session middleware is not installed.
    """
    state = _state(request, "get_session")
    session = state.session
    if session is None:
        try:
            session = await state.storage.load_session(request)
        except StorageUnavailableError as exc:
            raise _unavailable(exc) from exc
        state.session = session
    return session


async def new_session(request: Request) -> Session:
    """Replace the request's session with a new empty one, and return it (call it at login).

    Nothing of the old session is kept; on server-side storages its record is
    deleted when the response is prepared. The new session gets a new cookie
    as soon as it holds data or an identity; left empty, the old cookie is
    deleted.
    """
    state = _state(request, "new_session")
    storage = state.storage
    fresh = storage.new_session()
    old = state.session
    if old is not None:
        fresh._discard.extend(old._discard)
        if old._id is not None:
            fresh._discard.append(old._id)
        fresh._loaded_identity = old._loaded_identity
    elif isinstance(storage, ServerStorage):
        sid = storage.session_id_of(request)
        if sid is not None:
            fresh._discard.append(sid)
    fresh._changed = True
    state.session = fresh
    return fresh


async def _save(state: _RequestSessions, request: Request, response: StreamResponse) -> None:
    state.saved = True
    session = state.session
    if session is not None:
        await state.storage.save_session(request, response, session)


async def save_on_prepare(request: Request, response: StreamResponse) -> None:
    """``on_response_prepare`` receiver: save the session of a response prepared by its handler.

    ``setup()`` connects it; with only the middleware, connect it yourself
    (before the app starts) to save sessions of streamed responses and
    WebSocket handshakes. A store that is down makes the response a 500.
    """
    state = request.get(_KEY)
    if state is None or state.saved or state.failed or state.session is None:
        return
    await _save(state, request, response)


def session_middleware(storage: AbstractStorage) -> Callable[..., Awaitable[StreamResponse]]:
    """The middleware that gives handlers their session and saves it.

    Put it first in ``middlewares`` so that every handler and middleware
    after it can call ``get_session()``. On its own it saves the session of
    every response the handler returns unprepared (and of ``HTTPException``
    answers such as a redirect after login); ``setup()`` also saves it for
    responses the handler prepares itself (streams, WebSockets).
    """
    if not isinstance(storage, AbstractStorage):
        raise TypeError(
            f"storage must be a jackfield.plugins.sessions storage (an AbstractStorage: "
            f"EncryptedCookieStorage, RedisStorage, MemoryStorage ...), got {storage!r}"
        )

    @middleware
    async def sessions_middleware(
        request: Request, handler: Callable[[Request], Awaitable[StreamResponse]]
    ) -> StreamResponse:
        state = _RequestSessions(storage)
        request[_KEY] = state
        try:
            response = await handler(request)
        except HTTPException as exc:
            if not state.saved and state.session is not None and not exc.prepared:
                try:
                    await _save(state, request, exc)
                except StorageUnavailableError as error:
                    raise _unavailable(error) from error
            raise
        except BaseException:
            state.failed = True
            raise
        if state.saved or state.session is None:
            return response
        if not response.prepared:
            try:
                await _save(state, request, response)
            except StorageUnavailableError as exc:
                return _unavailable(exc)
        elif storage.needs_saving(state.session):
            state.saved = True
            log.error(
                "the session of %s %s was not saved: the handler prepared its response "
                "before the middleware could; use sessions.setup(app, storage), which "
                "also saves sessions when a response is prepared",
                request.method,
                request.path,
            )
        return response

    return sessions_middleware
