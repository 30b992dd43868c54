"""Cookie storages: the whole session travels in the cookie.

``SimpleCookieStorage`` writes the record as base64url-encoded JSON, neither
signed nor encrypted: anyone can read and forge it, so it is for tests and
development only. ``EncryptedCookieStorage`` seals the record with
authenticated encryption from the ``cryptography`` package, so the client
can neither read nor change it: AES-256-GCM-SIV under a key derived from the
secret key (HKDF-SHA256), or Fernet (AES-128-CBC and HMAC-SHA256) when given
a ``Fernet``/``MultiFernet``. GCM-SIV costs a fifth of Fernet per request
(``bench/sessions.py``), and a repeated random nonce, which a long-lived key
makes likely enough to care about, reveals no more than that two cookies
hold the same record. Fernet tokens made with the same key still open, so
cookies sealed that way (by an earlier version) stay valid.

Both keep nothing on the server, so a session cannot be revoked before it
expires; expiry (idle timeout and lifetime) is still checked on load,
against the times sealed in the record."""

from __future__ import annotations

import base64
import binascii
import logging
import os
from typing import TYPE_CHECKING, Any

from ._session import Session
from ._storage import AbstractStorage, StorageSettings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
    from typing_extensions import Unpack

    from jackfield.requests import Request
    from jackfield.responses import StreamResponse

__all__ = ["EncryptedCookieStorage", "SimpleCookieStorage"]

log = logging.getLogger("jackfield.sessions")

_EXTRA_HINT = "install the sessions extra: pip install 'jackfield[sessions]'"
# The first byte of a GCM-SIV cookie (a Fernet token's is 0x80), also bound
# as associated data; a new format would take another.
_AEAD_FORMAT = b"\x01"
_NONCE = 12
# What HKDF derives the GCM-SIV key for: never the secret key itself, which
# may be used as a Fernet key elsewhere.
AEAD_KEY_INFO = b"jackfield.sessions cookie AES-256-GCM-SIV"


class _CookieStorage(AbstractStorage):
    """A storage whose cookie is the sealed record; subclasses seal and open it."""

    def _seal(self, text: str) -> str:
        raise NotImplementedError

    def _open(self, value: str) -> str | None:
        raise NotImplementedError

    async def load_session(self, request: Request) -> Session:
        """The session sealed in the request's cookie, or a new one."""
        value = self.load_cookie(request)
        if value is None:
            return self.new_session()
        text = self._open(value)
        session = None if text is None else self.decode_record(text)
        if session is None:
            session = self.new_session()
            session._changed = True  # so that saving deletes the useless cookie
        return session

    async def save_session(
        self, request: Request, response: StreamResponse, session: Session
    ) -> None:
        """Seal ``session`` into the cookie (or delete the cookie of an empty one)."""
        if not self.needs_saving(session):
            return
        if session.empty and session.identity is None:
            if self._cookie_name in request.cookies:
                self.save_cookie(response, "")
            return
        self.save_cookie(response, self._seal(self.encode_record(session)), max_age=session.max_age)


class SimpleCookieStorage(_CookieStorage):
    """The session as readable, unsigned JSON in the cookie: for tests and development only.

    The client can read and forge the whole session. Takes the cookie and
    expiry settings of ``AbstractStorage``.
    """

    def _seal(self, text: str) -> str:
        # base64url: JSON's quotes, commas and spaces would need cookie quoting.
        return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")

    def _open(self, value: str) -> str | None:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            return raw.decode()
        except (binascii.Error, ValueError) as exc:
            log.debug("session cookie is not base64url JSON: %s", exc)
            return None


def _raw_key(secret_key: Any) -> bytes | None:
    """The 32 bytes of a raw or base64 key (already checked by ``_fernet``); None for objects."""
    if isinstance(secret_key, (bytes, bytearray)) and len(secret_key) == 32:
        return bytes(secret_key)
    if isinstance(secret_key, (str, bytes, bytearray)):
        return base64.urlsafe_b64decode(secret_key)
    return None


def _aead(raw_key: bytes) -> AESGCMSIV | None:
    """AES-256-GCM-SIV under a key derived from ``raw_key``; None where OpenSSL lacks it."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(hashes.SHA256(), 32, salt=None, info=AEAD_KEY_INFO).derive(raw_key)
    try:
        return AESGCMSIV(key)
    except UnsupportedAlgorithm:  # pragma: no cover - OpenSSL before 3.2: Fernet it is
        return None


def _fernet(secret_key: Any) -> Fernet | MultiFernet:
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"EncryptedCookieStorage needs cryptography: {_EXTRA_HINT}") from exc
    if isinstance(secret_key, (Fernet, MultiFernet)):
        return secret_key
    if isinstance(secret_key, (bytes, bytearray)) and len(secret_key) == 32:
        return Fernet(base64.urlsafe_b64encode(bytes(secret_key)))
    if isinstance(secret_key, (str, bytes, bytearray)):
        try:
            raw = base64.urlsafe_b64decode(secret_key)
        except (binascii.Error, ValueError):
            raw = b""
        if len(secret_key) == 44 and len(raw) == 32:
            return Fernet(secret_key if isinstance(secret_key, str) else bytes(secret_key))
    size = f" of length {len(secret_key)}" if isinstance(secret_key, (str, bytes)) else ""
    raise ValueError(
        f"secret_key must be 32 raw bytes (os.urandom(32)), a url-safe base64 Fernet key "
        f"of 44 characters (Fernet.generate_key()), or a cryptography.fernet.Fernet; got a "
        f"{type(secret_key).__name__}{size}"
    )


class EncryptedCookieStorage(_CookieStorage):
    """The session sealed in the cookie with authenticated encryption.

    ``secret_key``: 32 raw bytes (``os.urandom(32)``) or a url-safe base64
    Fernet key (what ``Fernet.generate_key()`` returns): cookies are sealed
    with AES-256-GCM-SIV under a key derived from it (HKDF-SHA256, info
    ``AEAD_KEY_INFO``), and Fernet tokens of the same key open too. Or a
    ``Fernet``/``MultiFernet``: cookies are Fernet tokens (``MultiFernet``
    rotates keys: it seals with the first and opens with any). A wrong type
    or length raises ``ValueError``. The other settings are those of
    ``AbstractStorage``. Needs ``jackfield[sessions]``.
    """

    def __init__(
        self, secret_key: bytes | str | Fernet | MultiFernet, **settings: Unpack[StorageSettings]
    ) -> None:
        self._fernet = _fernet(secret_key)
        raw_key = _raw_key(secret_key)
        self._aead = None if raw_key is None else _aead(raw_key)
        from cryptography.exceptions import InvalidTag
        from cryptography.fernet import InvalidToken

        self._invalid_token = InvalidToken
        self._invalid_tag = InvalidTag
        super().__init__(**settings)

    def _seal(self, text: str) -> str:
        aead = self._aead
        if aead is None:
            return self._fernet.encrypt(text.encode()).decode("ascii")
        nonce = os.urandom(_NONCE)
        sealed = _AEAD_FORMAT + nonce + aead.encrypt(nonce, text.encode(), _AEAD_FORMAT)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def _open(self, value: str) -> str | None:
        aead = self._aead
        if aead is not None and not value.startswith("g"):  # "g": a Fernet token's 0x80
            try:
                raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
                if raw[:1] != _AEAD_FORMAT:
                    raise ValueError("not a sealed session")
                return aead.decrypt(raw[1 : 1 + _NONCE], raw[1 + _NONCE :], _AEAD_FORMAT).decode()
            except (self._invalid_tag, binascii.Error, ValueError) as exc:
                # InvalidTag: tampered, truncated, another key; ValueError: not
                # base64, too short for a nonce, not UTF-8.
                log.debug("session cookie could not be opened: %s", type(exc).__name__)
                return None
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode()
        except (self._invalid_token, ValueError, TypeError) as exc:
            # InvalidToken: tampered, truncated, another key, not base64.
            log.debug("session cookie could not be opened: %s", type(exc).__name__)
            return None
