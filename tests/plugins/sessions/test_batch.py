"""Automatic pipelining of RedisStorage's commands, against a real redis-server."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import redis.asyncio as aioredis
import redis.exceptions

from jackfield.plugins import sessions
from jackfield.plugins.sessions._batch import CommandBatcher
from jackfield.testing.testing import TestServer

from .conftest import RedisProcess, counter_app


async def connections_named(client: aioredis.Redis, name: str) -> int:
    listing = await client.execute_command("CLIENT", "LIST")
    text = listing.decode() if isinstance(listing, bytes) else str(listing)
    return sum(f" name={name} " in f" {line} " for line in text.splitlines())


async def test_the_commands_of_one_loop_pass_share_one_connection(
    redis_server: RedisProcess, redis_client: aioredis.Redis
) -> None:
    batched = aioredis.Redis.from_url(redis_server.url, client_name="batched")
    plain = aioredis.Redis.from_url(redis_server.url, client_name="plain")
    try:
        batcher = CommandBatcher(batched, timeout=2.0)
        await asyncio.gather(*(batcher.call("SET", f"k{i}", str(i)) for i in range(50)))
        replies = await asyncio.gather(*(batcher.call("GET", f"k{i}") for i in range(50)))
        assert replies == [str(i).encode() for i in range(50)]
        assert await connections_named(redis_client, "batched") == 1
        # The same 50 GETs sent one by one, concurrently, take a connection each.
        await asyncio.gather(*(plain.get(f"k{i}") for i in range(50)))
        assert await connections_named(redis_client, "plain") > 1
    finally:
        await batched.aclose()
        await plain.aclose()


async def test_an_error_reply_concerns_only_its_own_command(
    redis_client: aioredis.Redis,
) -> None:
    await redis_client.set("text", "value")
    await redis_client.rpush("list", "item")
    batcher = CommandBatcher(redis_client, timeout=2.0)
    text, wrong, missing = await asyncio.gather(
        batcher.call("GET", "text"), batcher.call("GET", "list"), batcher.call("GET", "none")
    )
    assert text == b"value"
    assert isinstance(wrong, redis.exceptions.ResponseError) and "WRONGTYPE" in str(wrong)
    assert missing is None


async def test_a_cancelled_caller_leaves_the_others_their_replies(
    redis_client: aioredis.Redis,
) -> None:
    await redis_client.set("a", "1")
    await redis_client.set("b", "2")
    batcher = CommandBatcher(redis_client, timeout=2.0)

    async def get(key: str) -> object:
        return await batcher.call("GET", key)

    first = asyncio.ensure_future(get("a"))
    second = asyncio.ensure_future(get("b"))
    await asyncio.sleep(0)  # both queued in one batch
    first.cancel()
    assert await second == b"2"
    assert first.cancelled()
    assert await batcher.call("GET", "a") == b"1"


async def test_a_batch_is_bounded_as_a_whole_and_the_next_one_reads_its_own_replies(
    private_redis: RedisProcess,
) -> None:
    client = aioredis.Redis.from_url(private_redis.url)
    try:
        await client.set("a", "1")
        await client.set("b", "2")
        batcher = CommandBatcher(client, timeout=0.3)
        private_redis.pause()
        try:
            started = time.monotonic()
            results = await asyncio.gather(
                batcher.call("GET", "a"), batcher.call("GET", "b"), return_exceptions=True
            )
            elapsed = time.monotonic() - started
        finally:
            private_redis.resume()
        assert all(isinstance(result, TimeoutError) for result in results), results
        assert 0.25 < elapsed < 2, elapsed
        # The replies Redis sends late must not be read as the next batch's.
        assert await asyncio.gather(batcher.call("GET", "b"), batcher.call("GET", "a")) == [
            b"2",
            b"1",
        ]
    finally:
        await client.aclose()


def test_a_batch_left_queued_by_a_closed_loop_does_not_block_the_next_loop(
    redis_server: RedisProcess,
) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    batcher = CommandBatcher(client, timeout=2.0)

    async def queue_and_stop() -> None:
        batcher.call("GET", "k")
        asyncio.get_running_loop().stop()  # before the batch's task ever runs
        await asyncio.sleep(10)

    first = asyncio.new_event_loop()
    with pytest.raises(RuntimeError, match="stopped"):
        first.run_until_complete(queue_and_stop())
    for task in asyncio.all_tasks(first):
        task.cancel()
    first.run_until_complete(asyncio.sleep(0))
    first.close()

    async def use() -> object:
        try:
            await client.set("k", "v")
            return await asyncio.wait_for(batcher.call("GET", "k"), 5)
        finally:
            await client.aclose()

    assert asyncio.run(use()) == b"v"


async def test_concurrent_sessions_each_get_their_own_record(
    redis_client: aioredis.Redis,
) -> None:
    """Many requests in flight: their GETs and SETs share pipelines, never their replies."""
    storage = sessions.RedisStorage(redis_client)
    async with TestServer(counter_app(storage)) as server:
        users = [httpx.AsyncClient(base_url=server.make_url()) for _ in range(20)]
        try:
            for expected in range(1, 6):
                responses = await asyncio.gather(*(user.get("/") for user in users))
                assert [r.text for r in responses] == [str(expected)] * len(users)
            ids = {user.cookies["JACKFIELD_SESSION"] for user in users}
            assert len(ids) == len(users)
        finally:
            for user in users:
                await user.aclose()
    keys = await redis_client.keys("jackfield:session:*")
    assert len(keys) == 20


async def test_concurrent_requests_all_get_a_503_when_redis_stops_answering(
    private_redis: RedisProcess,
) -> None:
    client = aioredis.Redis.from_url(private_redis.url)
    storage = sessions.RedisStorage(client, timeout=0.3)
    async with TestServer(counter_app(storage)) as server:
        users = [httpx.AsyncClient(base_url=server.make_url()) for _ in range(10)]
        try:
            first = await asyncio.gather(*(user.get("/") for user in users))
            assert [r.text for r in first] == ["1"] * len(users)
            private_redis.pause()
            try:
                started = time.monotonic()
                responses = await asyncio.gather(*(user.get("/") for user in users))
                elapsed = time.monotonic() - started
            finally:
                private_redis.resume()
            assert [r.status_code for r in responses] == [503] * len(users)
            assert elapsed < 3, elapsed
            after = await asyncio.gather(*(user.get("/") for user in users))
            assert [r.text for r in after] == ["2"] * len(users)
        finally:
            for user in users:
                await user.aclose()
    await client.aclose()
