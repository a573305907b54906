"""The HTTP API's calls, shared by Client and AsyncClient: what to send, how to read the answer,
and when a failed request may be sent again. Nothing here does I/O."""

from __future__ import annotations

import enum
import json
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from .errors import CustomerRequired, NetworkError, error_for, parse_retry_after
from .models import (
    ClaimedJob,
    Job,
    JobPage,
    NewJob,
    Schedule,
    WebhookAttempt,
    WebhookEndpoint,
    format_time,
)

T = TypeVar("T")
#: Query parameters, in order (a name may repeat).
Params = list[tuple[str, str | int | float | bool | None]]

USER_AGENT = "conveyor-python/0.1.0"
DEFAULT_TIMEOUT = 30.0
#: The most the server waits in one long poll (`?wait=`, a claim's `wait_seconds`).
MAX_SERVER_WAIT = 60.0
#: Added to a long poll's wait for the request's own timeout.
LONG_POLL_MARGIN = 15.0


class Unset(enum.Enum):
    """The default of an update's arguments: left out of the PATCH, so the server keeps it."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


def encode_json(value: Any) -> bytes:
    """Strict JSON (RFC 8259, as the server parses it): NaN and infinities are refused here."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _seg(value: str) -> str:
    """One path segment, escaped."""
    return quote(str(value), safe="")


def _none(_: Any) -> None:
    return None


@dataclass
class Call(Generic[T]):
    """One request and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Params = field(default_factory=list)
    body: Any = None
    has_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    #: Whether sending it twice does what sending it once does, so a dropped answer may be retried.
    idempotent: bool = False
    #: The request's read timeout when it differs from the client's (long polls).
    timeout: float | None = None

    def content(self) -> bytes | None:
        return encode_json(self.body) if self.has_body else None


@dataclass
class Settings:
    """What a client was made with."""

    url: str
    api_key: str
    customer: str | None
    max_retries: int
    timeout: float

    @classmethod
    def make(
        cls, url: str, api_key: str | None, customer: str | None, max_retries: int, timeout: float | timedelta
    ) -> Settings:
        key = api_key if api_key is not None else os.environ.get("CONVEYOR_API_KEY")
        if not key:
            raise ValueError("an API key is needed: pass api_key= or set CONVEYOR_API_KEY")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        named = customer if customer is not None else os.environ.get("CONVEYOR_CUSTOMER") or None
        return cls(url.rstrip("/"), key, named, max_retries, seconds(timeout))

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def known_customer(self, what: str, answer: Mapping[str, Any] | None) -> str:
        """The customer a call's route names: the one the client was given, else the key's own
        (`answer`: the server's `GET /api/me`, asked once). An admin key acts for any customer,
        so it must be told which."""
        if self.customer:
            return self.customer
        named = (answer or {}).get("customer")
        if isinstance(named, str) and named:
            self.customer = named
            return named
        raise CustomerRequired(
            f"{what} needs the customer: its route is /api/queue/{{customer}}/…, and this is an admin key, "
            "which acts for any customer. Use client.for_customer('acme'), pass customer='acme', or set "
            "CONVEYOR_CUSTOMER."
        )


def whoami() -> Call[dict[str, Any]]:
    """Who the key speaks for: `{"customer", "admin", "key_id"}`."""
    return Call("GET", "/api/me", lambda answer: dict(answer), idempotent=True)


# --- reading answers ----------------------------------------------------------------------------


def read_answer(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer of a 2xx, or the APIError of anything else."""
    if response.status_code >= 400:
        raise error_from(call.method, response)
    if response.status_code == 204 or not response.content:
        return call.parse(None)
    return call.parse(response.json())


def error_from(method: str, response: httpx.Response) -> Exception:
    problem: Any = None
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"title": response.reason_phrase, "detail": response.text[:500]}
    return error_for(
        response.status_code, problem, method=method, url=str(response.request.url), headers=dict(response.headers)
    )


# --- retrying -----------------------------------------------------------------------------------

#: Failures where the request surely never reached the server: safe to send again, whatever it is.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def backoff(attempt: int) -> float:
    """0.25 s, 0.5 s, 1 s… (at most 8 s), with jitter."""
    return float(min(8.0, 0.25 * 2**attempt) * random.uniform(0.8, 1.2))


def retry_after_error(call: Call[Any], attempt: int, max_retries: int, error: httpx.TransportError) -> float:
    """How long to wait before sending `call` again after a transport error; raises when it may not be."""
    if attempt < max_retries and (call.idempotent or isinstance(error, _NOT_SENT)):
        return backoff(attempt)
    raise NetworkError(f"{call.method} {call.path}: {type(error).__name__}: {error}") from error


def retry_after_answer(call: Call[Any], attempt: int, max_retries: int, response: httpx.Response) -> float | None:
    """How long to wait before sending `call` again after this answer; None: do not."""
    if attempt >= max_retries:
        return None
    if response.status_code == 429:
        # Over the request quota: Retry-After says when. A backlog-quota refusal has none: retrying
        # soon would not help, so it is the caller's to decide.
        return parse_retry_after(response.headers.get("retry-after"))
    if response.status_code in (502, 503, 504) and call.idempotent:
        return max(backoff(attempt), parse_retry_after(response.headers.get("retry-after")) or 0.0)
    return None


# --- the calls ----------------------------------------------------------------------------------


def job_body(
    queue: str,
    type: str,
    payload: Any,
    *,
    priority: int | None = None,
    delay: float | timedelta | None = None,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
) -> dict[str, Any]:
    if delay is not None and run_at is not None:
        raise ValueError("give delay or run_at, not both")
    body: dict[str, Any] = {"queue": queue, "type": type, "payload": payload}
    if priority is not None:
        body["priority"] = priority
    if delay is not None:
        body["delay_seconds"] = seconds(delay)
    if run_at is not None:
        body["run_at"] = format_time(run_at)
    if max_attempts is not None:
        body["max_attempts"] = max_attempts
    return body


def new_job_body(item: NewJob | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, NewJob):
        return job_body(
            item.queue,
            item.type,
            item.payload,
            priority=item.priority,
            delay=item.delay,
            run_at=item.run_at,
            max_attempts=item.max_attempts,
        )
    known = {"queue", "type", "payload", "priority", "delay", "run_at", "max_attempts"}
    unknown = set(item) - known
    if unknown:
        raise ValueError(f"unknown job member(s) {sorted(unknown)}; a job takes {sorted(known)}")
    return job_body(
        item["queue"],
        item["type"],
        item.get("payload"),
        priority=item.get("priority"),
        delay=item.get("delay"),
        run_at=item.get("run_at"),
        max_attempts=item.get("max_attempts"),
    )


def enqueue(customer: str, body: dict[str, Any], idempotency_key: str | None) -> Call[Job]:
    headers = {}
    if idempotency_key is not None:
        # A structured-field string: the server strips the quotes (and only them).
        headers["Idempotency-Key"] = f'"{idempotency_key}"'
    return Call(
        "POST",
        f"/api/queue/{_seg(customer)}",
        Job.from_dict,
        body=body,
        has_body=True,
        headers=headers,
        idempotent=idempotency_key is not None,
    )


def enqueue_many(customer: str, jobs: Iterable[NewJob | Mapping[str, Any]]) -> Call[list[Job]]:
    bodies = [new_job_body(j) for j in jobs]
    return Call(
        "POST",
        f"/api/queue/{_seg(customer)}/batch",
        lambda data: [Job.from_dict(j) for j in data["jobs"]],
        body={"jobs": bodies},
        has_body=True,
    )


def get(job_id: str, wait: float | None = None) -> Call[Job]:
    params: Params = [] if wait is None else [("wait", f"{max(0.0, min(wait, MAX_SERVER_WAIT)):.3f}")]
    timeout = None if wait is None else min(wait, MAX_SERVER_WAIT) + LONG_POLL_MARGIN
    return Call("GET", f"/api/jobs/{_seg(job_id)}", Job.from_dict, params=params, idempotent=True, timeout=timeout)


def cancel(job_id: str) -> Call[Job]:
    return Call("POST", f"/api/jobs/{_seg(job_id)}/cancel", Job.from_dict)


def _many(name: str, value: str | Sequence[str] | None) -> Params:
    if value is None:
        return []
    if isinstance(value, str):
        return [(name, value)]
    return [(name, v) for v in value]


def list_jobs(
    customer: str,
    *,
    queue: str | None,
    state: str | Sequence[str] | None,
    type: str | None,
    limit: int,
    cursor: str | None,
) -> Call[JobPage]:
    params = _many("state", state) + _many("queue", queue) + _many("type", type) + [("limit", str(limit))]
    if cursor:
        params.append(("cursor", cursor))
    return Call("GET", f"/api/queue/{_seg(customer)}", JobPage.from_dict, params=params, idempotent=True)


def event_params(
    queue: str | Sequence[str] | None, type: str | Sequence[str] | None, job: str | Sequence[str] | None
) -> Params:
    return _many("queue", queue) + _many("type", type) + _many("job", job)


def events_path(customer: str | None) -> str:
    return "/api/events" if customer is None else f"/api/queue/{_seg(customer)}/events"


# Lease protocol.


def claim(
    queues: Sequence[str], *, max: int, lease_seconds: float, wait_seconds: float, worker_id: str | None
) -> Call[list[ClaimedJob]]:
    body: dict[str, Any] = {
        "queues": list(queues),
        "max": max,
        "lease_seconds": lease_seconds,
        "wait_seconds": min(wait_seconds, MAX_SERVER_WAIT),
    }
    if worker_id is not None:
        body["worker_id"] = worker_id
    return Call(
        "POST",
        "/api/workers/claim",
        lambda data: [ClaimedJob.from_dict(j) for j in data["jobs"]],
        body=body,
        has_body=True,
        timeout=min(wait_seconds, MAX_SERVER_WAIT) + LONG_POLL_MARGIN,
    )


def heartbeat(job_id: str, lease_token: str, lease_seconds: float | None, progress: Any | Unset) -> Call[Job]:
    body: dict[str, Any] = {"lease_token": lease_token}
    if lease_seconds is not None:
        body["lease_seconds"] = lease_seconds
    if progress is not UNSET:
        body["progress"] = progress
    return Call("POST", f"/api/jobs/{_seg(job_id)}/heartbeat", Job.from_dict, body=body, has_body=True)


def complete(job_id: str, lease_token: str, result: Any) -> Call[Job]:
    body: dict[str, Any] = {"lease_token": lease_token}
    if result is not None:
        body["result"] = result
    return Call("POST", f"/api/jobs/{_seg(job_id)}/complete", Job.from_dict, body=body, has_body=True)


def fail(job_id: str, lease_token: str, error: str, retryable: bool) -> Call[Job]:
    body = {"lease_token": lease_token, "error": error, "retryable": retryable}
    return Call("POST", f"/api/jobs/{_seg(job_id)}/fail", Job.from_dict, body=body, has_body=True)


# Schedules.


def _changes(**members: Any) -> dict[str, Any]:
    return {k: v for k, v in members.items() if v is not UNSET}


def _schedules(customer: str) -> str:
    return f"/api/queue/{_seg(customer)}/schedules"


def schedule_create(customer: str, body: dict[str, Any]) -> Call[Schedule]:
    return Call("POST", _schedules(customer), Schedule.from_dict, body=body, has_body=True)


def schedule_list(customer: str) -> Call[list[Schedule]]:
    return Call(
        "GET",
        _schedules(customer),
        lambda data: [Schedule.from_dict(s) for s in data["schedules"]],
        idempotent=True,
    )


def schedule_get(customer: str, name: str) -> Call[Schedule]:
    return Call("GET", f"{_schedules(customer)}/{_seg(name)}", Schedule.from_dict, idempotent=True)


def schedule_update(customer: str, name: str, changes: dict[str, Any]) -> Call[Schedule]:
    return Call(
        "PATCH",
        f"{_schedules(customer)}/{_seg(name)}",
        Schedule.from_dict,
        body=_changes(**changes),
        has_body=True,
        idempotent=True,
    )


def schedule_delete(customer: str, name: str) -> Call[None]:
    return Call("DELETE", f"{_schedules(customer)}/{_seg(name)}", _none, idempotent=True)


def schedule_pause(customer: str, name: str, paused: bool) -> Call[Schedule]:
    method = "PUT" if paused else "DELETE"
    return Call(method, f"{_schedules(customer)}/{_seg(name)}/pause", Schedule.from_dict, idempotent=True)


def schedule_run(customer: str, name: str) -> Call[Job]:
    return Call("POST", f"{_schedules(customer)}/{_seg(name)}/run", Job.from_dict)


# Webhook endpoints.


def _webhooks(customer: str) -> str:
    return f"/api/queue/{_seg(customer)}/webhooks"


def webhook_create(customer: str, body: dict[str, Any]) -> Call[WebhookEndpoint]:
    return Call("POST", _webhooks(customer), WebhookEndpoint.from_dict, body=body, has_body=True)


def webhook_list(customer: str) -> Call[list[WebhookEndpoint]]:
    return Call(
        "GET",
        _webhooks(customer),
        lambda data: [WebhookEndpoint.from_dict(w) for w in data["webhooks"]],
        idempotent=True,
    )


def webhook_get(customer: str, id: str) -> Call[WebhookEndpoint]:
    return Call("GET", f"{_webhooks(customer)}/{_seg(id)}", WebhookEndpoint.from_dict, idempotent=True)


def webhook_update(customer: str, id: str, changes: dict[str, Any]) -> Call[WebhookEndpoint]:
    return Call(
        "PATCH",
        f"{_webhooks(customer)}/{_seg(id)}",
        WebhookEndpoint.from_dict,
        body=_changes(**changes),
        has_body=True,
        idempotent=True,
    )


def webhook_delete(customer: str, id: str) -> Call[None]:
    return Call("DELETE", f"{_webhooks(customer)}/{_seg(id)}", _none, idempotent=True)


def webhook_rotate_secret(customer: str, id: str) -> Call[WebhookEndpoint]:
    return Call("POST", f"{_webhooks(customer)}/{_seg(id)}/rotate-secret", WebhookEndpoint.from_dict)


def webhook_attempts(customer: str, id: str) -> Call[list[WebhookAttempt]]:
    return Call(
        "GET",
        f"{_webhooks(customer)}/{_seg(id)}/attempts",
        lambda data: [WebhookAttempt.from_dict(a) for a in data["attempts"]],
        idempotent=True,
    )


def schedule_body(
    name: str,
    *,
    cron: str,
    queue: str,
    type: str,
    payload: Any,
    timezone: str | None,
    missed: str | None,
    priority: int | None,
    max_attempts: int | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "cron": cron, "queue": queue, "type": type, "payload": payload}
    for key, value in (
        ("timezone", timezone),
        ("missed", missed),
        ("priority", priority),
        ("max_attempts", max_attempts),
    ):
        if value is not None:
            body[key] = value
    return body


def webhook_body(
    url: str, *, events: Sequence[str] | None, queue: str | None, description: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if events is not None:
        body["events"] = list(events)
    if queue is not None:
        body["queue"] = queue
    if description is not None:
        body["description"] = description
    return body
