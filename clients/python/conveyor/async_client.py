"""AsyncClient: the HTTP API for asyncio (httpx.AsyncClient underneath); the same methods as Client."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _protocol as protocol
from ._protocol import UNSET, Unset
from .models import ClaimedJob, Job, JobPage, NewJob, Schedule, WebhookAttempt, WebhookEndpoint
from .sse import AsyncEventStream, _StreamState

__all__ = ["AsyncClient", "AsyncSchedules", "AsyncWebhooks"]

T = TypeVar("T")


class AsyncClient:
    """A Conveyor server, as one API key sees it — for asyncio: every call is awaited, `jobs()`
    and `events()` are `async for` iterators. Otherwise as Client.

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
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._settings = protocol.Settings.make(url, api_key, customer, max_retries, timeout)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(self._settings.timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self.schedules = AsyncSchedules(self)
        self.webhooks = AsyncWebhooks(self)

    @property
    def url(self) -> str:
        return self._settings.url

    @property
    def customer(self) -> str | None:
        return self._settings.customer

    def for_customer(self, customer: str) -> AsyncClient:
        """The same client acting for another customer (admin keys). It shares this client's
        connections: close this one, not it."""
        other = copy.copy(self)
        other._owns_http = False
        other._settings = copy.copy(self._settings)
        other._settings.customer = customer
        other.schedules, other.webhooks = AsyncSchedules(other), AsyncWebhooks(other)
        return other

    async def aclose(self) -> None:
        """Close the connections (not those of an http_client passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _require_customer(self, what: str) -> str:
        """The customer of the routes that name one: the one given, else the key's own (asked once)."""
        if self._settings.customer:
            return self._settings.customer
        answer = await self._send(protocol.whoami())
        return self._settings.known_customer(what, answer)

    async def _send(self, call: protocol.Call[T], *, max_retries: int | None = None) -> T:
        retries = self._settings.max_retries if max_retries is None else max_retries
        timeout = httpx.Timeout(self._settings.timeout, read=max(call.timeout or 0.0, self._settings.timeout))
        headers = {**self._settings.headers(), **call.headers}
        if call.has_body:
            headers["Content-Type"] = "application/json"
        content = call.content()
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    call.method,
                    self._settings.url + call.path,
                    params=call.params,
                    content=content,
                    headers=headers,
                    timeout=timeout,
                )
            except httpx.TransportError as error:
                await asyncio.sleep(protocol.retry_after_error(call, attempt, retries, error))
                attempt += 1
                continue
            delay = protocol.retry_after_answer(call, attempt, retries, response)
            if delay is None:
                return protocol.read_answer(call, response)
            await response.aclose()
            await asyncio.sleep(delay)
            attempt += 1

    # --- producing ------------------------------------------------------------------------------

    async def enqueue(
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
        return await self._send(protocol.enqueue(await self._require_customer("enqueue"), body, idempotency_key))

    async def enqueue_many(self, jobs: Iterable[NewJob | Mapping[str, Any]]) -> list[Job]:
        """Enqueue up to 1,000 jobs in one transaction: all of them, or (an error) none."""
        return await self._send(protocol.enqueue_many(await self._require_customer("enqueue_many"), jobs))

    async def get(self, job_id: str) -> Job:
        return await self._send(protocol.get(job_id))

    async def wait(self, job_id: str, timeout: float | timedelta | None = None) -> Job:
        """The job once it is finished (completed, dead or cancelled), or as it is when `timeout`
        seconds have passed (None: wait as long as it takes). Uses the server's `?wait=`."""
        deadline = None if timeout is None else time.monotonic() + protocol.seconds(timeout)
        while True:
            remaining = protocol.MAX_SERVER_WAIT if deadline is None else max(0.0, deadline - time.monotonic())
            job = await self._send(protocol.get(job_id, wait=min(remaining, protocol.MAX_SERVER_WAIT)))
            if job.finished or (deadline is not None and time.monotonic() >= deadline):
                return job

    async def cancel(self, job_id: str) -> Job:
        """Cancel a job that has not finished (a running one's worker is told to stop)."""
        return await self._send(protocol.cancel(job_id))

    async def list_jobs(
        self,
        *,
        queue: str | None = None,
        state: str | Sequence[str] | None = None,
        type: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> JobPage:
        """One page of the customer's jobs, newest first, with counts per queue and state."""
        customer = await self._require_customer("list_jobs")
        return await self._send(
            protocol.list_jobs(customer, queue=queue, state=state, type=type, limit=limit, cursor=cursor)
        )

    async def jobs(
        self,
        *,
        queue: str | None = None,
        state: str | Sequence[str] | None = None,
        type: str | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[Job]:
        """Every job of the customer matching the filters, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = await self.list_jobs(queue=queue, state=state, type=type, limit=page_size, cursor=cursor)
            for job in page.jobs:
                yield job
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
    ) -> AsyncEventStream:
        """The customer's job events as they happen (filters repeat: several queues, kinds such as
        "job.completed", job ids). After a dropped connection the stream reconnects with
        Last-Event-ID and first gets what it missed. `all_customers`: every customer's (admin keys)."""
        base = self._settings.url

        async def path() -> str:
            return base + protocol.events_path(None if all_customers else await self._require_customer("events"))

        known = all_customers or self._settings.customer is not None
        state = _StreamState(
            self._settings,
            base + protocol.events_path(None if all_customers else self._settings.customer),
            protocol.event_params(queue, type, job),
            last_event_id,
            reconnect,
            max_reconnects,
        )
        return AsyncEventStream(self._http, state, None if known else path)

    # --- the lease protocol (what Worker uses) --------------------------------------------------

    async def claim(
        self,
        queues: Sequence[str],
        *,
        max: int = 1,
        lease_seconds: float = 30,
        wait_seconds: float = 0,
        worker_id: str | None = None,
    ) -> list[ClaimedJob]:
        """Lease up to `max` jobs of these queues, waiting up to `wait_seconds` (≤ 60) for one."""
        return await self._send(
            protocol.claim(queues, max=max, lease_seconds=lease_seconds, wait_seconds=wait_seconds, worker_id=worker_id)
        )

    async def heartbeat(
        self, job_id: str, lease_token: str, *, lease_seconds: float | None = None, progress: Any | Unset = UNSET
    ) -> Job:
        """Extend a lease (and report progress). 409 Conflict: the attempt is over (`reason`)."""
        return await self._send(protocol.heartbeat(job_id, lease_token, lease_seconds, progress), max_retries=0)

    async def complete(self, job_id: str, lease_token: str, result: Any = None) -> Job:
        return await self._send(protocol.complete(job_id, lease_token, result), max_retries=0)

    async def fail(self, job_id: str, lease_token: str, error: str, *, retryable: bool = True) -> Job:
        return await self._send(protocol.fail(job_id, lease_token, error, retryable), max_retries=0)


class AsyncSchedules:
    """`client.schedules` (async): the customer's recurring jobs."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _customer(self) -> str:
        return await self._client._require_customer("schedules")

    async def create(
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
        return await self._client._send(protocol.schedule_create(await self._customer(), body))

    async def get(self, name: str) -> Schedule:
        return await self._client._send(protocol.schedule_get(await self._customer(), name))

    async def update(
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
        return await self._client._send(protocol.schedule_update(await self._customer(), name, changes))

    async def delete(self, name: str) -> None:
        await self._client._send(protocol.schedule_delete(await self._customer(), name))

    async def pause(self, name: str) -> Schedule:
        return await self._client._send(protocol.schedule_pause(await self._customer(), name, True))

    async def resume(self, name: str) -> Schedule:
        return await self._client._send(protocol.schedule_pause(await self._customer(), name, False))

    async def run(self, name: str) -> Job:
        """Make the schedule's job now (its ticks are unchanged)."""
        return await self._client._send(protocol.schedule_run(await self._customer(), name))

    # Last in the class: its name would shadow the builtin in the annotations after it.
    async def list(self) -> list[Schedule]:
        return await self._client._send(protocol.schedule_list(await self._customer()))


class AsyncWebhooks:
    """`client.webhooks` (async): the customer's webhook endpoints (check deliveries with `verify_webhook`)."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _customer(self) -> str:
        return await self._client._require_customer("webhooks")

    async def create(
        self,
        url: str,
        *,
        events: Sequence[str] | None = None,
        queue: str | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Register an endpoint; the answer's `secret` ("whsec_…") is shown this once."""
        body = protocol.webhook_body(url, events=events, queue=queue, description=description)
        return await self._client._send(protocol.webhook_create(await self._customer(), body))

    async def get(self, id: str) -> WebhookEndpoint:
        return await self._client._send(protocol.webhook_get(await self._customer(), id))

    async def update(
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
        return await self._client._send(protocol.webhook_update(await self._customer(), id, changes))

    async def delete(self, id: str) -> None:
        await self._client._send(protocol.webhook_delete(await self._customer(), id))

    async def rotate_secret(self, id: str) -> WebhookEndpoint:
        """A new secret (in the answer, once); the old one also signs for 24 hours."""
        return await self._client._send(protocol.webhook_rotate_secret(await self._customer(), id))

    async def attempts(self, id: str) -> list[WebhookAttempt]:
        """The newest 100 delivery attempts, newest first."""
        return await self._client._send(protocol.webhook_attempts(await self._customer(), id))

    # Last in the class: its name would shadow the builtin in the annotations after it.
    async def list(self) -> list[WebhookEndpoint]:
        return await self._client._send(protocol.webhook_list(await self._customer()))
