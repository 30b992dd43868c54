"""Access logging: one line per answered request, in a configurable format.

``AccessLogger`` compiles its format string once, when it is created, into a
``%``-template and a tuple of getters; logging a request calls each getter and
hands the template and the values to ``logging`` (which formats lazily, only if
a handler emits the record). A format with an unknown directive fails at
start-up, not on the first request.

Invariant: ``log()`` never raises. A getter that fails writes ``-`` and logs
the error at debug level, because serving must not depend on logging.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..requests.request import Request
    from ..responses.response import StreamResponse

__all__ = ["DEFAULT_FORMAT", "DIRECTIVES", "AccessLogger"]

DEFAULT_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'
"""Remote address, start time, request line, status, size, referrer, user agent."""

DIRECTIVES: dict[str, str] = {
    "%a": "remote address of the peer (IP for TCP), '-' when unknown",
    "%t": "local time the request started, as [10/Oct/2024:13:55:36 +0200]",
    "%P": "process id of the server",
    "%r": 'the request line as received: "GET /path?q HTTP/1.1"',
    "%s": "response status code",
    "%b": "response body size in bytes as sent (after compression, without headers)",
    "%T": "time taken to answer, in whole seconds",
    "%Tf": "time taken to answer, in seconds with microseconds (0.001234)",
    "%D": "time taken to answer, in microseconds",
    "%{Name}i": "the request header Name ('-' when absent)",
    "%{Name}o": "the response header Name ('-' when absent)",
    "%%": "a literal percent sign",
}
"""Every directive a format may use, with what it writes."""

_log = logging.getLogger("jackfield.server")

_Getter = Callable[["Request", "StreamResponse", float], str]

# English month names regardless of locale: log parsers expect them.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _format_local_time(ts: float) -> str:
    t = time.localtime(ts)
    offset = t.tm_gmtoff // 60
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return (
        f"[{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{hours:02d}{minutes:02d}]"
    )


class _StartTime:
    """The %t getter; caches the formatted second, since many requests share one."""

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self, request: Request, response: StreamResponse, elapsed: float) -> str:
        second = int(time.time() - elapsed)
        if second != self._second:
            self._text = _format_local_time(second)
            self._second = second
        return self._text


def _remote(request: Request, response: StreamResponse, elapsed: float) -> str:
    return request.remote or "-"


def _request_line(request: Request, response: StreamResponse, elapsed: float) -> str:
    # The encoded path, not the decoded one: a %0A in the URL must not become
    # a line break in the log.
    qs = request.query_string
    target = f"{request.raw_path}?{qs}" if qs else request.raw_path
    version = request.version
    return f"{request.method} {target} HTTP/{version.major}.{version.minor}"


def _status(request: Request, response: StreamResponse, elapsed: float) -> str:
    return str(response.status)


def _size(request: Request, response: StreamResponse, elapsed: float) -> str:
    return str(response.body_length)


def _pid(request: Request, response: StreamResponse, elapsed: float) -> str:
    # Not baked in at compile time: a pre-forking server may fork after that.
    return str(os.getpid())


def _seconds(request: Request, response: StreamResponse, elapsed: float) -> str:
    return str(round(elapsed))


def _seconds_float(request: Request, response: StreamResponse, elapsed: float) -> str:
    return f"{elapsed:.6f}"


def _microseconds(request: Request, response: StreamResponse, elapsed: float) -> str:
    return str(round(elapsed * 1_000_000))


def _request_header(name: str) -> _Getter:
    def getter(request: Request, response: StreamResponse, elapsed: float) -> str:
        return request.headers.get(name, "-")

    return getter


def _response_header(name: str) -> _Getter:
    def getter(request: Request, response: StreamResponse, elapsed: float) -> str:
        return response.headers.get(name, "-")

    return getter


# directive -> (key in the record's ``extra``, getter factory)
_SIMPLE: dict[str, tuple[str, Callable[[], _Getter]]] = {
    "a": ("remote_address", lambda: _remote),
    "t": ("request_start_time", _StartTime),
    "P": ("process_id", lambda: _pid),
    "r": ("first_request_line", lambda: _request_line),
    "s": ("response_status", lambda: _status),
    "b": ("response_size", lambda: _size),
    "Tf": ("request_time_frac", lambda: _seconds_float),
    "T": ("request_time", lambda: _seconds),
    "D": ("request_time_micro", lambda: _microseconds),
}


class _Field:
    __slots__ = ("directive", "getter", "header", "key")

    def __init__(self, directive: str, key: str, getter: _Getter, header: str | None = None):
        self.directive = directive
        self.key = key
        self.getter = getter
        self.header = header


def _compile(log_format: str) -> tuple[str, tuple[_Field, ...]]:
    """Turn ``log_format`` into a ``%s`` template and the getters for its slots."""
    template: list[str] = []
    fields: list[_Field] = []
    i = 0
    n = len(log_format)
    while i < n:
        j = log_format.find("%", i)
        if j == -1:
            template.append(log_format[i:].replace("%", "%%"))
            break
        template.append(log_format[i:j])
        rest = log_format[j + 1 :]
        if rest.startswith("%"):
            template.append("%%")
            i = j + 2
        elif rest.startswith("{"):
            close = rest.find("}")
            kind = rest[close + 1 : close + 2] if close != -1 else ""
            name = rest[1:close]
            if close == -1 or kind not in ("i", "o") or not name:
                raise _bad_directive(log_format, j)
            if kind == "i":
                fields.append(
                    _Field(f"%{{{name}}}i", "request_header", _request_header(name), name)
                )
            else:
                fields.append(
                    _Field(f"%{{{name}}}o", "response_header", _response_header(name), name)
                )
            template.append("%s")
            i = j + close + 3
        else:
            code = "Tf" if rest.startswith("Tf") else rest[:1]
            if code not in _SIMPLE:
                raise _bad_directive(log_format, j)
            key, factory = _SIMPLE[code]
            fields.append(_Field("%" + code, key, factory()))
            template.append("%s")
            i = j + 1 + len(code)
    return "".join(template), tuple(fields)


def _bad_directive(log_format: str, at: int) -> ValueError:
    found = log_format[at : at + 3] or "%"
    known = ", ".join(DIRECTIVES)
    return ValueError(
        f"unknown access log directive {found!r} at position {at} in {log_format!r}; "
        f"known directives: {known}. Write %% for a literal percent sign."
    )


class AccessLogger:
    """An access logger writing one ``INFO`` record per request to ``logger``.

    ``log_format`` uses the directives in ``DIRECTIVES`` (``%a %t "%r" %s %b``,
    ``%{User-Agent}i`` ...); it is checked here, so a typo fails at start-up
    with a ``ValueError``. Each record also carries the values in ``extra``
    under the keys ``remote_address``, ``request_start_time``,
    ``process_id``, ``first_request_line``, ``response_status``, ``response_size``,
    ``request_time``, ``request_time_frac``, ``request_time_micro``, and the
    dicts ``request_header`` / ``response_header`` (header name -> value),
    for structured log handlers.
    """

    def __init__(self, logger: logging.Logger, log_format: str = DEFAULT_FORMAT) -> None:
        self.logger = logger
        self.log_format = log_format
        self._template, self._fields = _compile(log_format)
        # Without arguments ``logging`` does not %-format the message, so a
        # format with no directives is expanded here once ("%%" -> "%").
        self._static = self._template % () if not self._fields else None

    @property
    def enabled(self) -> bool:
        """True when the logger would emit an ``INFO`` record."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: Request, response: StreamResponse, elapsed: float) -> None:
        """Log one answered request that took ``elapsed`` seconds. Never raises."""
        try:
            if not self.logger.isEnabledFor(logging.INFO):
                return
            fields = self._fields
            try:
                values = [f.getter(request, response, elapsed) for f in fields]
            except Exception:
                values = [self._safe_value(f, request, response, elapsed) for f in fields]
            extra: dict[str, Any] = {}
            for field, value in zip(fields, values, strict=True):
                if field.header is None:
                    extra[field.key] = value
                else:
                    extra.setdefault(field.key, {})[field.header] = value
            if self._static is not None:
                self.logger.info(self._static, extra=extra)
            else:
                self.logger.info(self._template, *values, extra=extra)
        except Exception:
            _log.debug("access logging failed for %r", request, exc_info=True)

    @staticmethod
    def _safe_value(
        field: _Field, request: Request, response: StreamResponse, elapsed: float
    ) -> str:
        try:
            return field.getter(request, response, elapsed)
        except Exception:
            _log.debug("access log directive %s failed", field.directive, exc_info=True)
            return "-"

    def __repr__(self) -> str:
        return f"<AccessLogger {self.logger.name!r} {self.log_format!r}>"
