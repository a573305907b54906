-- Rate limiting is a sliding-window log: rate_limit_requests keeps, per key (`customer:NAME` or
-- `client:ADDRESS`), the times (ms since the epoch) of the requests it accepted within its window,
-- which is why its size is bounded by the quota. expires_at is when the newest of them leaves the
-- window: from then on the row is as good as absent, and pruning deletes it. Migration 003's table
-- (a GCRA arrival time, never used) is replaced.
-- UNLOGGED: a decision writes no WAL, so it never waits for a disk flush. The price, accepted for
-- state this short-lived: a crash of the server (or a failover to a replica) empties the table,
-- which gives every key a fresh window once.
DROP TABLE rate_limit_requests;
CREATE UNLOGGED TABLE rate_limit_requests (
    key text PRIMARY KEY,
    hits int8[] NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_requests_expires_at ON rate_limit_requests (expires_at);

-- A customer's own policy; NULL in both means the global default (RATE_LIMIT_REQUESTS /
-- RATE_LIMIT_WINDOW).
ALTER TABLE customers
    ADD COLUMN rate_limit_requests integer,
    ADD COLUMN rate_limit_window_seconds integer,
    ADD CONSTRAINT customers_rate_limit CHECK (
        (rate_limit_requests IS NULL) = (rate_limit_window_seconds IS NULL)
        AND coalesce(rate_limit_requests, 1) > 0 AND coalesce(rate_limit_window_seconds, 1) > 0);
