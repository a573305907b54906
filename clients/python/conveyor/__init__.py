"""Conveyor's Python client: enqueue and follow jobs (Client, AsyncClient), run them (Worker,
AsyncWorker), and check webhook deliveries (verify_webhook)."""

from ._job import ActiveJob
from ._protocol import UNSET
from .async_client import AsyncClient
from .async_worker import AsyncWorker
from .client import Client
from .errors import (
    APIError,
    AuthenticationError,
    AuthError,
    BadRequest,
    Conflict,
    ConveyorError,
    CustomerRequired,
    InvalidRequest,
    JobCancelled,
    NetworkError,
    NonRetryable,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
)
from .models import (
    FINISHED_STATES,
    AttemptError,
    ClaimedJob,
    Event,
    Job,
    JobPage,
    NewJob,
    Schedule,
    ScheduleTick,
    WebhookAttempt,
    WebhookEndpoint,
)
from .sse import AsyncEventStream, EventStream
from .webhooks import verify_webhook
from .worker import Worker

__version__ = "0.1.0"

__all__ = [
    "Client",
    "AsyncClient",
    "Worker",
    "AsyncWorker",
    "ActiveJob",
    "verify_webhook",
    "EventStream",
    "AsyncEventStream",
    "UNSET",
    # models
    "FINISHED_STATES",
    "AttemptError",
    "ClaimedJob",
    "Event",
    "Job",
    "JobPage",
    "NewJob",
    "Schedule",
    "ScheduleTick",
    "WebhookAttempt",
    "WebhookEndpoint",
    # errors
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
]
