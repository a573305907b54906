"""Client: the HTTP API, synchronously (httpx.Client underneath; safe to share between threads)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
from ._protocol import UNSET, Unset
from .models import ClaimedJob, Job, JobPage, NewJob, Schedule, WebhookAttempt, WebhookEndpoint
from .sse import EventStream, _StreamState

__all__ = ["Client", "Schedules", "Webhooks"]

T = TypeVar("T")


class Client:
    """A Conveyor server, as one API key sees it.

    `customer` names the customer whose routes (`/api/queue/{customer}/…`: enqueue, listing,
    events, schedules, webhooks) the client uses. Keys are random and the server has no call that
    says whose a key is, so it must be given — here or as `CONVEYOR_CUSTOMER` — for those calls;
    the others (get, wait, cancel, and the whole worker side) need no customer.

    `max_retries`: how many times a request is sent again after a 429 (once Retry-After has
    passed), or after a network error or 502/503/504 when that is safe (GET, PUT, PATCH, DELETE,
    and an enqueue with an idempotency key).

    `http_client`: an httpx client of your own (proxies, TLS settings, event hooks…); the
    client sends absolute URLs and its own headers through it, and leaves it open."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        customer: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float | timedelta = protocol.DEFAULT_TIMEOUT,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._settings = protocol.Settings.make(url, api_key, customer, max_retries, timeout)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            timeout=httpx.Timeout(self._settings.timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self.schedules = Schedules(self)
        self.webhooks = Webhooks(self)

    @property
    def url(self) -> str:
        return self._settings.url

    @property
    def customer(self) -> str | None:
        return self._settings.customer

    def for_customer(self, customer: str) -> Client:
        """The same client acting for another customer (admin keys). It shares this client's
        connections: close this one, not it."""
        other = copy.copy(self)
        other._owns_http = False
        other._settings = copy.copy(self._settings)
        other._settings.customer = customer
        other.schedules, other.webhooks = Schedules(other), Webhooks(other)
        return other

    def close(self) -> None:
        """Close the connections (not those of an http_client passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _require_customer(self, what: str) -> str:
        """The customer of the routes that name one: the one given, else the key's own (asked once)."""
        if self._settings.customer:
            return self._settings.customer
        answer = self._send(protocol.whoami())
        return self._settings.known_customer(what, answer)

    def _send(self, call: protocol.Call[T], *, max_retries: int | None = None) -> T:
        retries = self._settings.max_retries if max_retries is None else max_retries
        timeout = httpx.Timeout(self._settings.timeout, read=max(call.timeout or 0.0, self._settings.timeout))
        headers = {**self._settings.headers(), **call.headers}
        if call.has_body:
            headers["Content-Type"] = "application/json"
        content = call.content()
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    self._settings.url + call.path,
                    params=call.params,
                    content=content,
                    headers=headers,
                    timeout=timeout,
                )
            except httpx.TransportError as error:
                time.sleep(protocol.retry_after_error(call, attempt, retries, error))
                attempt += 1
                continue
            delay = protocol.retry_after_answer(call, attempt, retries, response)
            if delay is None:
                return protocol.read_answer(call, response)
            response.close()
            time.sleep(delay)
            attempt += 1

    # --- producing ------------------------------------------------------------------------------

    def enqueue(
        self,
        queue: str,
        type: str,
        payload: Any = None,
        *,
        priority: int | None = None,
        delay: float | timedelta | None = None,
        run_at: datetime | None = None,
        max_attempts: int | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Enqueue one job; `payload` is any JSON value. With an `idempotency_key` the same
        request answers the job it made before (24 h), so it is retried after a network error."""
        body = protocol.job_body(
            queue, type, payload, priority=priority, delay=delay, run_at=run_at, max_attempts=max_attempts
        )
        return self._send(protocol.enqueue(self._require_customer("enqueue"), body, idempotency_key))

    def enqueue_many(self, jobs: Iterable[NewJob | Mapping[str, Any]]) -> list[Job]:
        """Enqueue up to 1,000 jobs in one transaction: all of them, or (an error) none."""
        return self._send(protocol.enqueue_many(self._require_customer("enqueue_many"), jobs))

    def get(self, job_id: str) -> Job:
        return self._send(protocol.get(job_id))

    def wait(self, job_id: str, timeout: float | timedelta | None = None) -> Job:
        """The job once it is finished (completed, dead or cancelled), or as it is when `timeout`
        seconds have passed (None: wait as long as it takes). Uses the server's `?wait=`."""
        deadline = None if timeout is None else time.monotonic() + protocol.seconds(timeout)
        while True:
            remaining = protocol.MAX_SERVER_WAIT if deadline is None else max(0.0, deadline - time.monotonic())
            job = self._send(protocol.get(job_id, wait=min(remaining, protocol.MAX_SERVER_WAIT)))
            if job.finished or (deadline is not None and time.monotonic() >= deadline):
                return job

    def cancel(self, job_id: str) -> Job:
        """Cancel a job that has not finished (a running one's worker is told to stop)."""
        return self._send(protocol.cancel(job_id))

    def list_jobs(
        self,
        *,
        queue: str | None = None,
        state: str | Sequence[str] | None = None,
        type: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> JobPage:
        """One page of the customer's jobs, newest first, with counts per queue and state."""
        customer = self._require_customer("list_jobs")
        return self._send(protocol.list_jobs(customer, queue=queue, state=state, type=type, limit=limit, cursor=cursor))

    def jobs(
        self,
        *,
        queue: str | None = None,
        state: str | Sequence[str] | None = None,
        type: str | None = None,
        page_size: int = 100,
    ) -> Iterator[Job]:
        """Every job of the customer matching the filters, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = self.list_jobs(queue=queue, state=state, type=type, limit=page_size, cursor=cursor)
            yield from page.jobs
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def events(
        self,
        *,
        queue: str | Sequence[str] | None = None,
        type: str | Sequence[str] | None = None,
        job: str | Sequence[str] | None = None,
        last_event_id: str | None = None,
        reconnect: bool = True,
        max_reconnects: int | None = None,
        all_customers: bool = False,
    ) -> EventStream:
        """The customer's job events as they happen (filters repeat: several queues, kinds such as
        "job.completed", job ids). After a dropped connection the stream reconnects with
        Last-Event-ID and first gets what it missed. `all_customers`: every customer's (admin keys)."""
        customer = None if all_customers else self._require_customer("events")
        state = _StreamState(
            self._settings,
            self._settings.url + protocol.events_path(customer),
            protocol.event_params(queue, type, job),
            last_event_id,
            reconnect,
            max_reconnects,
        )
        return EventStream(self._http, state)

    # --- the lease protocol (what Worker uses) --------------------------------------------------

    def claim(
        self,
        queues: Sequence[str],
        *,
        max: int = 1,
        lease_seconds: float = 30,
        wait_seconds: float = 0,
        worker_id: str | None = None,
    ) -> list[ClaimedJob]:
        """Lease up to `max` jobs of these queues, waiting up to `wait_seconds` (≤ 60) for one."""
        return self._send(
            protocol.claim(queues, max=max, lease_seconds=lease_seconds, wait_seconds=wait_seconds, worker_id=worker_id)
        )

    def heartbeat(
        self, job_id: str, lease_token: str, *, lease_seconds: float | None = None, progress: Any | Unset = UNSET
    ) -> Job:
        """Extend a lease (and report progress). 409 Conflict: the attempt is over (`reason`)."""
        return self._send(protocol.heartbeat(job_id, lease_token, lease_seconds, progress), max_retries=0)

    def complete(self, job_id: str, lease_token: str, result: Any = None) -> Job:
        return self._send(protocol.complete(job_id, lease_token, result), max_retries=0)

    def fail(self, job_id: str, lease_token: str, error: str, *, retryable: bool = True) -> Job:
        return self._send(protocol.fail(job_id, lease_token, error, retryable), max_retries=0)


class Schedules:
    """`client.schedules`: the customer's recurring jobs."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _customer(self) -> str:
        return self._client._require_customer("schedules")

    def create(
        self,
        name: str,
        *,
        cron: str,
        queue: str,
        type: str,
        payload: Any = None,
        timezone: str | None = None,
        missed: str | None = None,
        priority: int | None = None,
        max_attempts: int | None = None,
    ) -> Schedule:
        body = protocol.schedule_body(
            name,
            cron=cron,
            queue=queue,
            type=type,
            payload=payload,
            timezone=timezone,
            missed=missed,
            priority=priority,
            max_attempts=max_attempts,
        )
        return self._client._send(protocol.schedule_create(self._customer(), body))

    def get(self, name: str) -> Schedule:
        return self._client._send(protocol.schedule_get(self._customer(), name))

    def update(
        self,
        name: str,
        *,
        cron: str | Unset = UNSET,
        timezone: str | Unset = UNSET,
        missed: str | Unset = UNSET,
        queue: str | Unset = UNSET,
        type: str | Unset = UNSET,
        payload: Any | Unset = UNSET,
        priority: int | Unset = UNSET,
        max_attempts: int | Unset = UNSET,
    ) -> Schedule:
        """Change what is given; the rest stays. A new cron or zone starts the ticks from now."""
        changes = dict(
            cron=cron,
            timezone=timezone,
            missed=missed,
            queue=queue,
            type=type,
            payload=payload,
            priority=priority,
            max_attempts=max_attempts,
        )
        return self._client._send(protocol.schedule_update(self._customer(), name, changes))

    def delete(self, name: str) -> None:
        self._client._send(protocol.schedule_delete(self._customer(), name))

    def pause(self, name: str) -> Schedule:
        return self._client._send(protocol.schedule_pause(self._customer(), name, True))

    def resume(self, name: str) -> Schedule:
        return self._client._send(protocol.schedule_pause(self._customer(), name, False))

    def run(self, name: str) -> Job:
        """Make the schedule's job now (its ticks are unchanged)."""
        return self._client._send(protocol.schedule_run(self._customer(), name))

    # Last in the class: its name would shadow the builtin in the annotations after it.
    def list(self) -> list[Schedule]:
        return self._client._send(protocol.schedule_list(self._customer()))


class Webhooks:
    """`client.webhooks`: the customer's webhook endpoints (check deliveries with `verify_webhook`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _customer(self) -> str:
        return self._client._require_customer("webhooks")

    def create(
        self,
        url: str,
        *,
        events: Sequence[str] | None = None,
        queue: str | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Register an endpoint; the answer's `secret` ("whsec_…") is shown this once."""
        body = protocol.webhook_body(url, events=events, queue=queue, description=description)
        return self._client._send(protocol.webhook_create(self._customer(), body))

    def get(self, id: str) -> WebhookEndpoint:
        return self._client._send(protocol.webhook_get(self._customer(), id))

    def update(
        self,
        id: str,
        *,
        url: str | Unset = UNSET,
        events: Sequence[str] | Unset = UNSET,
        queue: str | None | Unset = UNSET,
        description: str | Unset = UNSET,
        enabled: bool | Unset = UNSET,
    ) -> WebhookEndpoint:
        """Change what is given (`queue=None` removes the queue filter; `enabled=True` re-enables)."""
        changes = dict(
            url=url,
            events=list(events) if not isinstance(events, Unset) else events,
            queue=queue,
            description=description,
            enabled=enabled,
        )
        return self._client._send(protocol.webhook_update(self._customer(), id, changes))

    def delete(self, id: str) -> None:
        self._client._send(protocol.webhook_delete(self._customer(), id))

    def rotate_secret(self, id: str) -> WebhookEndpoint:
        """A new secret (in the answer, once); the old one also signs for 24 hours."""
        return self._client._send(protocol.webhook_rotate_secret(self._customer(), id))

    def attempts(self, id: str) -> list[WebhookAttempt]:
        """The newest 100 delivery attempts, newest first."""
        return self._client._send(protocol.webhook_attempts(self._customer(), id))

    # Last in the class: its name would shadow the builtin in the annotations after it.
    def list(self) -> list[WebhookEndpoint]:
        return self._client._send(protocol.webhook_list(self._customer()))
