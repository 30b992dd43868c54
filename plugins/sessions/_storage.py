"""``AbstractStorage``: what every session store shares, and what a new one implements.

A storage turns the request's cookie into a ``Session`` (``load_session``)
and a ``Session`` back into a cookie and, for server-side stores, a record
(``save_session``). This base owns the parts that must be the same for all:

* the cookie: its name and attributes, reading it from the request, writing
  or deleting it, and refusing one over 4096 bytes (RFC 6265 §6.1);
* the record: a session's data with its ``created``/``access`` times and
  identity, encoded as text with ``encoder``/``decoder`` (json by default),
  decoded defensively (anything malformed is no session at all);
* expiry, enforced by the server when a record is decoded: an idle timeout
  (since the last recorded access) and an absolute lifetime (since
  creation). The access time is rewritten at most once per ``touch_interval``
  (a tenth of the idle timeout, at most 60 s), so read-only requests do not
  write every time.
"""

from __future__ import annotations

import abc
import json
import logging
import re
import time
from collections.abc import Callable
from http.cookies import Morsel
from typing import TYPE_CHECKING, Any, TypedDict

from ._errors import CookieTooLargeError
from ._session import Session

if TYPE_CHECKING:
    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_LIFETIME",
    "MAX_COOKIE_SIZE",
    "AbstractStorage",
    "StorageSettings",
]

log = logging.getLogger("jackfield.sessions")

#: The cookie name every storage uses unless told otherwise.
DEFAULT_COOKIE_NAME = "JACKFIELD_SESSION"
#: Sessions unused for this long (seconds) load as new: two weeks.
DEFAULT_IDLE_TIMEOUT = 14 * 24 * 3600
#: Sessions older than this (seconds) load as new, however active: thirty days.
DEFAULT_LIFETIME = 30 * 24 * 3600
#: The largest cookie (name, value and attributes) browsers must keep (RFC 6265 §6.1).
MAX_COOKIE_SIZE = 4096
# Cookie values longer than this are not even decoded: no storage writes one.
_MAX_COOKIE_VALUE = 2 * MAX_COOKIE_SIZE
# RFC 6265 §4.1.1 cookie-octet: what a value may hold without quoting.
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")


class StorageSettings(TypedDict, total=False):
    """The keyword settings every storage takes (see ``AbstractStorage``).

    Subclasses pass them on with ``**settings: Unpack[StorageSettings]``, so a
    type checker still checks each keyword a user gives.
    """

    cookie_name: str
    domain: str | None
    max_age: int | None
    path: str
    secure: bool | None
    httponly: bool
    samesite: str | None
    encoder: Callable[[Any], str]
    decoder: Callable[[str], Any]
    idle_timeout: float | None
    lifetime: float | None


def _positive(name: str, value: float | None) -> float | None:
    if value is not None and (isinstance(value, bool) or not value > 0):
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


class AbstractStorage(abc.ABC):
    """The base of every session storage; subclass it to ship another store.

    Cookie settings: ``cookie_name``, ``domain``, ``path``, ``max_age`` (the
    cookie's ``Max-Age``; ``None`` keeps it until the browser closes),
    ``httponly``, ``secure``, ``samesite``. ``encoder``/``decoder`` turn the
    record (a JSON-like dict) into text and back. ``idle_timeout`` and
    ``lifetime`` (seconds, or ``None`` for no limit) are enforced on load.

    A subclass implements ``load_session(request)`` and
    ``save_session(request, response, session)``, and uses the helpers here:
    ``load_cookie``/``save_cookie`` for the cookie, ``new_session()``,
    ``encode_record``/``decode_record`` for the record with its expiry, and
    ``needs_saving`` to skip writes that would change nothing.
    """

    def __init__(
        self,
        *,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = "Lax",
        encoder: Callable[[Any], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        lifetime: float | None = DEFAULT_LIFETIME,
    ) -> None:
        probe: Morsel[str] = Morsel()
        try:
            probe.set(cookie_name, "", "")
        except Exception as exc:
            raise ValueError(
                f"cookie_name {cookie_name!r} is not a valid cookie name: {exc}"
            ) from exc
        if samesite is not None and samesite.lower() not in ("strict", "lax", "none"):
            raise ValueError(f"samesite must be 'Strict', 'Lax', 'None' or None, got {samesite!r}")
        for label, text in (("domain", domain), ("path", path)):
            if text is not None and (not text.isprintable() or ";" in text):
                raise ValueError(f"{label} must be printable and free of ';', got {text!r}")
        if max_age is not None and (isinstance(max_age, bool) or int(max_age) < 0):
            raise ValueError(f"max_age must be a number of seconds >= 0 or None, got {max_age!r}")
        if not callable(encoder) or not callable(decoder):
            raise TypeError("encoder and decoder must be callables (like json.dumps, json.loads)")
        self._cookie_name = cookie_name
        self._cookie_params: dict[str, Any] = {
            "domain": domain,
            "path": path,
            "secure": secure,
            "httponly": httponly,
            "samesite": samesite,
        }
        self._cookie_tail = "".join(
            f"; {label}={params_value}" if not isinstance(params_value, bool) else f"; {label}"
            for label, params_value in (
                ("Domain", domain),
                ("Path", path),
                ("Secure", bool(secure)),
                ("HttpOnly", bool(httponly)),
                ("SameSite", samesite),
            )
            if params_value
        )
        self._max_age = max_age
        self._encoder = encoder
        self._decoder = decoder
        self._idle_timeout = _positive("idle_timeout", idle_timeout)
        self._lifetime = _positive("lifetime", lifetime)
        idle = self._idle_timeout
        self._touch_interval = None if idle is None else min(60.0, idle / 10)

    # -- settings
    @property
    def cookie_name(self) -> str:
        """The name of the session cookie."""
        return self._cookie_name

    @property
    def cookie_params(self) -> dict[str, Any]:
        """The cookie attributes: ``domain``, ``path``, ``secure``, ``httponly``, ``samesite``."""
        return dict(self._cookie_params)

    @property
    def max_age(self) -> int | None:
        """The cookie's ``Max-Age`` (``None``: until the browser closes)."""
        return self._max_age

    @property
    def idle_timeout(self) -> float | None:
        """Seconds without a request after which a session loads as new."""
        return self._idle_timeout

    @property
    def lifetime(self) -> float | None:
        """Seconds after creation after which a session loads as new."""
        return self._lifetime

    # -- what a storage implements
    @abc.abstractmethod
    async def load_session(self, request: Request) -> Session:
        """Return the request's session, or a new empty one; never raise for bad input.

        A missing, malformed, tampered or expired session is a new session
        (log it at debug level). Raise ``StorageUnavailableError`` when a
        store cannot be reached, within a bounded time.
        """

    @abc.abstractmethod
    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Store ``session`` and set (or delete) its cookie on ``response``.

        Called once per request that used the session, before the response
        head is sent. Delete the records of ``session``'s retired ids.
        """

    # -- helpers for storages
    def new_session(self) -> Session:
        """A new empty session with this storage's cookie ``Max-Age``."""
        return Session(None, new=True, max_age=self._max_age)

    def load_cookie(self, request: Request) -> str | None:
        """The session cookie's value, or ``None`` when absent (or absurdly long)."""
        value = request.cookies.get(self._cookie_name)
        if value is not None and len(value) > _MAX_COOKIE_VALUE:
            log.debug("session cookie of %d characters ignored", len(value))
            return None
        return value

    def save_cookie(
        self, response: StreamResponse, value: str, *, max_age: int | None = None
    ) -> None:
        """Set the session cookie to ``value``; an empty ``value`` deletes it.

        Raises ``CookieTooLargeError`` when the cookie would exceed 4096 bytes,
        ``ValueError`` when ``value`` holds characters a cookie cannot carry.
        """
        params = self._cookie_params
        if not value:
            response.del_cookie(self._cookie_name, domain=params["domain"], path=params["path"])
            return
        # The header is written directly: the storages' values need no quoting,
        # and a Morsel costs more than the rest of the save (bench/sessions.py).
        if not _COOKIE_VALUE.fullmatch(value):
            raise ValueError(f"a session cookie value must be cookie-octets, got {value[:40]!r}")
        ages = f"; Max-Age={int(max_age)}" if max_age is not None else ""
        header = f"{self._cookie_name}={value}{ages}{self._cookie_tail}"
        if len(header) > MAX_COOKIE_SIZE:
            raise CookieTooLargeError(
                f"the session cookie {self._cookie_name!r} would be {len(header)} bytes, over "
                f"the {MAX_COOKIE_SIZE} bytes browsers keep (RFC 6265 §6.1), so it was not "
                "sent. Store less in the session, or use a server-side storage such as "
                "RedisStorage."
            )
        response.headers.add("Set-Cookie", header)

    def needs_saving(self, session: Session, now: float | None = None) -> bool:
        """True when ``session`` changed, retired ids, or its access time is due a touch."""
        if session._changed or session._discard:
            return True
        touch = self._touch_interval
        if touch is None:
            return False
        return (time.time() if now is None else now) - session._access >= touch

    def encode_record(self, session: Session) -> str:
        """``session`` as text: its data, identity and times (the access time is now)."""
        record = {
            "created": session._created,
            "access": int(time.time()),
            "identity": session._identity,
            "session": session._data,
        }
        return self._encoder(record)

    def decode_record(self, text: str, *, id: str | None = None) -> Session | None:
        """The session ``text`` holds, or ``None`` when it is malformed or expired.

        Never raises for bad text: whatever ``decoder`` raises means "no
        session" (logged at debug level).
        """
        try:
            record = self._decoder(text)
        except Exception as exc:
            log.debug("session record could not be decoded: %s", exc)
            return None
        if not isinstance(record, dict):
            log.debug("session record is not a mapping")
            return None
        created, access = record.get("created"), record.get("access")
        identity, data = record.get("identity"), record.get("session")
        if (
            not isinstance(created, int)
            or not isinstance(access, int)
            or not isinstance(data, dict)
            or not (identity is None or isinstance(identity, str))
        ):
            log.debug("session record has missing or mistyped fields")
            return None
        now = time.time()
        if created > now + 60 or access > now + 60 or access < created:
            log.debug("session record has impossible times: %d, %d", created, access)
            return None
        if self._lifetime is not None and now - created >= self._lifetime:
            log.debug("session expired: older than its lifetime of %ss", self._lifetime)
            return None
        if self._idle_timeout is not None and now - access >= self._idle_timeout:
            log.debug("session expired: idle for longer than %ss", self._idle_timeout)
            return None
        return Session(
            id,
            data,
            new=False,
            created=created,
            access=access,
            identity=identity,
            max_age=self._max_age,
        )
