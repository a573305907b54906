-- Webhook endpoints (WebhookEndpoint): a customer's URLs told of its jobs' events. events is the
-- kinds wanted ('{}' for all); queue NULL for every queue.
CREATE TABLE webhook_endpoints (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    customer text NOT NULL REFERENCES customers (name),
    url text NOT NULL,
    events text[] NOT NULL,
    queue text,
    description text NOT NULL,
    secret text NOT NULL,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    created_at timestamptz NOT NULL,
    disabled_at timestamptz,
    disabled_reason text,
    failing_since timestamptz
);
CREATE INDEX webhook_endpoints_by_customer ON webhook_endpoints (customer, seq);
-- Each endpoint's newest attempts (WebhookStore.attemptLogLength of them), newest by seq.
CREATE TABLE webhook_attempts (
    seq bigserial PRIMARY KEY,
    endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    job_id text NOT NULL,
    webhook_id text NOT NULL,
    event text NOT NULL,
    attempt int NOT NULL,
    at timestamptz NOT NULL,
    status_code int,
    latency_ms int NOT NULL,
    error text
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);
-- How far into job_events deliveries have been made (WebhookStore.dispatchWebhooks).
CREATE TABLE webhook_dispatch (
    singleton int PRIMARY KEY CHECK (singleton = 1),
    cursor text NOT NULL
);

-- A customer's webhook deliveries (queue _webhooks) are Conveyor's, not the customer's: they do
-- not count against its backlog quota.
CREATE OR REPLACE FUNCTION conveyor_backlog_room(customer_name text, default_quota bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    quota bigint;
    waiting bigint;
BEGIN
    SELECT coalesce(backlog_quota, default_quota) INTO quota FROM customers WHERE name = customer_name;
    IF NOT FOUND THEN
        quota := default_quota;
    END IF;
    IF quota IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('conveyor-backlog:' || customer_name, 0));
    SELECT count(*) INTO waiting FROM (
        SELECT 1 FROM jobs
        WHERE customer = customer_name AND state IN ('scheduled', 'available', 'retryable') AND queue <> '_webhooks'
        LIMIT quota + 1) AS counted;
    RETURN quota - waiting;
END
$$;
