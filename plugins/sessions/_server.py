"""Server-side storages: the cookie holds a random id, the record lives in a store.

``ServerStorage`` holds what ``MemoryStorage`` and ``RedisStorage`` share: the
id format, loading (cookie -> id -> record -> session), and turning a
session into one ``Change`` to apply atomically: the record to write (a new
id is created only if absent, an existing one only overwritten if still
present, so a concurrent revocation wins over an in-flight request), the ids
to delete, and the per-identity index updates. A store implements ``_read``
and ``_apply``.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from ._session import Session
from ._storage import AbstractStorage, StorageSettings

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["Change", "ServerStorage", "new_session_id"]

log = logging.getLogger("jackfield.sessions")

# What a cookie may hold to be looked up at all: anything else is not ours.
_ID = re.compile(r"[A-Za-z0-9_\-.]{16,256}")


def new_session_id() -> str:
    """A new session id: 256 random bits from ``secrets``, url-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


@attrs.frozen
class Change:
    """What saving one session does to a server-side store, applied atomically."""

    id: str | None
    """The id to write the record under (``None``: write nothing)."""
    text: str = ""
    """The encoded record."""
    ttl: int = 0
    """Seconds the record lives unless written again."""
    create: bool = False
    """True: the id is new, write only if absent; False: write only if still present."""
    discard: tuple[str, ...] = ()
    """Ids whose records to delete."""
    identity: str | None = None
    """Index ``id`` under this identity (``None``: leave the indexes as they are)."""
    unindex: tuple[str | None, tuple[str, ...]] = (None, ())
    """``(identity, ids)``: remove these ids from that identity's index."""
    index_ttl: int = 0
    """Seconds an identity's index lives unless written again."""


class ServerStorageSettings(StorageSettings, total=False):
    """``StorageSettings`` and ``key_factory``: what server-side storages take."""

    key_factory: Callable[[], str]


class ServerStorage(AbstractStorage):
    """A storage whose cookie is a random id and whose records live on the server.

    ``key_factory`` makes new ids (default: ``new_session_id``, 256 bits);
    ids must be 16 to 256 characters of ``[A-Za-z0-9_.-]``. At least one of
    ``idle_timeout`` and ``lifetime`` must be set, since they give records
    their time to live.
    """

    def __init__(
        self,
        *,
        key_factory: Callable[[], str] = new_session_id,
        **settings: Unpack[StorageSettings],
    ) -> None:
        super().__init__(**settings)
        if self._idle_timeout is None and self._lifetime is None:
            raise ValueError(
                f"{type(self).__name__} needs idle_timeout or lifetime (seconds), which give "
                "its records their time to live; both are None"
            )
        if not callable(key_factory):
            raise TypeError(f"key_factory must be a callable returning a str, got {key_factory!r}")
        self._key_factory = key_factory
        self._new_id()  # a key_factory making unusable ids fails here, not on a request
        # An index outlives the records it lists (see save_session); the minute
        # covers the clock skew between servers that decode_record accepts.
        self._index_ttl = math.ceil(max(self._idle_timeout or 0, self._lifetime or 0)) + 60

    # -- what a store implements
    async def _read(self, id: str) -> str | bytes | None:
        """The record stored under ``id``, or ``None``."""
        raise NotImplementedError

    async def _apply(self, change: Change) -> bool:
        """Apply ``change`` atomically; False if its record was not written."""
        raise NotImplementedError

    # -- shared
    def _new_id(self) -> str:
        sid = self._key_factory()
        if not isinstance(sid, str) or not _ID.fullmatch(sid):
            raise ValueError(
                f"key_factory returned {sid!r}; session ids must be 16 to 256 characters "
                "of letters, digits, '_', '-' and '.'"
            )
        return sid

    def _ttl(self, session: Session, now: float) -> int:
        ttls = []
        if self._idle_timeout is not None:
            ttls.append(self._idle_timeout)
        if self._lifetime is not None:
            ttls.append(self._lifetime - (now - session._created))
        return max(1, math.ceil(min(ttls)))

    async def load_session(self, request: Request) -> Session:
        """The session the cookie's id names, or a new one (expired, revoked, garbage)."""
        sid = self.load_cookie(request)
        if sid is None:
            return self.new_session()
        session = None
        if not _ID.fullmatch(sid):
            log.debug("session cookie is not a session id")
        else:
            raw = await self._read(sid)
            if raw is None:
                log.debug("session id unknown, expired or revoked")
            else:
                try:
                    text = raw.decode() if isinstance(raw, bytes) else raw
                except UnicodeDecodeError:
                    log.debug("session record is not UTF-8")
                else:
                    session = self.decode_record(text, id=sid)
        if session is None:
            session = self.new_session()
            session._changed = True  # so that saving deletes the cookie (and record)
            if _ID.fullmatch(sid):
                session._discard.append(sid)
        return session

    def session_id_of(self, request: Request) -> str | None:
        """The id the request's cookie names, if it looks like one (not checked in the store)."""
        sid = self.load_cookie(request)
        return sid if sid is not None and _ID.fullmatch(sid) else None

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Write (or delete) the record and set (or delete) the cookie."""
        if not self.needs_saving(session):
            return
        now = time.time()
        keep = not (session.empty and session.identity is None)
        old_identity = session._loaded_identity
        unindexed = list(session._discard)
        if session._id is not None and old_identity != session.identity:
            unindexed.append(session._id)
        change = Change(
            id=None,
            discard=tuple(session._discard),
            unindex=(old_identity, tuple(unindexed)),
            index_ttl=self._index_ttl,
        )
        if keep:
            create = session._id is None
            if create:
                session._id = self._new_id()
            # The index needs writing for a new id or identity. Otherwise it is
            # there already, and outlives the record when there is a lifetime:
            # written after the session's creation with a TTL of at least the
            # lifetime, while the record's TTL never goes past creation plus
            # lifetime. Without a lifetime, each write of the record extends
            # the index too. (A save then stays one SET, not a transaction.)
            identity = session.identity
            index = identity is not None and (
                create or identity != old_identity or self._lifetime is None
            )
            change = attrs.evolve(
                change,
                id=session._id,
                text=self.encode_record(session),
                ttl=self._ttl(session, now),
                create=create,
                identity=identity if index else None,
            )
        written = await self._apply(change)
        session._discard.clear()
        cookie = request.cookies.get(self._cookie_name)
        if keep and written:
            if session._id != cookie or session.max_age is not None:
                self.save_cookie(response, session._id or "", max_age=session.max_age)
        else:
            if keep:
                log.debug("session record vanished while in use (revoked or expired)")
            if cookie is not None:
                self.save_cookie(response, "")
