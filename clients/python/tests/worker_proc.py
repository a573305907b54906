"""A worker process for the SIGTERM test: its handler takes a while; SIGTERM must let it finish."""

from __future__ import annotations

import logging
import os
import sys
import time

from conveyor import Client, Worker

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
client = Client(os.environ["CONVEYOR_URL"], api_key=os.environ["CONVEYOR_API_KEY"])
worker = Worker(client, queues=[os.environ["QUEUE"]], concurrency=2, wait_seconds=1, shutdown_timeout=20)


@worker.handler("slow.job")
def slow(job):  # type: ignore[no-untyped-def]
    print(f"started {job.id}", flush=True)
    time.sleep(float(job.payload["seconds"]))  # the work: SIGTERM arrives meanwhile
    return {"finished": True, "pid": os.getpid()}


worker.run()
print("worker exited cleanly", flush=True)
