-- idempotency_keys remembers the HTTP Idempotency-Key of each customer for 24 hours: the job it
-- made and a fingerprint of the request, so a retry gets the same job and a reuse is refused.
CREATE TABLE idempotency_keys (
    customer TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    job_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (customer, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
