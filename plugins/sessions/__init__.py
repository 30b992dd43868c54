"""The sessions plugin: user sessions kept in a cookie, in memory or in Redis.

Not on by default. Enable it with ``setup(app, storage)`` (or, for
non-streamed responses only, with ``middlewares=[session_middleware(storage)]``);
handlers call ``await get_session(request)`` and, at login,
``await new_session(request)``. See ``docs/sessions.md``.

Storages: ``SimpleCookieStorage`` (tests and development only),
``EncryptedCookieStorage`` (AES-GCM-SIV or Fernet), ``MemoryStorage`` (one process),
``RedisStorage`` (shared by every process). ``AbstractStorage`` is the base
a third-party store subclasses. ``EncryptedCookieStorage`` and
``RedisStorage`` need the extra ``jackfield[sessions]``.
"""

from __future__ import annotations

from ._cookie import EncryptedCookieStorage, SimpleCookieStorage
from ._errors import CookieTooLargeError, StorageUnavailableError
from ._memory import MemoryStorage
from ._middleware import get_session, new_session, save_on_prepare, session_middleware
from ._redis import DEFAULT_REDIS_TIMEOUT, RedisStorage
from ._server import new_session_id
from ._session import Session
from ._setup import STORAGE_KEY, setup
from ._storage import (
    DEFAULT_COOKIE_NAME,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LIFETIME,
    MAX_COOKIE_SIZE,
    AbstractStorage,
)

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_LIFETIME",
    "DEFAULT_REDIS_TIMEOUT",
    "MAX_COOKIE_SIZE",
    "STORAGE_KEY",
    "AbstractStorage",
    "CookieTooLargeError",
    "EncryptedCookieStorage",
    "MemoryStorage",
    "RedisStorage",
    "Session",
    "SimpleCookieStorage",
    "StorageUnavailableError",
    "get_session",
    "new_session",
    "new_session_id",
    "save_on_prepare",
    "session_middleware",
    "setup",
]
