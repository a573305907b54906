"""AsyncClient and AsyncWorker: the same behaviour on asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Server
from helpers import make_key, queue_name

from conveyor import ActiveJob, AsyncClient, AsyncWorker, AuthenticationError, Event, NewJob, NonRetryable

pytestmark = pytest.mark.anyio


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll a condition with a deadline."""

    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_async_worker_runs_jobs_and_reports_progress(aclient: AsyncClient) -> None:
    q = queue_name()
    release = asyncio.Event()
    worker = AsyncWorker(aclient, queues=[q], concurrency=2, wait_seconds=1)

    @worker.handler("render")
    async def render(job: ActiveJob) -> Any:
        job.progress({"percent": 50})
        await asyncio.wait_for(release.wait(), 20)
        return {"doc": job.payload["doc"]}

    @worker.handler("reject")
    async def reject(job: ActiveJob) -> Any:
        raise NonRetryable("no")

    @worker.handler("sync.handler")
    def plain(job: ActiveJob) -> Any:
        return "from a thread"

    running = asyncio.create_task(worker.run())
    async with aclient.events(queue=q) as stream:
        job = await aclient.enqueue(q, "render", {"doc": 7})
        seen: list[Event] = []

        async def progress_seen() -> Event | None:
            async for event in stream:
                seen.append(event)
                if event.event == "job.progress" and event.job_id == job.id:
                    return event
            return None

        progress = await asyncio.wait_for(progress_seen(), 30)
        assert progress.progress == {"percent": 50}
        release.set()
        done = await aclient.wait(job.id, timeout=30)
        assert done.state == "completed" and done.result == {"doc": 7}

    rejected = await aclient.enqueue(q, "reject", None)
    plain_job = await aclient.enqueue(q, "sync.handler", None)
    assert (await aclient.wait(rejected.id, timeout=30)).state == "dead"
    assert (await aclient.wait(plain_job.id, timeout=30)).result == "from a thread"
    worker.stop(5)
    await asyncio.wait_for(running, 30)


async def test_cancellation_cancels_the_handler_task(aclient: AsyncClient) -> None:
    q = queue_name()
    started = asyncio.Event()
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    sent: list[str] = []
    original = aclient.complete

    async def spy(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return await original(*args, **kwargs)

    aclient.complete = spy  # type: ignore[method-assign]
    worker = AsyncWorker(aclient, queues=[q], lease_seconds=3, wait_seconds=1)

    @worker.handler("endless")
    async def endless(job: ActiveJob) -> Any:
        started.set()
        try:
            await asyncio.sleep(300)
        except asyncio.CancelledError:
            outcome.set_result(f"cancelled:{job.cancel_reason}:{job.cancelled}")
            raise
        return "never"

    running = asyncio.create_task(worker.run())
    job = await aclient.enqueue(q, "endless", None)
    await asyncio.wait_for(started.wait(), 30)
    assert (await aclient.cancel(job.id)).state == "cancelled"
    assert await asyncio.wait_for(outcome, 30) == "cancelled:cancelled:True"
    await until(lambda: worker.running_jobs == 0)
    worker.stop(5)
    await asyncio.wait_for(running, 30)
    final = await aclient.get(job.id)
    assert final.state == "cancelled" and final.result is None and sent == []


async def test_async_client_listing_and_batches(aclient: AsyncClient) -> None:
    q = queue_name()
    made = await aclient.enqueue_many([NewJob(q, "a.b", {"n": n}) for n in range(5)])
    listed = [j.id async for j in aclient.jobs(queue=q, page_size=2)]
    assert listed == [j.id for j in reversed(made)]
    schedule = await aclient.schedules.create("every-hour", cron="@hourly", queue=q, type="a.b")
    assert [s.name for s in await aclient.schedules.list()] == [schedule.name]
    await aclient.schedules.delete("every-hour")


async def test_async_worker_stops_on_a_refused_key(server: Server) -> None:
    async with AsyncClient(server.url, api_key=make_key()) as client:
        worker = AsyncWorker(client, queues=["anything"], wait_seconds=1)
        with pytest.raises(AuthenticationError, match="refused the API key"):
            await asyncio.wait_for(worker.run(), 10)
