-- The single-job enqueue Conveyor issues (InsertJobs in PostgresStatements.swift): one array per
-- column expanded by unnest, the idempotency guard, and the announcement. Run with -M prepared.
\set n random(1, 1000000000)
WITH inserted AS (
    INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
        errors, replay_count, idempotency_key, created_at)
    SELECT v.id, v.customer, v.queue, v.type, v.payload, v.priority, v.state, to_timestamp(v.run_at / 1000.0),
        0, v.max_attempts, '[]', 0, NULLIF(v.idempotency_key, ''), to_timestamp(v.created_at / 1000.0)
    FROM unnest(ARRAY[gen_random_uuid()::text], ARRAY['acme'], ARRAY['pgbench'], ARRAY['noop'],
        ARRAY['{"n":' || :n || '}'], ARRAY[0::int8], ARRAY['available'],
        ARRAY[(extract(epoch from clock_timestamp()) * 1000)::int8], ARRAY[20::int8], ARRAY[''],
        ARRAY[(extract(epoch from clock_timestamp()) * 1000)::int8])
        AS v(id, customer, queue, type, payload, priority, state, run_at, max_attempts, idempotency_key,
            created_at)
    ON CONFLICT (customer, queue, idempotency_key)
        WHERE idempotency_key IS NOT NULL AND state NOT IN ('completed', 'dead', 'cancelled')
        DO NOTHING
    RETURNING id, queue, state
), announced AS (
    SELECT count(pg_notify('conveyor_jobs', queue)) AS queues
    FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'available') AS q
)
SELECT inserted.id FROM inserted CROSS JOIN announced;
