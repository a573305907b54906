#!/usr/bin/env python3
"""A Conveyor worker in plain Python (standard library only).

It speaks Conveyor's HTTP lease protocol: claim jobs with a long poll, keep each job's lease alive
from a heartbeat thread while it runs, then complete it, or fail it (retryable or not).

    CONVEYOR_URL=http://127.0.0.1:8080 CONVEYOR_API_KEY=cvk_... ./worker.py --queue mail

Handlers are plain functions keyed by job type (see HANDLERS): `sum` adds {"numbers": [...]} and
`explode` always fails. Raise NonRetryable for a job that can never succeed (it goes to the
dead-letter queue at once); any other exception is retried with backoff by Conveyor. A key the
server refuses (401 or 403) stops the worker with exit status 1: retrying cannot mend it. SIGTERM
or SIGINT stops claiming; the job in hand is finished first.
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request


class NonRetryable(Exception):
    """A failure that retrying cannot fix."""


class LeaseLost(Exception):
    """The job's lease expired or moved on: its outcome must not be reported."""


class KeyRefused(Exception):
    """The server refused the API key (401) or what it may do (403): no retry can mend that."""


class Conveyor:
    """The few HTTP calls of the lease protocol."""

    def __init__(self, url, key):
        self.url = url.rstrip("/")
        self.key = key

    def call(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.key)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read() or b"{}")
            if error.code == 409:
                raise LeaseLost(problem.get("detail", "lease lost")) from None
            if error.code in (401, 403):
                raise KeyRefused(f"{error.code} {problem.get('detail', '')}") from None
            raise RuntimeError(f"{method} {path}: {error.code} {problem.get('detail', '')}") from None

    def claim(self, queues, worker_id, max_jobs, lease_seconds, wait_seconds):
        body = {"worker_id": worker_id, "queues": queues, "max": max_jobs,
                "lease_seconds": lease_seconds, "wait_seconds": wait_seconds}
        return self.call("POST", "/api/workers/claim", body, timeout=wait_seconds + 30)["jobs"]

    def heartbeat(self, job, lease_seconds):
        self.call("POST", f"/api/jobs/{job['id']}/heartbeat",
                  {"lease_token": job["lease_token"], "lease_seconds": lease_seconds})

    def complete(self, job):
        return self.call("POST", f"/api/jobs/{job['id']}/complete", {"lease_token": job["lease_token"]})

    def fail(self, job, error, retryable):
        return self.call("POST", f"/api/jobs/{job['id']}/fail",
                         {"lease_token": job["lease_token"], "error": error, "retryable": retryable})


class Heartbeat(threading.Thread):
    """Renews one job's lease every third of the lease until stopped or the lease is lost."""

    def __init__(self, conveyor, job, lease_seconds):
        super().__init__(daemon=True)
        self.conveyor, self.job, self.lease_seconds = conveyor, job, lease_seconds
        self.stopped = threading.Event()
        self.lost = False

    def run(self):
        while not self.stopped.wait(self.lease_seconds / 3):
            try:
                self.conveyor.heartbeat(self.job, self.lease_seconds)
            except LeaseLost:
                self.lost = True
                return
            except Exception as error:  # the lease may still hold; try again next time
                log(f"heartbeat of {self.job['id']} failed: {error}")

    def stop(self):
        self.stopped.set()
        self.join()


def log(message):
    print(f"worker: {message}", flush=True)


# Handlers: job type -> function(payload). Replace these with your own.
def add_numbers(payload):
    numbers = payload.get("numbers") if isinstance(payload, dict) else None
    if not isinstance(numbers, list) or not all(isinstance(n, (int, float)) for n in numbers):
        raise NonRetryable("payload must be {\"numbers\": [...]}")
    log(f"sum = {sum(numbers)}")


def explode(payload):
    raise NonRetryable(f"this job always fails: {payload}")


HANDLERS = {"sum": add_numbers, "explode": explode}


def run_job(conveyor, job, lease_seconds):
    beat = Heartbeat(conveyor, job, lease_seconds)
    beat.start()
    try:
        handler = HANDLERS.get(job["type"])
        if handler is None:
            raise RuntimeError(f"no handler for job type {job['type']}")
        handler(job["payload"])
        outcome = ("complete", None, None)
    except NonRetryable as error:
        outcome = ("fail", str(error), False)
    except Exception as error:
        outcome = ("fail", f"{type(error).__name__}: {error}", True)
    finally:
        beat.stop()
    if beat.lost:
        log(f"lease of {job['id']} was lost while it ran; its outcome is dropped")
        return
    try:
        if outcome[0] == "complete":
            conveyor.complete(job)
            log(f"completed {job['id']}")
        else:
            state = conveyor.fail(job, outcome[1], outcome[2])["state"]
            log(f"failed {job['id']} ({state}): {outcome[1]}")
    except LeaseLost:
        log(f"lease of {job['id']} was lost before its outcome was written")


def main():
    parser = argparse.ArgumentParser(description="A Conveyor worker speaking the HTTP lease protocol.")
    parser.add_argument("--queue", action="append", required=True, help="a queue to take jobs from (repeatable)")
    parser.add_argument("--lease-seconds", type=float, default=30)
    parser.add_argument("--wait-seconds", type=float, default=10, help="how long one claim waits for a job")
    parser.add_argument("--max-jobs", type=int, default=None, help="stop after this many jobs")
    args = parser.parse_args()
    url, key = os.environ.get("CONVEYOR_URL"), os.environ.get("CONVEYOR_API_KEY")
    if not url or not key:
        sys.exit("set CONVEYOR_URL and CONVEYOR_API_KEY")
    conveyor = Conveyor(url, key)
    worker_id = f"python-{socket.gethostname()}-{os.getpid()}"
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    done, backoff = 0, 1
    log(f"{worker_id} taking jobs from {', '.join(args.queue)}")
    while not stopping.is_set() and (args.max_jobs is None or done < args.max_jobs):
        try:
            # One at a time: jobs run one after another, and a claimed job's lease is running.
            jobs = conveyor.claim(args.queue, worker_id, 1, args.lease_seconds, args.wait_seconds)
            backoff = 1
        except KeyRefused as error:
            sys.exit(f"worker: {url} refused CONVEYOR_API_KEY ({error}); use a key that server made "
                     "(conveyor keys create, run where that server keeps its database, or POST /api/admin/keys)")
        except Exception as error:
            log(f"claim failed, retrying in {backoff} s: {error}")
            stopping.wait(backoff)
            backoff = min(backoff * 2, 30)
            continue
        for job in jobs:
            run_job(conveyor, job, args.lease_seconds)
            done += 1
    log(f"stopped after {done} jobs")


if __name__ == "__main__":
    main()
