"""Working: results, progress in the event stream, heartbeats, failures, cancellation, SIGTERM, 401."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Server, Tenant
from helpers import Collector, eventually, make_key, queue_name, running, with_spy
from tcp_proxy import Proxy

from conveyor import ActiveJob, AuthenticationError, Client, JobCancelled, NonRetryable, Worker

HERE = Path(__file__).parent


def test_progress_is_seen_in_events(client: Client) -> None:
    q = queue_name()
    release = threading.Event()
    worker = Worker(client, queues=[q], wait_seconds=1)

    @worker.handler("render")
    def render(job: ActiveJob) -> Any:
        job.progress({"percent": 40, "step": "render"})
        release.wait(20)
        return {"pages": 3}

    with client.events(queue=q) as stream, running(worker):
        events = Collector(stream)
        job = client.enqueue(q, "render", {"doc": 1})
        progress = events.wait_for(lambda e: e.event == "job.progress" and e.job_id == job.id)
        assert progress.progress == {"percent": 40, "step": "render"} and progress.state == "running"
        assert client.get(job.id).progress == {"percent": 40, "step": "render"}
        release.set()
        completed = events.wait_for(lambda e: e.event == "job.completed" and e.job_id == job.id)
        assert completed.result == {"pages": 3}
        assert stream.last_event_id == completed.id
        kinds = [e.event for e in events.seen if e.job_id == job.id]
        assert kinds[0] == "job.enqueued" and "job.started" in kinds
        stream.close()


def test_heartbeats_keep_a_long_job_leased(client: Client) -> None:
    q = queue_name()
    worker = Worker(client, queues=[q], lease_seconds=2, wait_seconds=1)  # renewed every 2/3 s

    @worker.handler("long")
    def long(job: ActiveJob) -> Any:
        job.sleep(4)  # twice the lease
        return "done"

    job = client.enqueue(q, "long", None)
    with running(worker):
        done = client.wait(job.id, timeout=30)
    assert done.state == "completed" and done.result == "done" and done.attempt == 1 and not done.errors


def test_failures_retryable_and_not(client: Client) -> None:
    q = queue_name()
    worker = Worker(client, queues=[q], concurrency=3, wait_seconds=1)

    @worker.handler("bad.input")
    def bad(job: ActiveJob) -> Any:
        raise NonRetryable(f"cannot use {job.payload}")

    @worker.handler("flaky")
    def flaky(job: ActiveJob) -> Any:
        raise RuntimeError("the disk is on fire")

    dead = client.enqueue(q, "bad.input", {"x": 1})
    retried = client.enqueue(q, "flaky", {"x": 2}, max_attempts=3)
    unknown = client.enqueue(q, "nobody.handles", None)
    with running(worker):
        assert client.wait(dead.id, timeout=30).state == "dead"
        flaky_job = eventually(lambda: (j := client.get(retried.id)).state == "retryable" and j, what="a retry")
        unknown_job = eventually(lambda: (j := client.get(unknown.id)).state == "retryable" and j, what="a retry")
    assert client.get(dead.id).error == "cannot use {'x': 1}"
    assert flaky_job.error is not None and flaky_job.error.startswith("RuntimeError: the disk is on fire")
    assert "in flaky" in flaky_job.error  # with the traceback's end
    assert unknown_job.error is not None and "no handler for job type 'nobody.handles'" in unknown_job.error


def test_cancellation_stops_a_running_handler_and_sends_nothing(client: Client) -> None:
    q = queue_name()
    started, stopped = threading.Event(), queue.Queue[str | None]()
    completions: list[tuple[Any, ...]] = []
    failures: list[tuple[Any, ...]] = []
    with_spy(client, "complete", completions)
    with_spy(client, "fail", failures)
    worker = Worker(client, queues=[q], lease_seconds=3, wait_seconds=1)  # a heartbeat a second

    @worker.handler("endless")
    def endless(job: ActiveJob) -> Any:
        started.set()
        try:
            for _ in range(300):
                job.sleep(0.1)
                job.progress({"tick": 1})
        except JobCancelled as cancelled:
            stopped.put(cancelled.reason)
            return {"must": "not be sent"}
        stopped.put(None)
        return None

    job = client.enqueue(q, "endless", None)
    with running(worker):
        assert started.wait(30)
        assert client.cancel(job.id).state == "cancelled"
        assert stopped.get(timeout=30) == "cancelled"
        eventually(lambda: worker.running_jobs == 0, what="the attempt to end")
    final = client.get(job.id)
    assert final.state == "cancelled" and final.result is None
    assert completions == [] and failures == []


def test_an_unknown_key_stops_the_worker_at_once(server: Server) -> None:
    client = Client(server.url, api_key=make_key())
    worker = Worker(client, queues=["anything"], wait_seconds=1)
    started = time.monotonic()
    with pytest.raises(AuthenticationError) as refused:
        worker.run()
    assert time.monotonic() - started < 10
    assert refused.value.status == 401
    assert "refused the API key" in str(refused.value) and "the worker stopped" in str(refused.value)


def test_a_key_revoked_mid_job_stops_the_worker(server: Server, tenant: Tenant, client: Client) -> None:
    q = queue_name()
    told = queue.Queue[str | None]()
    worker = Worker(client, queues=[q], lease_seconds=3, wait_seconds=1)

    @worker.handler("slow")
    def slow(job: ActiveJob) -> Any:
        server.admin("POST", f"/api/admin/keys/{tenant.key_id}/revoke")
        try:
            for _ in range(300):
                job.sleep(0.1)
        except JobCancelled as over:
            told.put(over.reason)
        return None

    client.enqueue(q, "slow", None)
    handle = running(worker)
    with handle as run:
        eventually(lambda: not run.thread.is_alive(), what="the worker to stop")
    assert isinstance(run.error, AuthenticationError)
    assert told.get(timeout=10) == "unauthorized"


def test_sigterm_lets_the_running_job_finish(server: Server, tenant: Tenant, client: Client) -> None:
    q = queue_name()
    job = client.enqueue(q, "slow.job", {"seconds": 2})
    env = {**os.environ, "CONVEYOR_URL": server.url, "CONVEYOR_API_KEY": tenant.key, "QUEUE": q}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "worker_proc.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    try:
        assert lines.get(timeout=30).strip() == f"started {job.id}"
        process.send_signal(signal.SIGTERM)
        signalled = client.get(job.id)
        assert signalled.state == "running"
        assert process.wait(timeout=40) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert lines.get(timeout=5).strip() == "worker exited cleanly", stderr
    done = client.get(job.id)
    assert done.state == "completed", stderr
    assert done.result == {"finished": True, "pid": process.pid}
    assert "stopping: 1 job(s) running" in stderr


def test_an_outcome_lost_on_the_network_is_sent_again_with_its_lease(server: Server, tenant: Tenant) -> None:
    q = queue_name()
    with Proxy(server.url, drop_request_containing=b"/complete") as proxy:
        client = Client(proxy.url, api_key=tenant.key, customer=tenant.name)
        worker = Worker(client, queues=[q], wait_seconds=1)

        @worker.handler("once")
        def once(job: ActiveJob) -> Any:
            return {"ok": job.payload}

        job = client.enqueue(q, "once", 7)
        with running(worker):
            done = client.wait(job.id, timeout=30)
        assert proxy.dropped == 1  # the first completion never reached the server
        assert done.state == "completed" and done.result == {"ok": 7} and done.attempt == 1
        client.close()


def test_a_handler_past_the_shutdown_timeout_is_failed_and_told(client: Client) -> None:
    q = queue_name()
    started, told = threading.Event(), queue.Queue[str]()
    worker = Worker(client, queues=[q], wait_seconds=1)

    @worker.handler("stubborn")
    def stubborn(job: ActiveJob) -> Any:
        started.set()
        try:
            while True:
                job.sleep(0.1)
        except JobCancelled as over:
            told.put(over.reason)
            raise

    job = client.enqueue(q, "stubborn", None)
    with running(worker, stop_timeout=0.5) as run:
        assert started.wait(30)
    assert run.error is None
    assert told.get(timeout=10) == "shutdown"
    failed = client.get(job.id)
    assert failed.state == "retryable" and failed.error is not None and "shutdown timeout" in failed.error
