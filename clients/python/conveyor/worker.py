"""Worker: runs handlers in threads, speaking the HTTP lease protocol.

A claimer thread long-polls `POST /api/workers/claim` for as many jobs as there are free slots;
each job runs in its own thread with a heartbeat thread beside it, renewing the lease every
`heartbeat_interval` (a third of the lease) and carrying progress reports. A heartbeat answered
409 ends the attempt (cancelled, or the lease lost): the handler is told at its next
`job.progress()`/`job.check()`/`job.sleep()` and by `job.cancelled`, and its outcome is not sent."""

from __future__ import annotations

import inspect
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from . import _protocol as protocol
from ._job import ActiveJob
from ._outcome import PROGRESS_EVERY, Outcome, Registry, auth_message, default_worker_id
from ._protocol import UNSET
from .client import Client
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

__all__ = ["Worker", "Handler"]

Handler = Callable[[ActiveJob], Any]
log = logging.getLogger("conveyor.worker")


@dataclass(eq=False)
class _Run:
    job: ActiveJob
    cond: threading.Condition
    lease_until: float
    done: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)


class Worker(Registry[Handler]):
    """Runs the jobs of `queues`, up to `concurrency` at once, each in a thread.

    `run()` blocks until SIGTERM/SIGINT (when called on the main thread) or `stop()`: it then
    claims nothing more and gives the jobs it holds `shutdown_timeout` seconds to finish (a second
    signal: none); a job still running then is failed (retryable) and its handler told to stop.
    A key the server refuses (401/403) stops it at once: `run()` raises the AuthError."""

    def __init__(
        self,
        client: Client,
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
        self._cond = threading.Condition()
        self._active: dict[str, _Run] = {}
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._signals = 0
        self._fatal: AuthError | None = None
        self._started = False

    def register(self, job_type: str, function: Handler) -> None:
        if inspect.iscoroutinefunction(function):
            raise TypeError(f"{function.__name__} is a coroutine function: register it on an AsyncWorker")
        super().register(job_type, function)

    # --- control ----------------------------------------------------------------------------------

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming; running jobs get `timeout` seconds (default shutdown_timeout) to finish.
        Returns at once; `run()` returns when the worker has stopped."""
        limit = self.shutdown_timeout if timeout is None else max(0.0, timeout)
        with self._cond:
            deadline = time.monotonic() + limit
            if not self._stopping.is_set():
                log.info(
                    "worker %s stopping: %d job(s) running get %.0f s to finish",
                    self.worker_id,
                    len(self._active),
                    limit,
                )
            self._deadline = min(self._deadline, deadline)
            self._stopping.set()
            self._cond.notify_all()

    @property
    def running_jobs(self) -> int:
        with self._cond:
            return len(self._active)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # No locks here (the main thread may hold one): run() turns this into stop().
        self._signals += 1

    def run(self) -> None:
        """Run until stopped (see the class); raises AuthError when the server refuses the key."""
        if self._started:
            raise RuntimeError("a Worker runs once")
        self._started = True
        previous: dict[int, Any] = {}
        if self.handle_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._on_signal)
        log.info(
            "worker %s taking %s from %s (%d at once)",
            self.worker_id,
            sorted(self.handlers),
            self.queues,
            self.concurrency,
        )
        claimer = threading.Thread(target=self._claim_loop, name="conveyor-claimer", daemon=True)
        claimer.start()
        seen = 0
        try:
            while not self._stopping.wait(0.5):
                if self._signals:
                    break
            while True:
                if self._signals > seen:
                    self.stop(None if seen == 0 else 0)
                    seen = self._signals
                with self._cond:
                    busy = bool(self._active) or claimer.is_alive()
                    left = self._deadline - time.monotonic()
                    if not busy or left <= 0:
                        break
                    self._cond.wait(min(0.5, left))
            self._give_up()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if self._fatal is not None:
            raise type(self._fatal)(
                self._fatal.status,
                {**self._fatal.problem, "detail": auth_message(self.client.url, self._fatal)},
                headers=self._fatal.headers,
            )
        log.info("worker %s stopped", self.worker_id)

    def _give_up(self) -> None:
        """At the deadline: fail what still runs (retryable), telling its handler to stop."""
        with self._cond:
            left = list(self._active.values())
        for run in left:
            if run.job._end("shutdown"):
                log.warning("job %s did not finish within the shutdown timeout: failing it (retryable)", run.job.id)
                self._deliver(
                    run,
                    Outcome(False, error="the worker stopped before the handler finished (shutdown timeout)"),
                    patient=False,
                )

    def _fail_fatally(self, error: AuthError) -> None:
        with self._cond:
            if self._fatal is None:
                self._fatal = error
                log.error("%s", auth_message(self.client.url, error))
            for run in self._active.values():
                run.job._end("unauthorized")
            self._deadline = time.monotonic()
            self._stopping.set()
            self._cond.notify_all()

    # --- claiming ---------------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                with self._cond:
                    while len(self._active) >= self.concurrency and not self._stopping.is_set():
                        self._cond.wait()
                    free = self.concurrency - len(self._active)
                if self._stopping.is_set():
                    return
                call = protocol.claim(
                    self.queues,
                    max=free,
                    lease_seconds=self.lease_seconds,
                    wait_seconds=self.wait_seconds,
                    worker_id=self.worker_id,
                )
                try:
                    claimed = self.client._send(call, max_retries=0)
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
                    self._stopping.wait(delay)
                    continue
                failures = 0
                for one in claimed:
                    self._start(one)
        finally:
            with self._cond:
                self._cond.notify_all()

    def _start(self, claimed: ClaimedJob) -> None:
        cond = threading.Condition()

        def wake() -> None:
            with cond:
                cond.notify_all()

        run = _Run(ActiveJob(claimed, wake), cond, time.monotonic() + self.lease_seconds)
        with self._cond:
            self._active[run.job.id] = run
            if self._fatal is not None:
                run.job._end("unauthorized")
        run.thread = threading.Thread(target=self._execute, args=(run,), name=f"conveyor-job-{run.job.id}", daemon=True)
        run.thread.start()

    # --- running a job ----------------------------------------------------------------------------

    def _execute(self, run: _Run) -> None:
        job = run.job
        beat = threading.Thread(target=self._heartbeat, args=(run,), name=f"conveyor-heartbeat-{job.id}", daemon=True)
        beat.start()
        outcome: Outcome | None
        try:
            handler = self.handlers.get(job.type)
            if handler is None:
                outcome = Outcome.no_handler(job.type, list(self.handlers))
            else:
                outcome = Outcome.returned(handler(job))
        except JobCancelled as error:
            outcome = None if job.cancelled else Outcome.raised(error)
        except BaseException as error:  # noqa: BLE001 - a handler's failure of any kind fails its job
            outcome = Outcome.raised(error)
        finally:
            with run.cond:
                run.done = True
                run.cond.notify_all()
        try:
            if job.cancelled or outcome is None:
                log.info("job %s: attempt over (%s); its outcome is not sent", job.id, job.cancel_reason)
            else:
                self._deliver(run, outcome)
        finally:
            with self._cond:
                self._active.pop(job.id, None)
                self._cond.notify_all()

    def _deliver(self, run: _Run, outcome: Outcome, *, patient: bool = True) -> None:
        """Send the outcome, again with the same lease token after a network error while the lease
        holds (a retry that finds the first one recorded is answered 409: done either way)."""
        job = run.job
        if not job._take_outcome():
            return
        give_up_at = max(run.lease_until - self.heartbeat_interval, time.monotonic() + 1.0) if patient else 0.0
        tries = 0
        while True:
            try:
                if outcome.complete:
                    self.client.complete(job.id, job.lease_token, outcome.result)
                else:
                    self.client.fail(job.id, job.lease_token, outcome.error, retryable=outcome.retryable)
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
            except (NetworkError, RateLimited, APIError) as error:
                if isinstance(error, APIError) and not isinstance(error, RateLimited) and error.status < 500:
                    log.error("job %s: outcome refused: %s", job.id, error)
                    return
                delay = protocol.backoff(min(tries, 5))
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    delay = error.retry_after
                if time.monotonic() + delay > give_up_at:
                    log.error(
                        "job %s: could not send its outcome (%s); the server rescues it when its lease expires",
                        job.id,
                        error,
                    )
                    return
                log.warning("job %s: sending its outcome failed (%s); again in %.1f s", job.id, error, delay)
                time.sleep(delay)
                tries += 1

    def _heartbeat(self, run: _Run) -> None:
        job = run.job
        interval = self.heartbeat_interval
        next_beat = time.monotonic() + interval
        last_progress = float("-inf")
        failures = 0
        while True:
            with run.cond:
                while True:
                    if run.done or job.cancelled:
                        return
                    now = time.monotonic()
                    due = next_beat
                    if job._has_progress():
                        due = min(due, last_progress + PROGRESS_EVERY)
                    if now >= due:
                        break
                    run.cond.wait(due - now)
            progress = job._take_progress()
            try:
                self.client.heartbeat(job.id, job.lease_token, lease_seconds=self.lease_seconds, progress=progress)
            except Conflict as error:
                if job._end(error.reason or "lease_lost") and not run.done:
                    log.info("job %s: %s; its handler is told to stop", job.id, error.detail or error.reason)
                return
            except NotFound:
                job._end("lease_lost")
                return
            except AuthError as error:
                job._end("unauthorized")
                self._fail_fatally(error)
                return
            except (PayloadTooLarge, InvalidRequest) as error:
                log.warning("job %s: progress report refused (%s); dropped", job.id, error)
                next_beat = time.monotonic()
                continue
            except (APIError, NetworkError) as error:
                job._restore_progress(progress)
                failures += 1
                delay = min(interval, protocol.backoff(failures))
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    delay = min(interval, error.retry_after)
                log.warning("job %s: heartbeat failed (%s); again in %.1f s", job.id, error, delay)
                next_beat = last_progress = time.monotonic() + delay
                continue
            failures = 0
            now = time.monotonic()
            run.lease_until = now + self.lease_seconds
            next_beat = now + interval
            if progress is not UNSET:
                last_progress = now
