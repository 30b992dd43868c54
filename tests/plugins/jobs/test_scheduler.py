"""The scheduler and its jobs on a real event loop: limits, queueing, outcomes, closing."""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest

from jackfield.plugins.jobs import Job, JobsFullError, Scheduler, SchedulerClosedError


class Reports(list[dict[str, Any]]):
    """An exception handler that keeps the contexts it receives."""

    def __call__(self, scheduler: Scheduler, context: dict[str, Any]) -> None:
        self.append(context)


@pytest.fixture
def reports() -> Reports:
    return Reports()


@pytest.fixture
def loop_errors() -> list[dict[str, Any]]:
    """What asyncio itself reports ("Task exception was never retrieved" ...)."""
    seen: list[dict[str, Any]] = []
    return seen


def watch_loop(seen: list[dict[str, Any]]) -> None:
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: seen.append(ctx))


async def test_job_runs_and_wait_returns_its_result(reports: Reports) -> None:
    scheduler = Scheduler(exception_handler=reports)
    job = await scheduler.spawn(asyncio.sleep(0.01, result="done"))
    assert job.active and not job.pending and not job.closed
    assert job in scheduler and len(scheduler) == 1
    assert await job.wait() == "done"
    assert job.closed and not job.active
    assert len(scheduler) == 0 and scheduler.active_count == 0
    assert await job.wait() == "done"  # the outcome stays available
    assert reports == []


async def test_over_limit_jobs_wait_and_start_in_spawn_order() -> None:
    scheduler = Scheduler(limit=2)
    gates = [asyncio.Event() for _ in range(4)]
    started: list[int] = []

    async def work(i: int) -> int:
        started.append(i)
        await gates[i].wait()
        return i

    jobs = [await scheduler.spawn(work(i)) for i in range(4)]
    await asyncio.sleep(0)
    assert [j.active for j in jobs] == [True, True, False, False]
    assert [j.pending for j in jobs] == [False, False, True, True]
    assert (scheduler.active_count, scheduler.pending_count) == (2, 2)
    assert started == [0, 1]
    gates[1].set()
    assert await jobs[1].wait() == 1
    await asyncio.sleep(0)
    assert started == [0, 1, 2]  # the oldest pending job took the free slot
    assert jobs[2].active and jobs[3].pending
    for gate in gates:
        gate.set()
    assert [await j.wait() for j in jobs] == [0, 1, 2, 3]
    assert started == [0, 1, 2, 3]


async def test_past_pending_limit_spawn_raises_and_closes_the_coroutine() -> None:
    scheduler = Scheduler(limit=1, pending_limit=1)
    gate = asyncio.Event()
    first = await scheduler.spawn(gate.wait())
    second = await scheduler.spawn(gate.wait())
    assert second.pending
    refused = asyncio.sleep(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(JobsFullError, match=r"limit=1.*pending_limit=1.*jobs.setup"):
            await scheduler.spawn(refused)
        del refused
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    gate.set()
    await first.wait()
    await second.wait()


async def test_no_limit_runs_everything_at_once() -> None:
    scheduler = Scheduler(limit=None, pending_limit=0)
    gate = asyncio.Event()
    jobs = [await scheduler.spawn(gate.wait()) for _ in range(300)]
    assert scheduler.active_count == 300 and scheduler.pending_count == 0
    gate.set()
    for job in jobs:
        await job.wait()


async def test_an_unawaited_failure_goes_to_the_exception_handler_not_to_asyncio(
    reports: Reports, loop_errors: list[dict[str, Any]]
) -> None:
    watch_loop(loop_errors)
    scheduler = Scheduler(exception_handler=reports)

    async def fail() -> None:
        raise ValueError("boom")

    job = await scheduler.spawn(fail())
    while not job.closed:
        await asyncio.sleep(0)
    del job
    gc.collect()
    await asyncio.sleep(0)
    assert len(reports) == 1
    assert isinstance(reports[0]["exception"], ValueError)
    assert reports[0]["message"] == "job failed"
    assert loop_errors == []  # no "Task exception was never retrieved"


async def test_an_awaited_failure_goes_to_the_waiter_only(reports: Reports) -> None:
    scheduler = Scheduler(exception_handler=reports)

    async def fail() -> None:
        await asyncio.sleep(0.01)
        raise KeyError("missing")

    job = await scheduler.spawn(fail())
    with pytest.raises(KeyError, match="missing"):
        await job.wait()
    assert reports == []


async def test_default_handler_logs_on_jackfield_jobs(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler()

    async def fail() -> None:
        raise RuntimeError("logged, not lost")

    job = await scheduler.spawn(fail())
    while not job.closed:
        await asyncio.sleep(0)
    [record] = [r for r in caplog.records if r.name == "jackfield.jobs"]
    assert record.levelname == "ERROR" and "job failed" in record.getMessage()
    assert record.exc_info is not None and "logged, not lost" in str(record.exc_info[1])


async def test_a_failing_exception_handler_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(scheduler: Scheduler, context: dict[str, Any]) -> None:
        raise OSError("handler broke")

    scheduler = Scheduler(exception_handler=broken)
    job = await scheduler.spawn(_raise(ValueError("x")))
    while not job.closed:
        await asyncio.sleep(0)
    assert any("exception handler failed" in r.getMessage() for r in caplog.records)


async def _raise(exc: BaseException) -> None:
    raise exc


async def test_wait_timeout_closes_the_job() -> None:
    scheduler = Scheduler()
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            cancelled.set()

    job = await scheduler.spawn(slow())
    with pytest.raises(asyncio.TimeoutError, match=r"did not finish within 0\.01"):
        await job.wait(timeout=0.01)
    assert cancelled.is_set() and job.closed


async def test_cancelling_a_waiter_leaves_the_job_running(reports: Reports) -> None:
    scheduler = Scheduler(exception_handler=reports)
    gate = asyncio.Event()

    async def work() -> str:
        await gate.wait()
        raise ValueError("after the waiter left")

    job = await scheduler.spawn(work())
    waiter = asyncio.ensure_future(job.wait())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert job.active
    gate.set()
    while not job.closed:
        await asyncio.sleep(0)
    # Nobody waits any more, so the failure is reported instead of lost.
    assert [type(r["exception"]) for r in reports] == [ValueError]


async def test_closing_a_pending_job_drops_it_unrun() -> None:
    scheduler = Scheduler(limit=1)
    gate = asyncio.Event()
    ran: list[str] = []

    async def mark() -> None:
        ran.append("ran")

    first = await scheduler.spawn(gate.wait())
    queued = await scheduler.spawn(mark())
    await queued.close()
    assert queued.closed and not queued.pending and scheduler.pending_count == 0
    with pytest.raises(asyncio.CancelledError, match="closed before it started"):
        await queued.wait()
    gate.set()
    await first.wait()
    await asyncio.sleep(0)
    assert ran == []


async def test_close_cancels_running_jobs_and_refuses_new_ones(
    reports: Reports, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = Scheduler(limit=1, exception_handler=reports)
    events: list[str] = []

    async def polite() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    running = await scheduler.spawn(polite())
    queued = await scheduler.spawn(polite())
    await asyncio.sleep(0)
    await scheduler.close()
    assert events == ["cancelled"]  # the queued one never started
    assert "drops 1 jobs that never started" in caplog.text
    assert running.closed and queued.closed and scheduler.closed and len(scheduler) == 0
    assert reports == []
    with pytest.raises(SchedulerClosedError, match="cleaning up"):
        await scheduler.spawn(polite())


async def test_a_job_ignoring_cancellation_is_reported_after_close_timeout(
    reports: Reports,
) -> None:
    scheduler = Scheduler(close_timeout=0.05, exception_handler=reports)
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                await release.wait()  # keeps running after being cancelled

    job = await scheduler.spawn(stubborn())
    await asyncio.sleep(0)
    await scheduler.close()
    assert job.active
    assert [r["job"] for r in reports] == [job]
    assert "did not stop within 0.05 seconds" in reports[0]["message"]
    release.set()
    while not job.closed:
        await asyncio.sleep(0)


async def test_wait_idle_returns_when_every_job_ended() -> None:
    scheduler = Scheduler(limit=1)
    await scheduler.wait_idle()  # nothing to wait for
    jobs: list[Job[Any]] = [await scheduler.spawn(asyncio.sleep(0.01)) for _ in range(3)]
    await asyncio.wait_for(scheduler.wait_idle(), 2)
    assert all(j.closed for j in jobs)


async def test_spawn_needs_a_coroutine() -> None:
    with pytest.raises(TypeError, match=r"coroutine object such as work\(\)"):
        await Scheduler().spawn(asyncio.sleep)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": 0}, "limit must be a positive int or None"),
        ({"pending_limit": -1}, "pending_limit must be an int >= 0"),
        ({"close_timeout": -1}, "close_timeout must be >= 0"),
        ({"exception_handler": 3}, "exception_handler must be callable"),
    ],
    ids=["zero-limit", "negative-pending", "negative-timeout", "handler-not-callable"],
)
def test_bad_options_are_refused(kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises((ValueError, TypeError), match=error):
        Scheduler(**kwargs)
