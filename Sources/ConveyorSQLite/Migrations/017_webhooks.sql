-- Webhook endpoints (WebhookEndpoint): a customer's URLs told of its jobs' events. events is the
-- kinds wanted, comma-separated ('' for all); queue NULL for every queue. Times in milliseconds.
CREATE TABLE webhook_endpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    customer TEXT NOT NULL REFERENCES customers (name),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    queue TEXT,
    description TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    disabled_at INTEGER,
    disabled_reason TEXT,
    failing_since INTEGER
);
CREATE INDEX webhook_endpoints_by_customer ON webhook_endpoints (customer, seq);
-- Each endpoint's newest attempts (WebhookStore.attemptLogLength of them), newest by seq.
CREATE TABLE webhook_attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    job_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);
-- How far into job_events deliveries have been made (WebhookStore.dispatchWebhooks).
CREATE TABLE webhook_dispatch (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    cursor TEXT NOT NULL
);
