"""The Python client's worker against `conveyor work`, side by side in one run (BENCHMARKS.md).

For each kind of worker in turn — the Python `Worker` (threads), `AsyncWorker` (asyncio), and
`conveyor work -- true` (a program per job, on the database directly) — JOBS no-op jobs are
enqueued on a queue of their own, then the worker is started and timed until the last completes;
its CPU (user + system, of the worker process and its children) and the server's are read from
/proc. Run by bench/python-worker, which makes the virtual environment and starts nothing else.
"""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from conveyor import Client, NewJob

BIN = os.environ["CONVEYOR_BIN"]
JOBS = int(os.environ.get("JOBS", "10000"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "16"))
DATABASE = os.environ.get("DATABASE_URL") or str(Path(tempfile.mkdtemp(prefix="bench-pyworker-")) / "c.sqlite")
TICKS = os.sysconf("SC_CLK_TCK")

WORKER = """
import sys
from conveyor import {client}, {worker}
client = {client}(sys.argv[1], api_key=sys.argv[2], customer="bench")
worker = {worker}(client, queues=[sys.argv[3]], concurrency=int(sys.argv[4]))
@worker.handler("bench.noop")
{define} noop(job):
    return None
{run}
"""


def cpu(pid: int) -> float:
    """User + system seconds of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def main() -> None:
    admin = "cvk_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    env = {**os.environ, "DATABASE_URL": DATABASE, "CONVEYOR_ADMIN_KEY": admin, "LOG_LEVEL": "warning"}
    # Limits high enough never to refuse: the subject is the worker, not the limiter.
    env["RATE_LIMIT_REQUESTS"] = "1000000"
    env["WORKER_RATE_LIMIT_REQUESTS"] = "1000000"
    server = subprocess.Popen([BIN, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = None
    assert server.stdout is not None
    for line in server.stdout:
        if "listening on http" in line:
            url = line.split("listening on ", 1)[1].strip()
            break
    assert url, "the server did not start"
    try:
        headers = {"Authorization": f"Bearer {admin}"}
        httpx.post(f"{url}/api/admin/customers", json={"name": "bench"}, headers=headers).raise_for_status()
        key = httpx.post(f"{url}/api/admin/keys", json={"customer": "bench"}, headers=headers).json()["key"]
        httpx.put(f"{url}/api/admin/customers/bench/rate-limit", json={"requests": 1_000_000, "window_seconds": 60}, headers=headers)
        client = Client(url, api_key=key, customer="bench", max_retries=10)
        kinds = {
            "python Worker (threads)": lambda q: [sys.executable, "-c", WORKER.format(client="Client", worker="Worker", define="def", run="worker.run()"), url, key, q, str(CONCURRENCY)],
            "python AsyncWorker (asyncio)": lambda q: [sys.executable, "-c", WORKER.format(client="AsyncClient", worker="AsyncWorker", define="async def", run="import asyncio\nasync def main():\n    async with client:\n        await worker.run()\nasyncio.run(main())"), url, key, q, str(CONCURRENCY)],
            "conveyor work -- true": lambda q: [BIN, "work", "--queue", q, "--concurrency", str(CONCURRENCY), "--", "true"],
        }
        results = {}
        for index, (name, command) in enumerate(kinds.items()):
            queue = f"bench-py-{index}-{secrets.token_hex(3)}"
            for start in range(0, JOBS, 500):
                client.enqueue_many([NewJob(queue, "bench.noop") for _ in range(min(500, JOBS - start))])
            server_cpu = cpu(server.pid)
            started = time.monotonic()
            worker = subprocess.Popen(command(queue), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                page = client.list_jobs(queue=queue, state="completed", limit=1)
                done = page.counts.get(queue, {}).get("completed", 0)
                if done >= JOBS:
                    break
                if worker.poll() is not None:
                    raise SystemExit(f"{name} exited early")
                time.sleep(0.2)
            seconds = time.monotonic() - started
            worker_cpu = cpu(worker.pid)
            served = cpu(server.pid) - server_cpu
            worker.terminate()
            worker.wait(timeout=60)
            results[name] = (JOBS / seconds, worker_cpu, served)
            print(f"{name}: {JOBS} jobs in {seconds:.2f} s → {JOBS / seconds:.0f} jobs/s; worker CPU {worker_cpu:.1f} s, server CPU {served:.1f} s", flush=True)
        base = results["conveyor work -- true"][0]
        for name, (rate, _, _) in results.items():
            print(f"{name}: {rate / base:.2f} of conveyor work's rate")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
