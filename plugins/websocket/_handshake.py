"""The opening handshake (RFC 6455 §4.2): check the request, negotiate, answer.

``negotiate()`` looks only at the method, version and headers, so it is plain
data in, data out. A request that is not a valid WebSocket opening handshake
raises ``HandshakeError`` carrying the status to answer (400, 405, 426) and
any header that status needs; the response class turns it into the matching
HTTP exception so middlewares see an ordinary error response.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Protocol

import attrs

from ._deflate import DeflateParams
from ._deflate import negotiate as negotiate_deflate

__all__ = ["Handshake", "HandshakeError", "accept_key", "negotiate"]

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
VERSION: Final = "13"


class _Headers(Protocol):
    def getall(self, key: str, default: list[str]) -> list[str]: ...


class HandshakeError(Exception):
    """The request is not a WebSocket opening handshake we accept."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


@attrs.frozen
class Handshake:
    """What a valid opening handshake agreed on, and the 101 headers saying so."""

    accept: str
    protocol: str | None
    deflate: DeflateParams | None

    def headers(self) -> list[tuple[str, str]]:
        """Return the headers of the ``101 Switching Protocols`` answer."""
        out = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", self.accept),
        ]
        if self.protocol is not None:
            out.append(("Sec-WebSocket-Protocol", self.protocol))
        if self.deflate is not None:
            out.append(("Sec-WebSocket-Extensions", self.deflate.response_header()))
        return out


def accept_key(key: str) -> str:
    """Return ``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (§4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def _tokens(headers: _Headers, name: str) -> list[str]:
    return [
        token.strip().lower()
        for value in headers.getall(name, [])
        for token in value.split(",")
        if token.strip()
    ]


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def _check_key(headers: _Headers) -> str:
    keys = headers.getall("Sec-WebSocket-Key", [])
    if len(keys) != 1:
        raise HandshakeError(
            400,
            f"expected one Sec-WebSocket-Key header, got {len(keys)}; a WebSocket client "
            "sends the base64 of 16 random bytes",
        )
    key = keys[0].strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise HandshakeError(
            400, f"Sec-WebSocket-Key must be the base64 of 16 bytes, got {_short(key)}"
        )
    return key


def _choose_protocol(headers: _Headers, protocols: Sequence[str]) -> str | None:
    """The first protocol in the client's list (its order of preference) that we speak."""
    if not protocols:
        return None
    ours = set(protocols)
    for offered in headers.getall("Sec-WebSocket-Protocol", []):
        for name in offered.split(","):
            name = name.strip()
            if name in ours:
                return name
    return None


def negotiate(
    method: str,
    version: tuple[int, int],
    headers: _Headers,
    *,
    protocols: Iterable[str] = (),
    compress: bool = True,
) -> Handshake:
    """Check an opening handshake and return what it agrees on; raise ``HandshakeError``."""
    if method != "GET":
        raise HandshakeError(405, f"a WebSocket handshake uses GET, not {method}", {"Allow": "GET"})
    if "websocket" not in _tokens(headers, "Upgrade"):
        upgrade = ", ".join(headers.getall("Upgrade", [])) or "(none)"
        raise HandshakeError(
            426,
            "this resource speaks WebSocket only: send 'Upgrade: websocket' "
            f"(got {_short(upgrade)})",
            {"Upgrade": "websocket", "Connection": "Upgrade"},
        )
    if "upgrade" not in _tokens(headers, "Connection"):
        raise HandshakeError(400, "the Connection header must contain the 'upgrade' token")
    if tuple(version) < (1, 1):
        raise HandshakeError(
            400,
            f"a WebSocket handshake needs HTTP/1.1 or later, got HTTP/{version[0]}.{version[1]}",
        )
    versions = _tokens(headers, "Sec-WebSocket-Version")
    if versions != [VERSION]:
        got = ", ".join(headers.getall("Sec-WebSocket-Version", [])) or "(none)"
        raise HandshakeError(
            426,
            f"unsupported Sec-WebSocket-Version {_short(got)}: this server speaks version 13",
            {"Sec-WebSocket-Version": VERSION},
        )
    key = _check_key(headers)
    protocol = _choose_protocol(headers, tuple(protocols))
    deflate = None
    if compress:
        deflate = negotiate_deflate(headers.getall("Sec-WebSocket-Extensions", []))
    return Handshake(accept=accept_key(key), protocol=protocol, deflate=deflate)
