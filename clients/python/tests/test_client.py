"""Producing: enqueue, wait, batches, listing, idempotent retries, rate limits, schedules, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from conftest import Server, Tenant
from helpers import queue_name, running
from tcp_proxy import Proxy

from conveyor import (
    Client,
    Conflict,
    CustomerRequired,
    InvalidRequest,
    NetworkError,
    NewJob,
    NotFound,
    RateLimited,
    Worker,
)


def test_smallest_use_enqueue_worker_wait(server: Server, tenant: Tenant) -> None:
    # As the issue writes it: a customer key, no customer named (the client asks GET /api/me).
    client = Client(server.url, api_key=tenant.key)
    job = client.enqueue("reports", "report.build", {"user": 42})
    assert job.state == "available" and job.payload == {"user": 42} and job.customer == tenant.name

    worker = Worker(client, queues=["reports"], concurrency=4, wait_seconds=1)

    @worker.handler("report.build")
    def build(job):  # type: ignore[no-untyped-def]
        return {"url": f"/reports/{job.payload['user']}.pdf"}

    with running(worker):
        done = client.wait(job.id, timeout=30)
    assert done.state == "completed"
    assert done.result == {"url": "/reports/42.pdf"}
    assert done.attempt == 1 and done.finished
    client.close()


def test_wait_returns_the_job_as_it_is_at_the_timeout(client: Client) -> None:
    job = client.enqueue(queue_name(), "nobody.runs", None)
    waited = client.wait(job.id, timeout=0.3)
    assert waited.id == job.id and waited.state == "available" and not waited.finished


def test_enqueue_options(client: Client) -> None:
    q = queue_name()
    delayed = client.enqueue(q, "a.b", [1, "two", None], priority=3, delay=timedelta(hours=1), max_attempts=5)
    assert delayed.state == "scheduled" and delayed.priority == 3 and delayed.max_attempts == 5
    assert delayed.run_at is not None and delayed.run_at > datetime.now(timezone.utc) + timedelta(minutes=59)
    at = datetime.now(timezone.utc) + timedelta(days=1)
    later = client.enqueue(q, "a.b", "text", run_at=at)
    assert later.run_at is not None and abs((later.run_at - at).total_seconds()) < 0.01
    assert client.get(later.id).payload == "text"
    cancelled = client.cancel(later.id)
    assert cancelled.state == "cancelled"
    with pytest.raises(Conflict) as refused:
        client.cancel(later.id)
    assert refused.value.status == 409


def test_problem_details_are_on_the_exception(client: Client) -> None:
    with pytest.raises(InvalidRequest) as error:
        client.enqueue("Bad Queue!", "a.b", {})
    problem = error.value
    assert problem.status == 422 and problem.field == "queue" and problem.title and problem.detail
    assert problem.problem["field"] == "queue"
    with pytest.raises(NotFound):
        client.get("01a24d1b-d85f-7556-971b-01ed159af303")
    with pytest.raises(ValueError):
        client.enqueue("q", "a.b", float("nan"))


def test_a_customer_key_finds_its_customer_and_an_admin_key_must_name_one(
    server: Server, tenant: Tenant, client: Client
) -> None:
    job = client.enqueue(queue_name(), "a.b", {"x": 1})
    own = Client(server.url, api_key=tenant.key)
    assert own.customer is None
    assert own.get(job.id).id == job.id  # /api/jobs/{id}: the key says whose it is
    made = own.enqueue(queue_name(), "a.b", {})  # the key's customer, asked of the server once
    assert made.customer == tenant.name and own.customer == tenant.name
    own.close()
    admin = Client(server.url, api_key=server.admin_key)
    with pytest.raises(CustomerRequired, match="admin key"):
        admin.enqueue("q", "a.b", {})
    assert admin.for_customer(tenant.name).get(job.id).id == job.id
    admin.close()


def test_enqueue_many_is_all_or_none(client: Client) -> None:
    q = queue_name()
    made = client.enqueue_many(
        [NewJob(q, "a.b", {"n": 1}), {"queue": q, "type": "a.b", "payload": {"n": 2}, "priority": 1}, NewJob(q, "a.c")]
    )
    assert [j.payload for j in made] == [{"n": 1}, {"n": 2}, None]
    assert len({j.id for j in made}) == 3

    other = queue_name()
    with pytest.raises(InvalidRequest) as refused:
        client.enqueue_many([NewJob(other, "a.b", 1), NewJob(other, "a.b", 2, priority=42), NewJob(other, "a.b", 3)])
    assert refused.value.field == "jobs[1].priority"
    assert list(client.jobs(queue=other)) == []


def test_jobs_follows_the_cursor(client: Client) -> None:
    q = queue_name()
    made = client.enqueue_many([NewJob(q, "page.me", {"n": n}) for n in range(25)])
    pages: list[httpx.Request] = []
    client._http.event_hooks["request"].append(pages.append)
    listed = list(client.jobs(queue=q, page_size=10))
    assert [j.id for j in listed] == [j.id for j in reversed(made)]  # newest first, each once
    assert len(pages) == 3
    page = client.list_jobs(queue=q, limit=10)
    assert len(page.jobs) == 10 and page.next_cursor and page.counts[q]["available"] == 25
    assert list(client.jobs(queue=q, state=["completed", "dead"])) == []


def test_idempotent_enqueue_retried_after_a_network_error_makes_one_job(server: Server, tenant: Tenant) -> None:
    q = queue_name()
    with Proxy(server.url, swallow_first_response=True) as proxy:
        client = Client(proxy.url, api_key=tenant.key, customer=tenant.name)
        job = client.enqueue(q, "pay.once", {"amount": 10}, idempotency_key="order-1")
        assert proxy.connections == 2  # the first answer was lost; the retry got the same job
        client.close()
    direct = Client(server.url, api_key=tenant.key, customer=tenant.name)
    assert [j.id for j in direct.jobs(queue=q)] == [job.id]
    assert direct.enqueue(q, "pay.once", {"amount": 10}, idempotency_key="order-1").id == job.id
    with pytest.raises(InvalidRequest) as conflict:
        direct.enqueue(q, "pay.once", {"amount": 11}, idempotency_key="order-1")
    assert conflict.value.field == "Idempotency-Key"

    # Without a key an enqueue is not sent twice: the error says so, and the one job stands.
    other = queue_name()
    with Proxy(server.url, swallow_first_response=True) as proxy:
        client = Client(proxy.url, api_key=tenant.key, customer=tenant.name)
        with pytest.raises(NetworkError):
            client.enqueue(other, "pay.once", {"amount": 10})
        assert proxy.connections == 1
        client.close()
    assert len(list(direct.jobs(queue=other))) == 1
    direct.close()


def test_429_is_retried_after_retry_after(server: Server, tenant: Tenant) -> None:
    server.admin("PUT", f"/api/admin/customers/{tenant.name}/rate-limit", {"requests": 2, "window_seconds": 2})
    statuses: list[int] = []
    http = httpx.Client(event_hooks={"response": [lambda r: statuses.append(r.status_code)]})
    client = Client(server.url, api_key=tenant.key, customer=tenant.name, max_retries=5, http_client=http)
    q = queue_name()
    made = [client.enqueue(q, "a.b", {"n": n}) for n in range(4)]
    assert len({j.id for j in made}) == 4
    assert 429 in statuses  # refused at least once, and retried once the quota returned

    impatient = Client(server.url, api_key=tenant.key, customer=tenant.name, max_retries=0)
    with pytest.raises(RateLimited) as limited:
        for _ in range(5):
            impatient.get(made[0].id)
    assert limited.value.status == 429 and limited.value.retry_after is not None
    assert 0 <= limited.value.retry_after <= 2
    client.close()
    http.close()
    impatient.close()


def test_schedules_crud(client: Client) -> None:
    q = queue_name()
    made = client.schedules.create(
        "nightly", cron="0 3 * * *", timezone="Europe/Berlin", queue=q, type="report.build", payload={"kind": "daily"}
    )
    assert made.name == "nightly" and made.timezone == "Europe/Berlin" and len(made.next_ticks) == 5
    assert made.description and not made.paused and made.payload == {"kind": "daily"}
    assert [s.name for s in client.schedules.list()] == ["nightly"]
    assert client.schedules.get("nightly").cron == "0 3 * * *"

    changed = client.schedules.update("nightly", cron="@every 1h", priority=2)
    assert changed.cron == "@every 1h" and changed.priority == 2 and changed.queue == q

    paused = client.schedules.pause("nightly")
    assert paused.paused and paused.next_ticks == []
    assert not client.schedules.resume("nightly").paused

    job = client.schedules.run("nightly")
    assert job.schedule == "nightly" and job.queue == q and job.payload == {"kind": "daily"}

    client.schedules.delete("nightly")
    with pytest.raises(NotFound):
        client.schedules.get("nightly")
    assert client.schedules.list() == []
