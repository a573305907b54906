"""Test helpers: polling with a deadline, running a worker beside a test, collecting events."""

from __future__ import annotations

import queue
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from conveyor import Event, EventStream, Worker

T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Poll `check` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        time.sleep(interval)


def make_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "cvk_" + "".join(secrets.choice(alphabet) for _ in range(32))


def queue_name() -> str:
    return "q" + secrets.token_hex(4)


class Running:
    """A Worker running in a thread; `error` is what run() raised."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except BaseException as error:  # noqa: BLE001
            self.error = error


@contextmanager
def running(worker: Worker, stop_timeout: float = 5.0) -> Iterator[Running]:
    handle = Running(worker)
    handle.thread.start()
    try:
        yield handle
    finally:
        worker.stop(stop_timeout)
        handle.thread.join(60)
        assert not handle.thread.is_alive(), "the worker did not stop"


class Collector:
    """Reads an event stream in a thread, so that a test can wait for events with a deadline."""

    def __init__(self, stream: EventStream) -> None:
        self.stream = stream
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event)
        except Exception:  # noqa: BLE001 - closed under it at the end of a test
            pass

    def wait_for(self, match: Callable[[Event], bool], timeout: float = 30.0) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no matching event within {timeout} s; saw {[(e.event, e.job_id) for e in self.seen]}"
                )
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(event)
            if match(event):
                return event


def with_spy(target: Any, name: str, calls: list[tuple[Any, ...]]) -> None:
    """Record the arguments of every call of `target.name` (then call through)."""
    original = getattr(target, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    setattr(target, name, spy)
