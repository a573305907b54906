-- One worker round at its barest: the claim's core (ClaimJobs in
-- Sources/ConveyorPostgres/PostgresStatements.swift, without its fair-share bookkeeping: 10 jobs of
-- the one customer `acme` on the queue `pgbench`, read in claim order through the claim index with
-- SKIP LOCKED and leased) returning every column of the claimed jobs, then the batched completion
-- of those jobs (CompleteJobs), also returning the jobs — two round trips, as in Conveyor. pgbench needs one row to keep the leases
-- in variables, so the claimed rows come back as one array of rows instead of one row each.
-- Run with -M prepared.
WITH claimed AS (
    UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_token = gen_random_uuid()::text,
        lease_expires_at = clock_timestamp() + interval '30 seconds', worker_id = 'pgbench',
        attempted_at = clock_timestamp()
    WHERE id IN (
        SELECT waiting.id FROM unnest(ARRAY['pgbench']) AS claimed(queue)
        CROSS JOIN LATERAL (
            SELECT id, priority, run_at FROM jobs
            WHERE state IN ('scheduled', 'available', 'retryable') AND queue = claimed.queue
              AND run_at <= clock_timestamp() AND customer = 'acme'
            ORDER BY priority, run_at, id
            LIMIT 10
            FOR UPDATE SKIP LOCKED) AS waiting
        ORDER BY waiting.priority, waiting.run_at, waiting.id
        LIMIT 10)
    RETURNING
        id, customer, queue, type, payload, priority::int8 AS priority, state,
        (extract(epoch from run_at) * 1000)::int8 AS run_at_ms, attempt::int8 AS attempt,
        max_attempts::int8 AS max_attempts, lease_token,
        (extract(epoch from lease_expires_at) * 1000)::int8 AS lease_expires_at_ms, worker_id,
        errors::text AS errors, dead_reason, replay_count::int8 AS replay_count, idempotency_key,
        (extract(epoch from created_at) * 1000)::int8 AS created_at_ms,
        (extract(epoch from attempted_at) * 1000)::int8 AS attempted_at_ms,
        (extract(epoch from finished_at) * 1000)::int8 AS finished_at_ms,
        (extract(epoch from first_failed_at) * 1000)::int8 AS first_failed_at_ms,
        (extract(epoch from last_failed_at) * 1000)::int8 AS last_failed_at_ms
)
SELECT array_agg(claimed) AS jobs, coalesce(array_agg(id), '{}') AS ids,
    coalesce(array_agg(lease_token), '{}') AS tokens
FROM claimed
\gset
UPDATE jobs SET state = 'completed', finished_at = clock_timestamp(),
    lease_token = NULL, lease_expires_at = NULL, worker_id = NULL
FROM unnest(:ids::text[], :tokens::text[]) AS lease(job_id, token)
WHERE jobs.id = lease.job_id AND jobs.state = 'running' AND jobs.lease_token = lease.token
  AND jobs.lease_expires_at > clock_timestamp()
RETURNING
    jobs.id, jobs.customer, jobs.queue, jobs.type, jobs.payload, jobs.priority::int8 AS priority, jobs.state,
    (extract(epoch from jobs.run_at) * 1000)::int8 AS run_at_ms, jobs.attempt::int8 AS attempt,
    jobs.max_attempts::int8 AS max_attempts, jobs.lease_token,
    (extract(epoch from jobs.lease_expires_at) * 1000)::int8 AS lease_expires_at_ms, jobs.worker_id,
    jobs.errors::text AS errors, jobs.dead_reason, jobs.replay_count::int8 AS replay_count,
    jobs.idempotency_key, (extract(epoch from jobs.created_at) * 1000)::int8 AS created_at_ms,
    (extract(epoch from jobs.attempted_at) * 1000)::int8 AS attempted_at_ms,
    (extract(epoch from jobs.finished_at) * 1000)::int8 AS finished_at_ms,
    (extract(epoch from jobs.first_failed_at) * 1000)::int8 AS first_failed_at_ms,
    (extract(epoch from jobs.last_failed_at) * 1000)::int8 AS last_failed_at_ms;
