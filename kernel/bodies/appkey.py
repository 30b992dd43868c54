"""``AppKey``: a typed key for application state (``app[KEY]`` is typed).

It lives in the bodies layer, the lowest one that keys application state
(``multipart.MULTIPART_LIMITS``), because a layer may import only the layers
below it; it needs nothing from jackfield. ``jackfield.app`` and
``jackfield.web`` re-export it, which is where users find it.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["AppKey"]

_T = TypeVar("_T")


class AppKey(Generic[_T]):
    """A typed key for application state: ``app[KEY]`` is typed as ``_T``."""

    __slots__ = ("_name", "_type")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        self._name = name
        self._type = t

    @property
    def name(self) -> str:
        """The key's name, shown in errors and reprs."""
        return self._name

    def __repr__(self) -> str:
        t = getattr(self._type, "__name__", None) or "object"
        return f"<AppKey({self._name!r}, type={t})>"
