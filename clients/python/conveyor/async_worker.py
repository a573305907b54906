"""AsyncWorker: runs handlers as asyncio tasks, speaking the HTTP lease protocol.

As Worker, with tasks instead of threads: a claimer task long-polls for as many jobs as there are
free slots; each job's handler runs in a task with a heartbeat task beside it. When a heartbeat
finds the job cancelled (or its lease lost) the handler's task is cancelled — and `job.cancelled`
is set — and its outcome is not sent. Plain (non-async) handlers run in a thread
(`asyncio.to_thread`): they are told by `job.cancelled` / `job.check()` only."""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _protocol as protocol
from ._job import ActiveJob
from ._outcome import PROGRESS_EVERY, Outcome, Registry, auth_message, default_worker_id
from ._protocol import UNSET
from .async_client import AsyncClient
from .errors import (
    APIError,
    AuthError,
    Conflict,
    InvalidRequest,
    JobCancelled,
    NetworkError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
)
from .models import ClaimedJob

__all__ = ["AsyncWorker", "AsyncHandler"]

#: `async def handler(job) -> result` (or a plain function, run in a thread).
AsyncHandler = Callable[[ActiveJob], Any]
log = logging.getLogger("conveyor.worker")


@dataclass(eq=False)
class _Run:
    job: ActiveJob
    wake: asyncio.Event
    lease_until: float
    done: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    handler_task: asyncio.Future[Any] | None = field(default=None, repr=False)


class AsyncWorker(Registry[AsyncHandler]):
    """Runs the jobs of `queues`, up to `concurrency` at once, as asyncio tasks.

    `await run()` returns after SIGTERM/SIGINT (when run on the main thread) or `stop()`, once the
    jobs it holds have finished or `shutdown_timeout` has passed (then their handlers' tasks are
    cancelled and the jobs failed, retryable). A key the server refuses (401/403) stops it at once:
    `run()` raises the AuthError."""

    def __init__(
        self,
        client: AsyncClient,
        queues: Sequence[str],
        concurrency: int = 1,
        *,
        lease_seconds: float = 30,
        heartbeat_interval: float | None = None,
        wait_seconds: float = 10,
        shutdown_timeout: float = 25,
        worker_id: str | None = None,
        handle_signals: bool = True,
    ) -> None:
        super().__init__(queues, concurrency, lease_seconds, heartbeat_interval)
        self.client = client
        self.wait_seconds = min(float(wait_seconds), protocol.MAX_SERVER_WAIT)
        self.shutdown_timeout = float(shutdown_timeout)
        self.worker_id = worker_id or default_worker_id()
        self.handle_signals = handle_signals
        self._active: dict[str, _Run] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._stopping = False
        self._stop_event: asyncio.Event | None = None
        self._slot_event: asyncio.Event | None = None
        self._deadline = float("inf")
        self._fatal: AuthError | None = None
        self._started = False

    @property
    def running_jobs(self) -> int:
        return len(self._active)

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming; running jobs get `timeout` seconds (default shutdown_timeout) to finish.
        Call it from the worker's event loop (or any thread: it hops onto the loop)."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            loop.call_soon_threadsafe(self.stop, timeout)
            return
        limit = self.shutdown_timeout if timeout is None else max(0.0, timeout)
        now = loop.time() if loop is not None else 0.0
        if not self._stopping:
            log.info(
                "worker %s stopping: %d job(s) running get %.0f s to finish", self.worker_id, len(self._active), limit
            )
        self._stopping = True
        self._deadline = min(self._deadline, now + limit)
        for event in (self._stop_event, self._slot_event):
            if event is not None:
                event.set()

    def _on_signal(self) -> None:
        self.stop(None if not self._stopping else 0)

    async def run(self) -> None:
        """Run until stopped (see the class); raises AuthError when the server refuses the key."""
        if self._started:
            raise RuntimeError("an AsyncWorker runs once")
        self._started = True
        loop = asyncio.get_running_loop()
        self._loop, self._loop_thread = loop, threading.get_ident()
        self._stop_event, self._slot_event = asyncio.Event(), asyncio.Event()
        if self._stopping:
            self._stop_event.set()
            self._deadline = loop.time() + self.shutdown_timeout
        installed: list[int] = []
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                try:
                    loop.add_signal_handler(signum, self._on_signal)
                    installed.append(signum)
                except (NotImplementedError, RuntimeError):
                    pass
        log.info(
            "worker %s taking %s from %s (%d at once)",
            self.worker_id,
            sorted(self.handlers),
            self.queues,
            self.concurrency,
        )
        claimer = asyncio.create_task(self._claim_loop(), name="conveyor-claimer")
        try:
            await self._stop_event.wait()
            while True:
                pending: set[asyncio.Future[Any]] = {r.task for r in self._active.values() if r.task is not None}
                if not claimer.done():
                    pending.add(claimer)
                left = self._deadline - loop.time()
                if not pending or left <= 0:
                    break
                await asyncio.wait(pending, timeout=min(left, 0.5), return_when=asyncio.FIRST_COMPLETED)
            if not claimer.done():
                claimer.cancel()
            await self._give_up()
            # Let the given-up jobs' tasks see their handlers cancelled and end.
            leftover = [r.task for r in self._active.values() if r.task is not None]
            if leftover:
                await asyncio.wait(leftover, timeout=1.0)
        finally:
            for number in installed:
                loop.remove_signal_handler(number)
        if self._fatal is not None:
            raise type(self._fatal)(
                self._fatal.status,
                {**self._fatal.problem, "detail": auth_message(self.client.url, self._fatal)},
                headers=self._fatal.headers,
            )
        log.info("worker %s stopped", self.worker_id)

    async def _give_up(self) -> None:
        for run in list(self._active.values()):
            if run.job._end("shutdown"):
                if run.handler_task is not None:
                    run.handler_task.cancel()
                log.warning("job %s did not finish within the shutdown timeout: failing it (retryable)", run.job.id)
                await self._deliver(
                    run,
                    Outcome(False, error="the worker stopped before the handler finished (shutdown timeout)"),
                    patient=False,
                )

    def _fail_fatally(self, error: AuthError) -> None:
        if self._fatal is None:
            self._fatal = error
            log.error("%s", auth_message(self.client.url, error))
        for run in self._active.values():
            run.job._end("unauthorized")
            if run.handler_task is not None:
                run.handler_task.cancel()
        self.stop(0)

    # --- claiming ---------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        assert self._slot_event is not None
        failures = 0
        while not self._stopping:
            while len(self._active) >= self.concurrency and not self._stopping:
                self._slot_event.clear()
                await self._slot_event.wait()
            if self._stopping:
                return
            call = protocol.claim(
                self.queues,
                max=self.concurrency - len(self._active),
                lease_seconds=self.lease_seconds,
                wait_seconds=self.wait_seconds,
                worker_id=self.worker_id,
            )
            try:
                claimed = await self.client._send(call, max_retries=0)
            except AuthError as error:
                self._fail_fatally(error)
                return
            except InvalidRequest as error:
                log.error("claim refused, the worker stops: %s", error)
                self.stop(0)
                return
            except (APIError, NetworkError) as error:
                failures += 1
                delay = protocol.backoff(min(failures, 6))
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    delay = error.retry_after
                log.warning("claim failed (%s); trying again in %.1f s", error, delay)
                assert self._stop_event is not None
                try:
                    await asyncio.wait_for(self._stop_event.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                continue
            failures = 0
            for one in claimed:
                self._start(one)

    def _start(self, claimed: ClaimedJob) -> None:
        assert self._loop is not None
        loop, loop_thread = self._loop, self._loop_thread
        wake = asyncio.Event()

        def notify() -> None:
            if threading.get_ident() == loop_thread:
                wake.set()
            else:
                loop.call_soon_threadsafe(wake.set)

        run = _Run(ActiveJob(claimed, notify), wake, loop.time() + self.lease_seconds)
        self._active[run.job.id] = run
        run.task = asyncio.create_task(self._execute(run), name=f"conveyor-job-{run.job.id}")

    # --- running a job ----------------------------------------------------------------------------

    async def _execute(self, run: _Run) -> None:
        job = run.job
        beat = asyncio.create_task(self._heartbeat(run))
        outcome: Outcome | None
        try:
            handler = self.handlers.get(job.type)
            if handler is None:
                outcome = Outcome.no_handler(job.type, list(self.handlers))
            else:
                if inspect.iscoroutinefunction(handler):
                    run.handler_task = asyncio.ensure_future(handler(job))
                else:
                    run.handler_task = asyncio.ensure_future(asyncio.to_thread(handler, job))
                if job.cancelled:
                    run.handler_task.cancel()
                value = await run.handler_task
                if inspect.isawaitable(value):
                    value = await value
                outcome = Outcome.returned(value)
        except asyncio.CancelledError as error:
            if not job.cancelled and not (run.handler_task is not None and run.handler_task.cancelled()):
                raise
            outcome = None if job.cancelled else Outcome.raised(error)
        except JobCancelled as error:
            outcome = None if job.cancelled else Outcome.raised(error)
        except Exception as error:  # noqa: BLE001 - a handler's failure of any kind fails its job
            outcome = Outcome.raised(error)
        finally:
            run.done = True
            run.wake.set()
        try:
            if job.cancelled or outcome is None:
                log.info("job %s: attempt over (%s); its outcome is not sent", job.id, job.cancel_reason)
            else:
                await self._deliver(run, outcome)
        finally:
            await asyncio.gather(beat, return_exceptions=True)
            self._active.pop(job.id, None)
            if self._slot_event is not None:
                self._slot_event.set()

    async def _deliver(self, run: _Run, outcome: Outcome, *, patient: bool = True) -> None:
        """As Worker._deliver: again with the same lease token after a network error while the lease holds."""
        job = run.job
        if not job._take_outcome():
            return
        loop = asyncio.get_running_loop()
        give_up_at = max(run.lease_until - self.heartbeat_interval, loop.time() + 1.0) if patient else 0.0
        tries = 0
        while True:
            try:
                if outcome.complete:
                    await self.client.complete(job.id, job.lease_token, outcome.result)
                else:
                    await self.client.fail(job.id, job.lease_token, outcome.error, retryable=outcome.retryable)
                log.info("job %s %s", job.id, outcome.describe())
                return
            except Conflict as error:
                if tries and error.reason == "lease_lost":
                    log.info("job %s: outcome recorded by an earlier try (or the lease was lost)", job.id)
                else:
                    log.warning("job %s: outcome not recorded: %s", job.id, error)
                return
            except NotFound as error:
                log.warning("job %s: outcome not recorded: %s", job.id, error)
                return
            except AuthError as error:
                self._fail_fatally(error)
                return
            except PayloadTooLarge as error:
                if not outcome.complete:
                    log.error("job %s: failure not recorded: %s", job.id, error)
                    return
                outcome = Outcome(
                    False, error=f"the result is over the server's limit: {error.detail}", retryable=False
                )
            except (NetworkError, APIError) as error:
                if isinstance(error, APIError) and not isinstance(error, RateLimited) and error.status < 500:
                    log.error("job %s: outcome refused: %s", job.id, error)
                    return
                delay = protocol.backoff(min(tries, 5))
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    delay = error.retry_after
                if loop.time() + delay > give_up_at:
                    log.error(
                        "job %s: could not send its outcome (%s); the server rescues it when its lease expires",
                        job.id,
                        error,
                    )
                    return
                log.warning("job %s: sending its outcome failed (%s); again in %.1f s", job.id, error, delay)
                await asyncio.sleep(delay)
                tries += 1

    async def _heartbeat(self, run: _Run) -> None:
        job = run.job
        loop = asyncio.get_running_loop()
        interval = self.heartbeat_interval
        next_beat = loop.time() + interval
        last_progress = float("-inf")
        failures = 0
        while True:
            while True:
                run.wake.clear()
                if run.done or job.cancelled:
                    return
                due = next_beat
                if job._has_progress():
                    due = min(due, last_progress + PROGRESS_EVERY)
                left = due - loop.time()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(run.wake.wait(), left)
                except asyncio.TimeoutError:
                    pass
            progress = job._take_progress()
            try:
                await self.client.heartbeat(
                    job.id, job.lease_token, lease_seconds=self.lease_seconds, progress=progress
                )
            except Conflict as error:
                if job._end(error.reason or "lease_lost") and not run.done:
                    log.info("job %s: %s; its handler is cancelled", job.id, error.detail or error.reason)
                    if run.handler_task is not None:
                        run.handler_task.cancel()
                return
            except NotFound:
                if job._end("lease_lost") and run.handler_task is not None:
                    run.handler_task.cancel()
                return
            except AuthError as error:
                self._fail_fatally(error)
                return
            except (PayloadTooLarge, InvalidRequest) as error:
                log.warning("job %s: progress report refused (%s); dropped", job.id, error)
                next_beat = loop.time()
                continue
            except (APIError, NetworkError) as error:
                job._restore_progress(progress)
                failures += 1
                delay = min(interval, protocol.backoff(failures))
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    delay = min(interval, error.retry_after)
                log.warning("job %s: heartbeat failed (%s); again in %.1f s", job.id, error, delay)
                next_beat = last_progress = loop.time() + delay
                continue
            failures = 0
            now = loop.time()
            run.lease_until = now + self.lease_seconds
            next_beat = now + interval
            if progress is not UNSET:
                last_progress = now
