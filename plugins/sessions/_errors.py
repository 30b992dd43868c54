"""The errors of the sessions plugin."""

from __future__ import annotations

__all__ = ["CookieTooLargeError", "StorageUnavailableError"]


class CookieTooLargeError(ValueError):
    """A session cookie would exceed what browsers keep (4096 bytes, RFC 6265 §6.1).

    Raised when the response is prepared, instead of sending a cookie that the
    browser would silently drop. Store less in the session, or switch to a
    server-side storage (``RedisStorage``), whose cookie holds only an id.
    """


class StorageUnavailableError(RuntimeError):
    """A server-side session store did not answer (down, unreachable or too slow).

    The session middleware turns it into ``503 Service Unavailable`` and logs it.
    """
