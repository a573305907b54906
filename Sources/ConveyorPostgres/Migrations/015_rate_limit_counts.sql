-- The rate limiter's sliding-window log as counts (SlidingWindowLog), so that a decision reads and
-- writes a few rows whatever the quota (the array of every accepted time it replaces was rewritten
-- whole by each decision): rate_limit_hits holds, per key (`customer:NAME` or `client:ADDRESS`),
-- how many requests it accepted in each millisecond still in its window, and rate_limit_requests
-- (the seed's table, remade) their total and when the newest leaves the window (from then on the
-- key is as good as absent, and pruning deletes it). Both UNLOGGED, as before: a decision writes no
-- WAL and never waits for a disk flush; a crash of the server (or a failover) empties them, which
-- gives every key a fresh window once. No index on expires_at and room on each page, so that a
-- decision's update of its window is heap-only; pruning, every minute, reads the table of keys
-- active in their windows.
DROP TABLE rate_limit_requests;
CREATE UNLOGGED TABLE rate_limit_requests (
    key text PRIMARY KEY,
    in_window int8 NOT NULL,
    expires_at timestamptz NOT NULL
) WITH (fillfactor = 50);
CREATE UNLOGGED TABLE rate_limit_hits (
    key text NOT NULL,
    at int8 NOT NULL,
    count int8 NOT NULL,
    PRIMARY KEY (key, at)
);

-- One decision of `decided_key` at the server's clock, by the quota and window given: the window
-- row is the key's lock (decisions of one key take turns, others never wait for it), the
-- milliseconds that left the window are deleted once and subtracted from the total, and an allowed
-- request adds one to its millisecond. Returns whether it was allowed, the requests in the window
-- (this one included when allowed), the oldest one's time and the time of the decision (ms).
CREATE FUNCTION conveyor_rate_limit_decision(
    decided_key text, quota int8, window_ms int8,
    OUT decided_allowed boolean, OUT decided_in_window int8, OUT decided_oldest int8, OUT decided_at int8
) LANGUAGE plpgsql AS $$
DECLARE
    counted int8;
    expired int8;
BEGIN
    SELECT w.in_window INTO counted FROM rate_limit_requests w WHERE w.key = decided_key FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO rate_limit_requests (key, in_window, expires_at)
        VALUES (decided_key, 0, clock_timestamp() + make_interval(secs => window_ms / 1000.0))
        ON CONFLICT (key) DO NOTHING;
        SELECT w.in_window INTO counted FROM rate_limit_requests w WHERE w.key = decided_key FOR UPDATE;
    END IF;
    decided_at := (extract(epoch FROM clock_timestamp()) * 1000)::int8;
    WITH gone AS (
        DELETE FROM rate_limit_hits h WHERE h.key = decided_key AND h.at <= decided_at - window_ms
        RETURNING h.count
    )
    SELECT coalesce(sum(gone.count), 0) INTO expired FROM gone;
    decided_in_window := coalesce(counted, 0) - expired;
    decided_allowed := decided_in_window < quota;
    IF decided_allowed THEN
        decided_in_window := decided_in_window + 1;
        INSERT INTO rate_limit_hits AS h (key, at, count) VALUES (decided_key, decided_at, 1)
        ON CONFLICT (key, at) DO UPDATE SET count = h.count + 1;
        UPDATE rate_limit_requests w SET in_window = decided_in_window,
            expires_at = greatest(w.expires_at, to_timestamp((decided_at + window_ms) / 1000.0))
        WHERE w.key = decided_key;
    ELSIF expired > 0 THEN
        UPDATE rate_limit_requests w SET in_window = decided_in_window WHERE w.key = decided_key;
    END IF;
    SELECT min(h.at) INTO decided_oldest FROM rate_limit_hits h WHERE h.key = decided_key;
END
$$;
