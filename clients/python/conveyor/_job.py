"""ActiveJob: what a handler gets — the job, and its line back to the worker that runs it."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ._protocol import UNSET, Unset, encode_json
from .errors import JobCancelled
from .models import ClaimedJob, Job

__all__ = ["ActiveJob", "describe_failure"]

#: The most of an error message sent with a failure (the server keeps it per attempt).
MAX_ERROR_CHARS = 2048


class ActiveJob:
    """A job a worker is running. `payload` is its decoded JSON; `info` the whole Job.

    `progress(value)` reports how far it has come (any JSON value, at most 4 KiB; sent with the
    next heartbeat, at most one a second, the last one winning). Once the attempt is over — the
    job was cancelled, its lease was lost, or the worker gave up on it while stopping —
    `cancelled` is true and `progress()`, `check()` and `sleep()` raise JobCancelled; whatever the
    handler returns then is not sent."""

    def __init__(self, claimed: ClaimedJob, wake: Callable[[], None]) -> None:
        job = claimed.job
        self.info: Job = job
        self.lease_token: str = claimed.lease_token
        self.id: str = job.id
        self.customer: str = job.customer
        self.queue: str = job.queue
        self.type: str = job.type
        self.payload: Any = job.payload
        self.attempt: int = job.attempt
        self.max_attempts: int = job.max_attempts
        self.priority: int = job.priority
        self.schedule: str | None = job.schedule
        self.scheduled_for: datetime | None = job.scheduled_for
        self._wake = wake
        self._lock = threading.Lock()
        self._pending: Any | Unset = UNSET
        self._over = threading.Event()
        self._reason: str | None = None
        self._outcome_taken = False

    def __repr__(self) -> str:
        return f"ActiveJob(id={self.id!r}, type={self.type!r}, queue={self.queue!r}, attempt={self.attempt})"

    @property
    def cancelled(self) -> bool:
        """Whether the attempt is over: stop working, nothing more of it is recorded."""
        return self._over.is_set()

    @property
    def cancel_reason(self) -> str | None:
        """ "cancelled", "lease_lost", "shutdown" or "unauthorized"; None while the attempt goes on."""
        return self._reason

    def check(self) -> None:
        """Raise JobCancelled if the attempt is over: call it between steps."""
        if self._over.is_set():
            raise JobCancelled(self.id, self._reason or "cancelled")

    def progress(self, value: Any) -> None:
        """Report progress (a JSON value such as {"percent": 40}); raises JobCancelled once over."""
        self.check()
        encode_json(value)  # not JSON: the handler hears of it here, not the heartbeat
        with self._lock:
            self._pending = value
        self._wake()

    def sleep(self, seconds: float) -> None:
        """Sleep, waking at once (with JobCancelled) if the attempt ends meanwhile."""
        if self._over.wait(seconds):
            self.check()

    # --- for the worker ---------------------------------------------------------------------------

    def _end(self, reason: str) -> bool:
        """Mark the attempt over; False if it already was."""
        with self._lock:
            if self._reason is not None:
                return False
            self._reason = reason
        self._over.set()
        self._wake()
        return True

    def _take_progress(self) -> Any | Unset:
        with self._lock:
            value, self._pending = self._pending, UNSET
            return value

    def _restore_progress(self, value: Any | Unset) -> None:
        with self._lock:
            if self._pending is UNSET:
                self._pending = value

    def _has_progress(self) -> bool:
        with self._lock:
            return self._pending is not UNSET

    def _take_outcome(self) -> bool:
        """True once: whoever gets it sends the attempt's outcome."""
        with self._lock:
            if self._outcome_taken:
                return False
            self._outcome_taken = True
            return True


def describe_failure(error: BaseException) -> str:
    """A failure's message for the server: the exception, then the end of its traceback."""
    head = f"{type(error).__name__}: {error}".strip()[: MAX_ERROR_CHARS // 2]
    frames = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    room = MAX_ERROR_CHARS - len(head) - 3
    if len(frames) > room:
        frames = "…" + frames[-(room - 1) :]
    return f"{head}\n{frames}" if frames else head
