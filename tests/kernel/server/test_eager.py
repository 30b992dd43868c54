"""drive(): finishing, inside a task, a coroutine whose first step ran outside it."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine
from typing import Any

import pytest

from jackfield.server._eager import drive


def first_step(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run the coroutine's first step by hand, as data_received does."""
    return coro.send(None)


async def test_result_after_the_future_completes() -> None:
    async def handler() -> str:
        await asyncio.sleep(0.01)
        return "done"

    coro = handler()
    assert await drive(coro, first_step(coro), None) == "done"


async def test_exception_of_the_future_reaches_the_coroutine() -> None:
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()

    async def handler() -> str:
        try:
            await fut
        except KeyError as exc:
            return f"caught {exc}"
        return "no error"

    coro = handler()
    yielded = first_step(coro)
    loop.call_soon(fut.set_exception, KeyError("k"))
    assert await drive(coro, yielded, None) == "caught 'k'"


async def test_cancelling_the_task_reaches_the_coroutine_and_shield_holds() -> None:
    saved = asyncio.Event()
    seen: list[str] = []

    async def save() -> None:
        await asyncio.sleep(0.05)
        saved.set()

    async def handler() -> None:
        try:
            await asyncio.shield(save())
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    coro = handler()
    yielded = first_step(coro)
    task = asyncio.get_running_loop().create_task(drive(coro, yielded, None))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
    await asyncio.wait_for(saved.wait(), 1)


async def test_an_exception_to_throw_first() -> None:
    async def handler() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "saw cancellation"
        return "slept"

    coro = handler()
    yielded = first_step(coro)
    assert await drive(coro, yielded, asyncio.CancelledError()) == "saw cancellation"


async def test_bare_yield_and_bad_yield() -> None:
    @types.coroutine
    def bare() -> Any:
        yield

    @types.coroutine
    def bad() -> Any:
        yield "not a future"

    async def handler() -> str:
        await bare()
        try:
            await bad()
        except RuntimeError as exc:
            return str(exc)
        return "accepted"

    coro = handler()
    result = await drive(coro, first_step(coro), None)
    assert "not a future" in result
