"""``MemoryStorage``: server-side sessions in this process's memory.

For tests and single-process applications: the records vanish with the
process and are not shared between workers. Records expire by their time to
live (checked when read, and swept every ``_SWEEP_EVERY`` writes so that
abandoned sessions do not pile up).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ._server import Change, ServerStorage, ServerStorageSettings

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["MemoryStorage"]

_SWEEP_EVERY = 1000


class MemoryStorage(ServerStorage):
    """Sessions kept in a dict of this process; the cookie holds a random id.

    Takes the settings of ``AbstractStorage`` and ``key_factory``.
    ``revoke_identity(identity)`` ends every session of one identity.
    """

    def __init__(self, **settings: Unpack[ServerStorageSettings]) -> None:
        super().__init__(**settings)
        self._records: dict[str, tuple[str, float]] = {}
        self._by_identity: dict[str, set[str]] = {}
        self._writes = 0

    def __len__(self) -> int:
        """The number of records held (expired ones included until swept)."""
        return len(self._records)

    async def _read(self, id: str) -> str | None:
        entry = self._records.get(id)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del self._records[id]
            return None
        return entry[0]

    async def _apply(self, change: Change) -> bool:
        written = False
        if change.id is not None:
            exists = change.id in self._records
            if exists != change.create:
                written = True
                expires = time.monotonic() + change.ttl
                self._records[change.id] = (change.text, expires)
            if change.identity is not None:
                self._by_identity.setdefault(change.identity, set()).add(change.id)
        old_identity, ids = change.unindex
        if old_identity is not None and ids:
            index = self._by_identity.get(old_identity)
            if index is not None:
                index.difference_update(ids)
                if not index:
                    del self._by_identity[old_identity]
        for sid in change.discard:
            self._records.pop(sid, None)
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            self._sweep()
        return written

    def _sweep(self) -> None:
        now = time.monotonic()
        for sid in [s for s, (_, expires) in self._records.items() if expires <= now]:
            del self._records[sid]
        for identity in list(self._by_identity):
            live = {s for s in self._by_identity[identity] if s in self._records}
            if live:
                self._by_identity[identity] = live
            else:
                del self._by_identity[identity]

    async def revoke_identity(self, identity: str) -> int:
        """End every session of ``identity``; return how many records were deleted."""
        ids = self._by_identity.pop(identity, set())
        return sum(self._records.pop(sid, None) is not None for sid in ids)
