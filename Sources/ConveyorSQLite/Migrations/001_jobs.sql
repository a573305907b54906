-- jobs holds every job in every state; the lifecycle is documented on JobState.
-- Times are integer milliseconds since the Unix epoch.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,          -- UUIDv7, lower case: text order is creation order
    customer TEXT NOT NULL,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,                 -- the JSON exactly as enqueued
    priority INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'dead', 'cancelled')),
    run_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    lease_token TEXT,
    lease_expires_at INTEGER,
    worker_id TEXT,
    errors TEXT NOT NULL DEFAULT '[]',     -- JSON array of {attempt, at, message}, bounded
    dead_reason TEXT CHECK (dead_reason IN ('exhausted', 'non_retryable', 'stale')),
    replay_count INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    attempted_at INTEGER,
    finished_at INTEGER,
    first_failed_at INTEGER,
    last_failed_at INTEGER
);

-- Claims read only waiting jobs, in claim order; the partial index keeps that cost independent of
-- how many finished rows the table holds.
CREATE INDEX jobs_claim_order ON jobs (queue, priority, run_at, id)
    WHERE state IN ('scheduled', 'available', 'retryable');

-- The stale-job rescue looks only at running jobs, by lease expiry.
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE state = 'running';

-- Listings filter by customer and page by id.
CREATE INDEX jobs_customer_id ON jobs (customer, id);

-- Counts per state per queue.
CREATE INDEX jobs_customer_queue_state ON jobs (customer, queue, state);

-- Pruning and the dead-letter queue read finished jobs by age.
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;

-- An idempotency key is unique per customer and queue among unfinished jobs only, so a key can be
-- reused once its job is done.
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (customer, queue, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled');
