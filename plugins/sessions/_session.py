"""``Session``: the per-request mapping a handler reads and changes.

A session is plain data plus the flags its storage needs at save time:
whether anything changed, which server-side ids must be deleted (after
``new_session()``, ``rotate()``, ``invalidate()`` or an expired load), and the
identity it had when loaded (so a store can keep its per-identity index).
Storages build sessions; handlers get them from ``get_session()``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["Session"]


class Session(MutableMapping[str, Any]):
    """A user's session: a mutable mapping saved when the response is prepared.

    ``new`` is true when no valid session came with the request. ``created``
    is when the session began (epoch seconds). ``identity`` is who the session
    belongs to (``None`` until the application sets it, typically at login);
    ``RedisStorage.revoke_identity()`` and ``MemoryStorage.revoke_identity()``
    end every session of one identity. ``id`` is the server-side id (``None``
    for cookie storages and before a new session is first saved).
    ``max_age`` overrides the storage's cookie ``Max-Age`` for this session.

    Changing an item marks the session changed; after changing a mutable value
    in place (``session["cart"].append(x)``) call ``changed()``.
    """

    __slots__ = (
        "_access",
        "_changed",
        "_created",
        "_data",
        "_discard",
        "_id",
        "_identity",
        "_invalidated",
        "_loaded_identity",
        "_max_age",
        "_new",
    )

    def __init__(
        self,
        id: str | None,
        data: Mapping[str, Any] | None = None,
        *,
        new: bool,
        created: int | None = None,
        access: int | None = None,
        identity: str | None = None,
        max_age: int | None = None,
    ) -> None:
        now = int(time.time())
        self._id = id
        self._data: dict[str, Any] = dict(data) if data else {}
        self._new = new
        self._created = now if created is None else created
        self._access = now if access is None else access
        self._identity = identity
        self._loaded_identity = identity
        self._max_age = max_age
        self._changed = False
        self._invalidated = False
        self._discard: list[str] = []

    def __repr__(self) -> str:
        state = "new" if self._new else "loaded"
        return f"<Session [{state}] identity={self._identity!r} {self._data!r}>"

    # -- what a handler reads
    @property
    def new(self) -> bool:
        """True when the request brought no valid (or no unexpired) session."""
        return self._new

    @property
    def created(self) -> int:
        """When this session began, in seconds since the epoch."""
        return self._created

    @property
    def id(self) -> str | None:
        """The id of a server-side session (``None`` for cookie storages or not yet saved)."""
        return self._id

    @property
    def identity(self) -> str | None:
        """Who the session belongs to: set it at login, for ``revoke_identity()``."""
        return self._identity

    @identity.setter
    def identity(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"identity must be a str or None, got {type(value).__name__}")
        if value != self._identity:
            self._identity = value
            self._changed = True

    @property
    def max_age(self) -> int | None:
        """The cookie ``Max-Age`` for this session (``None``: the storage's)."""
        return self._max_age

    @max_age.setter
    def max_age(self, value: int | None) -> None:
        self._max_age = value
        self._changed = True

    @property
    def retired_ids(self) -> tuple[str, ...]:
        """Server-side ids this session replaced (rotation, invalidation, expiry): delete them.

        For storage authors; ``save_session`` deletes their records.
        """
        return tuple(self._discard)

    @property
    def empty(self) -> bool:
        """True when the session holds no data."""
        return not self._data

    # -- what a handler changes
    def changed(self) -> None:
        """Mark the session changed, so it is saved (after in-place changes of values)."""
        self._changed = True

    def invalidate(self) -> None:
        """End this session: drop its data and identity, delete its server-side record.

        The cookie is deleted when the response is prepared. Data written
        afterwards starts a brand-new session with a new id.
        """
        self._data.clear()
        self._identity = None
        self._retire_id()
        self._invalidated = True
        self._changed = True

    def rotate(self) -> None:
        """Keep the data under a new id (and a new cookie): the defence against fixation.

        On server-side storages the old id is deleted when the response is
        prepared; on cookie storages the cookie is issued anew.
        """
        self._retire_id()
        self._changed = True

    def _retire_id(self) -> None:
        if self._id is not None:
            self._discard.append(self._id)
            self._id = None

    # -- mapping
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self._changed = True

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed = True

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data
