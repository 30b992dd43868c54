"""``RedisStorage``: server-side sessions in Redis, shared by every server process.

The cookie holds a random id (256 bits from ``secrets``); the record lives
under ``key_prefix + id`` with a time to live (the idle timeout, capped by
what is left of the lifetime), and the ids of each identity in a set under
``key_prefix + "user:" + identity`` so that ``revoke_identity`` can end them
all. A load is one GET; a save is one SET, or one MULTI/EXEC transaction
when an identity's index changes or old ids are deleted. The GETs and SETs
of the requests in flight go out together, one pipeline per event-loop pass
(``_batch.py``), which is what makes this storage fast under load.

Every Redis call (each such pipeline as a whole) is bounded by ``timeout``
seconds (2 by default). A store that is down, refuses, or does not answer
in time raises ``StorageUnavailableError``, which the middleware answers
with 503. A key that holds something else than a record (garbage, another
type) is no session: the request gets a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from ._batch import CommandBatcher, bounded
from ._errors import StorageUnavailableError
from ._server import Change, ServerStorage, ServerStorageSettings

if TYPE_CHECKING:
    import redis.asyncio
    from typing_extensions import Unpack

__all__ = ["DEFAULT_REDIS_TIMEOUT", "RedisStorage"]

log = logging.getLogger("jackfield.sessions")

#: Seconds a Redis call may take before the request gets a 503.
DEFAULT_REDIS_TIMEOUT = 2.0

_T = TypeVar("_T")


class RedisStorage(ServerStorage):
    """Sessions in Redis through a ``redis.asyncio.Redis`` client; the cookie holds an id.

    ``key_prefix`` (default ``"jackfield:session:"``) namespaces the keys;
    ``timeout`` bounds each Redis call. Takes the settings of
    ``AbstractStorage`` and ``key_factory``. Needs ``jackfield[sessions]``.
    """

    def __init__(
        self,
        redis_client: redis.asyncio.Redis,
        *,
        key_prefix: str = "jackfield:session:",
        timeout: float = DEFAULT_REDIS_TIMEOUT,
        **settings: Unpack[ServerStorageSettings],
    ) -> None:
        try:
            import redis.asyncio as aioredis
            import redis.exceptions
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisStorage needs redis: install the sessions extra: "
                "pip install 'jackfield[sessions]'"
            ) from exc
        if not isinstance(redis_client, aioredis.Redis):
            raise TypeError(
                f"redis_client must be a redis.asyncio.Redis (an asyncio client), got "
                f"{type(redis_client).__module__}.{type(redis_client).__qualname__}; create it "
                "with redis.asyncio.Redis(...) or redis.asyncio.from_url(...)"
            )
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        super().__init__(**settings)
        self._redis = redis_client
        self._prefix = key_prefix
        self._timeout = timeout
        self._batcher = CommandBatcher(redis_client, timeout)
        self._redis_error = redis.exceptions.RedisError
        self._response_error = redis.exceptions.ResponseError

    @property
    def key_prefix(self) -> str:
        """What every key of this storage starts with."""
        return self._prefix

    @property
    def timeout(self) -> float:
        """Seconds one Redis call may take."""
        return self._timeout

    def _index_key(self, identity: str) -> str:
        return f"{self._prefix}user:{identity}"

    async def _call(self, what: str, awaitable: Awaitable[_T]) -> _T:
        try:
            return await bounded(awaitable, self._timeout)
        except self._response_error:
            raise
        except (self._redis_error, OSError, TimeoutError) as exc:
            detail = f"no answer within {self._timeout}s" if isinstance(exc, TimeoutError) else exc
            raise StorageUnavailableError(f"Redis could not {what}: {detail}") from exc

    async def _batched(self, what: str, *args: Any) -> Any:
        # Bounded by the batch's own timeout: no timer per command.
        try:
            return await self._batcher.call(*args)
        except (self._redis_error, OSError, TimeoutError) as exc:
            detail = f"no answer within {self._timeout}s" if isinstance(exc, TimeoutError) else exc
            raise StorageUnavailableError(f"Redis could not {what}: {detail}") from exc

    async def _read(self, id: str) -> bytes | str | None:
        raw = await self._batched("load a session", "GET", self._prefix + id)
        if isinstance(raw, self._response_error):  # e.g. WRONGTYPE: the key is not a string
            log.debug("session key holds no record: %s", raw)
            return None
        return raw if isinstance(raw, (bytes, str)) else None

    async def _apply(self, change: Change) -> bool:
        if change.id is not None and change.identity is None and not change.discard:
            old_identity, ids = change.unindex
            if old_identity is None or not ids:
                # One write and nothing else, the common case: one SET, atomic
                # on its own, costs less than MULTI/EXEC, and joins the other
                # requests' commands in one pipeline (bench/sessions.py).
                written = await self._batched(
                    "save a session",
                    "SET",
                    self._prefix + change.id,
                    change.text,
                    "EX",
                    change.ttl,
                    "NX" if change.create else "XX",
                )
                if isinstance(written, Exception):
                    raise written
                return bool(written)
        return await self._call("save a session", self._transaction(change))

    async def _transaction(self, change: Change) -> bool:
        prefix = self._prefix
        async with self._redis.pipeline(transaction=True) as pipe:
            if change.id is not None:
                pipe.set(
                    prefix + change.id,
                    change.text,
                    ex=change.ttl,
                    nx=change.create,
                    xx=not change.create,
                )
                if change.identity is not None:
                    pipe.sadd(self._index_key(change.identity), change.id)
                    pipe.expire(self._index_key(change.identity), change.index_ttl)
            old_identity, ids = change.unindex
            if old_identity is not None and ids:
                pipe.srem(self._index_key(old_identity), *ids)
            if change.discard:
                pipe.delete(*(prefix + sid for sid in change.discard))
            results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, self._response_error):
                raise result
        first = results[0] if results else None
        return change.id is not None and bool(first) and not isinstance(first, Exception)

    async def revoke_identity(self, identity: str) -> int:
        """End every session of ``identity``; return how many records were deleted."""
        index = self._index_key(identity)

        async def revoke() -> int:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.smembers(index)
                pipe.delete(index)
                members, _ = await pipe.execute()
            ids = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
            if not ids:
                return 0
            return int(await self._redis.delete(*(self._prefix + sid for sid in ids)))

        return await self._call("revoke sessions", revoke())
