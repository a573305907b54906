-- One worker round: the batched claim Conveyor issues (ClaimJobs, 10 jobs of the queue `pgbench`),
-- then the batched completion of those jobs (CompleteJobs), in two round trips. Run with -M prepared.
WITH claimed AS (
    UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_token = gen_random_uuid()::text,
        lease_expires_at = clock_timestamp() + interval '30 seconds', worker_id = 'pgbench',
        attempted_at = clock_timestamp()
    WHERE id IN (
        SELECT waiting.id FROM unnest(ARRAY['pgbench']) AS claimed(queue)
        CROSS JOIN LATERAL (
            SELECT id, priority, run_at FROM jobs
            WHERE state IN ('scheduled', 'available', 'retryable') AND queue = claimed.queue
              AND run_at <= clock_timestamp() AND (NULL::text IS NULL OR customer = NULL::text)
            ORDER BY priority, run_at, id
            LIMIT 10
            FOR UPDATE SKIP LOCKED) AS waiting
        ORDER BY waiting.priority, waiting.run_at, waiting.id
        LIMIT 10)
    RETURNING id, lease_token
)
SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(lease_token), '{}') AS tokens FROM claimed
\gset
UPDATE jobs SET state = 'completed', finished_at = clock_timestamp(),
    lease_token = NULL, lease_expires_at = NULL, worker_id = NULL
FROM unnest(:ids::text[], :tokens::text[]) AS lease(job_id, token)
WHERE jobs.id = lease.job_id AND jobs.state = 'running' AND jobs.lease_token = lease.token
  AND jobs.lease_expires_at > clock_timestamp();
