"""What the server answers, as dataclasses. Each keeps the answer it came from in `raw`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "FINISHED_STATES",
    "AttemptError",
    "Job",
    "ClaimedJob",
    "JobPage",
    "Event",
    "Schedule",
    "ScheduleTick",
    "WebhookEndpoint",
    "WebhookAttempt",
    "NewJob",
]

#: The states a job does not leave: `wait()` returns as soon as a job is in one.
FINISHED_STATES = frozenset({"completed", "dead", "cancelled"})

_FRACTION = re.compile(r"\.(\d+)")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as an aware datetime (Python 3.10's fromisoformat lacks `Z`)."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat (3.10) takes 3 or 6 fraction digits only.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(value: datetime) -> str:
    """A datetime as RFC 3339 UTC; a naive one is taken as local time (as `astimezone` does)."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


@dataclass(frozen=True)
class AttemptError:
    """One failed attempt's error."""

    attempt: int
    message: str
    at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AttemptError:
        return cls(
            attempt=int(data.get("attempt", 0)),
            message=str(data.get("message", "")),
            at=parse_time(data.get("at")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Job:
    """A job as the API shows it. `payload`, `result` and `progress` are decoded JSON."""

    id: str
    customer: str
    queue: str
    type: str
    state: str
    payload: Any
    result: Any
    progress: Any
    attempt: int
    max_attempts: int
    priority: int
    run_at: datetime | None
    created_at: datetime | None
    attempted_at: datetime | None
    finished_at: datetime | None
    lease_expires_at: datetime | None
    worker_id: str | None
    errors: list[AttemptError]
    dead_reason: str | None
    replay_count: int
    idempotency_key: str | None
    schedule: str | None
    scheduled_for: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def finished(self) -> bool:
        """Completed, dead or cancelled: nothing more will happen to it."""
        return self.state in FINISHED_STATES

    @property
    def error(self) -> str | None:
        """The latest attempt's error, if any failed."""
        return self.errors[-1].message if self.errors else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        return cls(
            id=str(data["id"]),
            customer=str(data.get("customer", "")),
            queue=str(data.get("queue", "")),
            type=str(data.get("type", "")),
            state=str(data.get("state", "")),
            payload=data.get("payload"),
            result=data.get("result"),
            progress=data.get("progress"),
            attempt=int(data.get("attempt", 0)),
            max_attempts=int(data.get("max_attempts", 0)),
            priority=int(data.get("priority", 0)),
            run_at=parse_time(data.get("run_at")),
            created_at=parse_time(data.get("created_at")),
            attempted_at=parse_time(data.get("attempted_at")),
            finished_at=parse_time(data.get("finished_at")),
            lease_expires_at=parse_time(data.get("lease_expires_at")),
            worker_id=_str(data, "worker_id"),
            errors=[AttemptError.from_dict(e) for e in data.get("errors") or [] if isinstance(e, Mapping)],
            dead_reason=_str(data, "dead_reason"),
            replay_count=int(data.get("replay_count", 0)),
            idempotency_key=_str(data, "idempotency_key"),
            schedule=_str(data, "schedule"),
            scheduled_for=parse_time(data.get("scheduled_for")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ClaimedJob:
    """A job a claim leased to this worker: the job and the lease token its calls present."""

    job: Job
    lease_token: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimedJob:
        return cls(job=Job.from_dict(data), lease_token=str(data["lease_token"]))


@dataclass(frozen=True)
class JobPage:
    """One page of a customer's jobs (newest first), with counts per queue and state."""

    jobs: list[Job]
    next_cursor: str | None
    counts: dict[str, dict[str, int]]
    paused: list[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobPage:
        return cls(
            jobs=[Job.from_dict(j) for j in data.get("jobs") or []],
            next_cursor=_str(data, "next_cursor"),
            counts={q: dict(c) for q, c in (data.get("counts") or {}).items()},
            paused=list(data.get("paused") or []),
        )


@dataclass(frozen=True)
class Event:
    """A job event from the stream. `event` is its kind ("job.completed"…); a `reset` event
    (the events after the Last-Event-ID given were pruned) has empty job fields and its reason
    in `raw`."""

    id: str
    event: str
    at: datetime | None
    job_id: str
    customer: str
    queue: str
    type: str
    attempt: int
    state: str
    result: Any = None
    progress: Any = None
    error: str | None = None
    run_at: datetime | None = None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, id: str = "", event: str = "") -> Event:
        return cls(
            id=str(data.get("id", id) or id),
            event=str(data.get("event", event) or event),
            at=parse_time(data.get("at")),
            job_id=str(data.get("job_id", "")),
            customer=str(data.get("customer", "")),
            queue=str(data.get("queue", "")),
            type=str(data.get("type", "")),
            attempt=int(data.get("attempt", 0)),
            state=str(data.get("state", "")),
            result=data.get("result"),
            progress=data.get("progress"),
            error=_str(data, "error"),
            run_at=parse_time(data.get("run_at")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ScheduleTick:
    """What became of a schedule's latest tick: its job, or why it made none."""

    at: datetime | None
    job_id: str | None
    job_state: str | None
    skipped: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleTick:
        return cls(
            at=parse_time(data.get("at")),
            job_id=_str(data, "job_id"),
            job_state=_str(data, "job_state"),
            skipped=_str(data, "skipped"),
        )


@dataclass(frozen=True)
class Schedule:
    """A customer's recurring job."""

    name: str
    customer: str
    cron: str
    timezone: str
    missed: str
    description: str
    paused: bool
    queue: str
    type: str
    payload: Any
    priority: int
    max_attempts: int
    next_ticks: list[datetime]
    last_tick: ScheduleTick | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schedule:
        last = data.get("last_tick")
        ticks = [parse_time(t) for t in data.get("next_ticks") or []]
        return cls(
            name=str(data["name"]),
            customer=str(data.get("customer", "")),
            cron=str(data.get("cron", "")),
            timezone=str(data.get("timezone", "UTC")),
            missed=str(data.get("missed", "skip")),
            description=str(data.get("description", "")),
            paused=bool(data.get("paused", False)),
            queue=str(data.get("queue", "")),
            type=str(data.get("type", "")),
            payload=data.get("payload"),
            priority=int(data.get("priority", 0)),
            max_attempts=int(data.get("max_attempts", 0)),
            next_ticks=[t for t in ticks if t is not None],
            last_tick=ScheduleTick.from_dict(last) if isinstance(last, Mapping) else None,
            created_at=parse_time(data.get("created_at")),
            updated_at=parse_time(data.get("updated_at")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class WebhookEndpoint:
    """A webhook endpoint. `secret` is set only in the answers that make or rotate it."""

    id: str
    customer: str
    url: str
    events: list[str]
    queue: str | None
    description: str
    enabled: bool
    created_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    secret: str | None = field(default=None, repr=False)
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebhookEndpoint:
        return cls(
            id=str(data["id"]),
            customer=str(data.get("customer", "")),
            url=str(data.get("url", "")),
            events=[str(e) for e in data.get("events") or []],
            queue=_str(data, "queue"),
            description=str(data.get("description") or ""),
            enabled=bool(data.get("enabled", True)),
            created_at=parse_time(data.get("created_at")),
            disabled_at=parse_time(data.get("disabled_at")),
            disabled_reason=_str(data, "disabled_reason"),
            failing_since=parse_time(data.get("failing_since")),
            previous_secret_expires_at=parse_time(data.get("previous_secret_expires_at")),
            secret=_str(data, "secret"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class WebhookAttempt:
    """One delivery attempt to an endpoint."""

    endpoint_id: str
    job_id: str
    webhook_id: str
    event: str
    attempt: int
    at: datetime | None
    status_code: int | None
    latency_ms: int
    error: str | None
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WebhookAttempt:
        status = data.get("status_code")
        return cls(
            endpoint_id=str(data.get("endpoint_id", "")),
            job_id=str(data.get("job_id", "")),
            webhook_id=str(data.get("webhook_id", "")),
            event=str(data.get("event", "")),
            attempt=int(data.get("attempt", 0)),
            at=parse_time(data.get("at")),
            status_code=None if status is None else int(status),
            latency_ms=int(data.get("latency_ms", 0)),
            error=_str(data, "error"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class NewJob:
    """One job of `enqueue_many` (a mapping with these keys works too)."""

    queue: str
    type: str
    payload: Any = None
    priority: int | None = None
    delay: float | timedelta | None = None
    run_at: datetime | None = None
    max_attempts: int | None = None
