-- Decisions of several requests of one key in one step (a node decides the requests that arrive
-- together with one key in one call, so a busy customer's requests do not each take the key's row
-- lock in turn): as many as the window has room for are allowed, the rest refused, as if decided
-- one after another. Returns how many were allowed, the requests in the window before them, the
-- oldest one's time and the time of the decision (ms).
CREATE FUNCTION conveyor_rate_limit_decisions(
    decided_key text, quota int8, window_ms int8, wanted int8,
    OUT decided_allowed int8, OUT decided_in_window int8, OUT decided_oldest int8, OUT decided_at int8
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
    decided_allowed := greatest(0, least(wanted, quota - decided_in_window));
    IF decided_allowed > 0 THEN
        INSERT INTO rate_limit_hits AS h (key, at, count) VALUES (decided_key, decided_at, decided_allowed)
        ON CONFLICT (key, at) DO UPDATE SET count = h.count + decided_allowed;
        UPDATE rate_limit_requests w SET in_window = decided_in_window + decided_allowed,
            expires_at = greatest(w.expires_at, to_timestamp((decided_at + window_ms) / 1000.0))
        WHERE w.key = decided_key;
    ELSIF expired > 0 THEN
        UPDATE rate_limit_requests w SET in_window = decided_in_window WHERE w.key = decided_key;
    END IF;
    SELECT min(h.at) INTO decided_oldest FROM rate_limit_hits h WHERE h.key = decided_key;
END
$$;

-- The one-request decision (migration 015) is now the batch of one, so that nodes of the previous
-- version, during a rolling upgrade, count against the same rows by the same rule.
CREATE OR REPLACE FUNCTION conveyor_rate_limit_decision(
    decided_key text, quota int8, window_ms int8,
    OUT decided_allowed boolean, OUT decided_in_window int8, OUT decided_oldest int8, OUT decided_at int8
) LANGUAGE sql AS $$
    SELECT d.decided_allowed > 0, d.decided_in_window + d.decided_allowed, d.decided_oldest, d.decided_at
    FROM conveyor_rate_limit_decisions(decided_key, quota, window_ms, 1) AS d
$$;
