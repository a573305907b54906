"""What the sync and async workers share: handlers by job type, and what an attempt's end sends."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._job import describe_failure
from ._protocol import encode_json
from .errors import NonRetryable

H = TypeVar("H", bound=Callable[..., Any])

#: Progress rides on heartbeats at most this often (the server keeps one report a second).
PROGRESS_EVERY = 1.0


def default_worker_id() -> str:
    return f"python-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: completed with a result, or failed (retryable or not)."""

    complete: bool
    result: Any = None
    error: str = ""
    retryable: bool = True

    @classmethod
    def returned(cls, value: Any) -> Outcome:
        try:
            encode_json(value)
        except (TypeError, ValueError) as error:
            return cls(False, error=f"the handler's result is not JSON: {error}", retryable=False)
        return cls(True, result=value)

    @classmethod
    def raised(cls, error: BaseException) -> Outcome:
        if isinstance(error, NonRetryable):
            return cls(False, error=str(error) or type(error).__name__, retryable=False)
        return cls(False, error=describe_failure(error), retryable=True)

    @classmethod
    def no_handler(cls, job_type: str, known: Sequence[str]) -> Outcome:
        # Retryable: a worker that knows the type may take it later.
        return cls(False, error=f"no handler for job type {job_type!r} (this worker handles {sorted(known)})")

    def describe(self) -> str:
        return "completed" if self.complete else f"failed ({'retryable' if self.retryable else 'non-retryable'})"


class Registry(Generic[H]):
    """Handlers by job type, registered with `@worker.handler("type")`."""

    def __init__(
        self, queues: Sequence[str], concurrency: int, lease_seconds: float, heartbeat_interval: float | None
    ) -> None:
        if isinstance(queues, str):
            raise TypeError("queues is a list of queue names, e.g. queues=['reports']")
        if not queues:
            raise ValueError("a worker needs at least one queue")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not 1 <= lease_seconds <= 86400:
            raise ValueError("lease_seconds must be between 1 and 86400")
        self.queues = list(queues)
        self.concurrency = concurrency
        self.lease_seconds = float(lease_seconds)
        self.heartbeat_interval = float(heartbeat_interval) if heartbeat_interval else self.lease_seconds / 3
        self.handlers: dict[str, H] = {}

    def handler(self, job_type: str) -> Callable[[H], H]:
        """Decorator: the function runs the jobs of this type; what it returns is the result."""

        def register(function: H) -> H:
            self.register(job_type, function)
            return function

        return register

    def register(self, job_type: str, function: H) -> None:
        if job_type in self.handlers:
            raise ValueError(f"a handler for {job_type!r} is registered already")
        self.handlers[job_type] = function


def auth_message(url: str, error: Exception) -> str:
    return (
        f"the server at {url} refused the API key ({error}); the worker stopped: retrying cannot mend "
        "that. Use a key this server made (conveyor keys create --customer NAME, or POST /api/admin/keys)."
    )
