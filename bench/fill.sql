-- Waiting jobs for the floor's claims: :count available jobs on the queue `pgbench`, run with
-- psql -v count=N. Ids are UUIDv7-shaped text in creation order, as Conveyor's are.
INSERT INTO jobs (id, customer, queue, type, payload, priority, state, run_at, attempt, max_attempts, errors,
    replay_count, created_at)
SELECT lpad(to_hex(n), 12, '0') || '-0000-7000-8000-' || lpad(to_hex(n), 12, '0'), 'acme', 'pgbench', 'noop',
    '{"n":' || n || '}', 0, 'available', now(), 0, 20, '[]', 0, now()
FROM generate_series(1, :count) AS n;
