-- find_stale_jobs lists running jobs whose lease expired more than `threshold` before `at` (now by
-- default): their worker stopped heartbeating and is presumed dead. The stale-job rescue calls it
-- with the store's clock; an operator can call it from psql:
--     SELECT * FROM find_stale_jobs(interval '1 minute');
-- Named as in the original backend's migration 005.
CREATE FUNCTION find_stale_jobs(threshold interval, at timestamptz DEFAULT now())
RETURNS SETOF jobs
LANGUAGE sql STABLE AS $$
    SELECT * FROM jobs
    WHERE state = 'running' AND lease_expires_at <= at - threshold
    ORDER BY lease_expires_at, id
$$;

-- stale_jobs_view shows, for people, the running jobs whose lease has expired now (no grace), and
-- for how long; `SELECT * FROM stale_jobs_view;`
CREATE VIEW stale_jobs_view AS
    SELECT id, customer, queue, type, attempt, max_attempts, worker_id, attempted_at, lease_expires_at,
           now() - lease_expires_at AS expired_for
    FROM jobs
    WHERE state = 'running' AND lease_expires_at <= now()
    ORDER BY lease_expires_at;
