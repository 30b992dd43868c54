"""The sans-IO HTTP/1.1 codec: request parser, response serializer, dates, status phrases."""

from .cookies import parse_cookies
from .dates import format_http_date, http_date, parse_http_date
from .events import (
    END_OF_MESSAGE,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    Limits,
    ProtocolError,
    RequestHead,
)
from .parser import Event, RequestParser
from .serializer import LAST_CHUNK, body_allowed, chunk, serialize_head, status_line
from .status import reason_phrase

__all__ = [
    "END_OF_MESSAGE",
    "LAST_CHUNK",
    "NEED_DATA",
    "PAUSED",
    "Data",
    "EndOfMessage",
    "Event",
    "Limits",
    "ProtocolError",
    "RequestHead",
    "RequestParser",
    "body_allowed",
    "chunk",
    "format_http_date",
    "http_date",
    "parse_cookies",
    "parse_http_date",
    "reason_phrase",
    "serialize_head",
    "status_line",
]
