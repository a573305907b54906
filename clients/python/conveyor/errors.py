"""Exceptions: every error the server answers is an APIError carrying its RFC 9457 problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ConveyorError",
    "NetworkError",
    "CustomerRequired",
    "APIError",
    "BadRequest",
    "AuthError",
    "AuthenticationError",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "InvalidRequest",
    "RateLimited",
    "ServerError",
    "NonRetryable",
    "JobCancelled",
    "error_for",
]


class ConveyorError(Exception):
    """The base of every exception this package raises."""


class NetworkError(ConveyorError):
    """The request did not get an answer: the connection failed, dropped or timed out.

    The request may or may not have reached the server. An enqueue with an idempotency key is
    safe to send again (the server answers the job it made the first time)."""


class CustomerRequired(ConveyorError, ValueError):
    """A call names the customer in its route and the client was not told which one it is."""


class APIError(ConveyorError):
    """The server answered with an error: an RFC 9457 problem (`application/problem+json`)."""

    def __init__(
        self,
        status: int,
        problem: Mapping[str, Any] | None = None,
        *,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.problem: dict[str, Any] = dict(problem or {})
        self.status: int = status
        self.type: str = str(self.problem.get("type", "about:blank"))
        self.title: str = str(self.problem.get("title", ""))
        self.detail: str = str(self.problem.get("detail", ""))
        field = self.problem.get("field")
        self.field: str | None = None if field is None else str(field)
        reason = self.problem.get("reason")
        self.reason: str | None = None if reason is None else str(reason)
        self.method = method
        self.url = url
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.status} {self.title}".strip()
        if self.detail:
            text += f": {self.detail}"
        if self.field:
            text += f" (field: {self.field})"
        if self.method and self.url:
            text += f" [{self.method} {self.url}]"
        return text


class BadRequest(APIError):
    """400: the body is not the JSON the route takes (malformed, a bad payload)."""


class AuthError(APIError):
    """401 or 403: the key was refused. Retrying cannot mend it."""


class AuthenticationError(AuthError):
    """401: the key is missing, malformed, unknown or revoked."""


class PermissionDenied(AuthError):
    """403: the key may not use this route (an admin route with a customer key)."""


class NotFound(APIError):
    """404: no such job, schedule or endpoint — or another customer's."""


class Conflict(APIError):
    """409: the job cannot go that way (e.g. cancelling a finished job); for lease calls,
    `reason` is "lease_lost" or "cancelled"."""


class PayloadTooLarge(APIError):
    """413: a body, payload, result or progress report over its limit."""


class InvalidRequest(APIError):
    """422: an input broke a rule; `field` names it."""


class RateLimited(APIError):
    """429: the customer's quota is used up (`retry_after` seconds until it returns), or an
    enqueue would pass its backlog quota (`type` ends in "backlog-quota", no `retry_after`)."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(APIError):
    """5xx: the server could not answer (503: the database unreachable, shutting down)."""


class NonRetryable(Exception):
    """Raise from a handler for a failure that retrying cannot fix: the job goes dead at once."""


class JobCancelled(ConveyorError):
    """Raised inside a handler (at `job.progress()` or `job.check()`) once its attempt is over:
    the job was cancelled (`reason` "cancelled"), its lease was lost ("lease_lost"), or the
    worker gave up on it while stopping ("shutdown"). Nothing the handler does after this is sent."""

    def __init__(self, job_id: str, reason: str) -> None:
        self.job_id = job_id
        self.reason = reason
        super().__init__(f"job {job_id}: attempt over ({reason})")


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidRequest,
    429: RateLimited,
}


def error_for(
    status: int,
    problem: Mapping[str, Any] | None,
    *,
    method: str = "",
    url: str = "",
    headers: Mapping[str, str] | None = None,
) -> APIError:
    """The exception for an error answer."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(status, problem, method=method, url=url, headers=headers)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the server sends whole seconds); None when absent or a date."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)
