-- jobs holds every job in every state; the lifecycle is documented on JobState.
CREATE TABLE jobs (
    id text PRIMARY KEY,                   -- UUIDv7, lower case: text order is creation order
    customer text NOT NULL,
    queue text NOT NULL,
    type text NOT NULL,
    payload text NOT NULL,                 -- the JSON exactly as enqueued (validated before insert)
    priority smallint NOT NULL,
    state text NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'dead', 'cancelled')),
    run_at timestamptz NOT NULL,
    attempt integer NOT NULL,
    max_attempts integer NOT NULL,
    lease_token text,
    lease_expires_at timestamptz,
    worker_id text,
    errors jsonb NOT NULL DEFAULT '[]',    -- [{attempt, at (ms since epoch), message}], bounded
    dead_reason text CHECK (dead_reason IN ('exhausted', 'non_retryable', 'stale')),
    replay_count integer NOT NULL DEFAULT 0,
    idempotency_key text,
    created_at timestamptz NOT NULL,
    attempted_at timestamptz,
    finished_at timestamptz,
    first_failed_at timestamptz,
    last_failed_at timestamptz
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

-- An idempotency key is unique per customer and queue among unfinished jobs only.
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (customer, queue, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled');
