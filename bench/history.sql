-- Finished history for the claim-cost comparison: :count finished jobs on the queue :'queue',
-- half completed and half dead, run with psql -v count=N -v queue=NAME. The claim index is
-- partial (waiting states only), so these rows should cost a claim nothing.
INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts,
    errors, dead_reason, replay_count, created_at, attempted_at, finished_at)
SELECT '00000000-' || lpad(to_hex(n >> 16), 4, '0') || '-7000-8000-' || lpad(to_hex(n), 12, '0'), 'bench',
    :'queue', 'noop', '{"n":' || n || '}', 0,
    CASE WHEN n % 2 = 0 THEN 'completed' ELSE 'dead' END, now() - interval '1 hour', 1, 1,
    CASE WHEN n % 2 = 0 THEN '[]'::jsonb ELSE '[{"attempt":1,"at":0,"message":"boom"}]'::jsonb END,
    CASE WHEN n % 2 = 0 THEN NULL ELSE 'exhausted' END, 0,
    now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour'
FROM generate_series(1, :count) AS n;
ANALYZE jobs;
