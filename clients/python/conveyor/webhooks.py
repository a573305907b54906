"""Checking a webhook delivery's signature (Standard Webhooks 1.0), with the standard library."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["verify_webhook", "DEFAULT_TOLERANCE"]

#: How far (seconds) a delivery's `webhook-timestamp` may be from now: older or newer is a replay.
DEFAULT_TOLERANCE = 300


class HeaderItems(Protocol):
    """Anything with items(): a dict, httpx.Headers, http.server's `self.headers`…"""

    def items(self) -> Iterable[tuple[str, Any]]: ...


def _lower(headers: HeaderItems | Iterable[tuple[str, Any]]) -> dict[str, str]:
    pairs: Iterable[tuple[str, Any]] = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in pairs}


def verify_webhook(
    headers: HeaderItems | Iterable[tuple[str, Any]],
    body: bytes | str,
    secret: str | Iterable[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether a delivery is Conveyor's, unaltered and fresh.

    headers: the request's (any mapping, or http.server's `self.headers`; names in any case);
    body: the raw bytes as received (before any JSON parsing); secret: the endpoint's "whsec_…"
    (or several: during a rotation the old and the new). True only when a `v1,` signature of
    "{webhook-id}.{webhook-timestamp}.{body}" matches and the timestamp is within `tolerance`
    seconds of now. De-duplicate deliveries on `webhook-id` (the same on every retry)."""
    fields = _lower(headers)
    msg_id = fields.get("webhook-id")
    timestamp = fields.get("webhook-timestamp")
    signatures = fields.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    signed = f"{msg_id}.{timestamp}.".encode() + raw
    given = [entry[3:] for entry in signatures.split(" ") if entry.startswith("v1,")]
    for one in [secret] if isinstance(secret, str) else list(secret):
        try:
            key = base64.b64decode(one.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            continue
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in given):
            return True
    return False
