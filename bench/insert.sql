-- The single-job enqueue Conveyor issues (PostgresJobRow.insert with its pg_notify): one row as a
-- JSON document expanded by jsonb_to_recordset, the idempotency guard, and the announcement.
\set n random(1, 1000000000)
WITH inserted AS (
INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts, lease_token,
    lease_expires_at, worker_id, errors, dead_reason, replay_count, idempotency_key, created_at,
    attempted_at, finished_at, first_failed_at, last_failed_at)
SELECT v.id, v.customer, v.queue, v.type, v.payload, v.priority, v.state, to_timestamp(v.run_at / 1000.0),
       v.attempt, v.max_attempts, v.lease_token, to_timestamp(v.lease_expires_at / 1000.0), v.worker_id,
       v.errors, v.dead_reason, v.replay_count, v.idempotency_key, to_timestamp(v.created_at / 1000.0),
       to_timestamp(v.attempted_at / 1000.0), to_timestamp(v.finished_at / 1000.0),
       to_timestamp(v.first_failed_at / 1000.0), to_timestamp(v.last_failed_at / 1000.0)
FROM jsonb_to_recordset(jsonb_build_array(jsonb_build_object(
        'id', gen_random_uuid()::text, 'customer', 'acme', 'queue', 'pgbench', 'type', 'noop',
        'payload', '{"n":' || :n || '}', 'priority', 0, 'state', 'available',
        'run_at', (extract(epoch from clock_timestamp()) * 1000)::int8, 'attempt', 0, 'max_attempts', 20,
        'errors', '[]'::jsonb, 'replay_count', 0,
        'created_at', (extract(epoch from clock_timestamp()) * 1000)::int8))) AS v(
    id text, customer text, queue text, type text, payload text, priority int, state text, run_at int8,
    attempt int, max_attempts int, lease_token text, lease_expires_at int8, worker_id text, errors jsonb,
    dead_reason text, replay_count int, idempotency_key text, created_at int8, attempted_at int8,
    finished_at int8, first_failed_at int8, last_failed_at int8)
ON CONFLICT (customer, queue, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled')
    DO NOTHING
RETURNING id, queue, state
), announced AS (
    SELECT count(pg_notify('conveyor_jobs', queue)) AS queues
    FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q
)
SELECT inserted.id FROM inserted CROSS JOIN announced;
