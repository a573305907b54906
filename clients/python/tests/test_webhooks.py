"""Webhook endpoints over the API, and verify_webhook against a real signed delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import queue_name

from conveyor import Client, NotFound, verify_webhook


class Receiver:
    """A local endpoint that keeps each delivery (headers, raw body) and answers 204."""

    def __init__(self) -> None:
        deliveries: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.deliveries = deliveries

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                deliveries.put((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/conveyor"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return (
        "v1,"
        + base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    )


def test_a_real_delivery_verifies_and_a_tampered_one_does_not(client: Client, receiver: Receiver) -> None:
    q = queue_name()
    endpoint = client.webhooks.create(receiver.url, events=["job.enqueued"], queue=q, description="tests")
    assert endpoint.secret and endpoint.secret.startswith("whsec_")
    job = client.enqueue(q, "report.build", {"user": 42})

    headers, body = receiver.deliveries.get(timeout=60)
    delivery = json.loads(body)
    assert delivery["type"] == "job.enqueued" and delivery["data"]["job_id"] == job.id
    assert verify_webhook(headers, body, endpoint.secret)
    assert verify_webhook({k.upper(): v for k, v in headers.items()}, body.decode(), [endpoint.secret])

    tampered = body.replace(b'"user"', b'"usr"') if b'"user"' in body else body + b" "
    assert not verify_webhook(headers, tampered, endpoint.secret)
    assert not verify_webhook({**_lower(headers), "webhook-id": "msg_forged"}, body, endpoint.secret)
    other = client.webhooks.rotate_secret(endpoint.id).secret
    assert other and other != endpoint.secret
    assert not verify_webhook(headers, body, other)  # signed before the rotation: the old secret only
    stale = _lower(headers)
    assert not verify_webhook(stale, body, endpoint.secret, now=int(stale["webhook-timestamp"]) + 301)
    assert not verify_webhook({}, body, endpoint.secret)

    attempts = client.webhooks.attempts(endpoint.id)
    assert attempts and attempts[0].status_code == 204 and attempts[0].event == "job.enqueued"


def test_during_a_rotation_both_secrets_sign(client: Client, receiver: Receiver) -> None:
    q = queue_name()
    endpoint = client.webhooks.create(receiver.url, events=["job.enqueued"], queue=q)
    rotated = client.webhooks.rotate_secret(endpoint.id)
    assert rotated.previous_secret_expires_at is not None and rotated.secret
    client.enqueue(q, "a.b", None)
    headers, body = receiver.deliveries.get(timeout=60)
    assert len(_lower(headers)["webhook-signature"].split(" ")) == 2
    assert verify_webhook(headers, body, rotated.secret)
    assert verify_webhook(headers, body, endpoint.secret or "")


def test_verify_webhook_by_the_spec() -> None:
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    now = str(int(time.time()))
    body = b'{"type":"job.completed"}'
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": now,
        "webhook-signature": "v1,bogus " + sign(secret, "msg_1", now, body),
    }
    assert verify_webhook(headers, body, secret)
    assert not verify_webhook(
        {**headers, "webhook-signature": "v2," + sign(secret, "msg_1", now, body)[3:]}, body, secret
    )
    assert not verify_webhook({**headers, "webhook-timestamp": "yesterday"}, body, secret)
    assert not verify_webhook(headers, body, "whsec_not-base64!")


def test_endpoint_crud(client: Client, receiver: Receiver) -> None:
    made = client.webhooks.create(receiver.url, events=["job.completed", "job.dead"])
    assert made.events == ["job.completed", "job.dead"] and made.queue is None and made.enabled
    assert [w.id for w in client.webhooks.list()] == [made.id]
    fetched = client.webhooks.get(made.id)
    assert fetched.secret is None and fetched.url == receiver.url
    changed = client.webhooks.update(made.id, queue="reports", enabled=False, description="off for now")
    assert changed.queue == "reports" and not changed.enabled and changed.description == "off for now"
    assert client.webhooks.update(made.id, queue=None, enabled=True).queue is None
    client.webhooks.delete(made.id)
    with pytest.raises(NotFound):
        client.webhooks.get(made.id)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
