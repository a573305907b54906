-- idempotency_keys remembers the HTTP Idempotency-Key of each customer for 24 hours: the job it
-- made and a fingerprint of the request, so a retry gets the same job and a reuse is refused.
CREATE TABLE idempotency_keys (
    customer text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    job_id text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (customer, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
