-- Rate limiting is a sliding-window log: rate_limit_requests keeps, per key (`customer:NAME` or
-- `client:ADDRESS`), the times (ms since the epoch, comma-separated) of the requests it accepted
-- within its window, so its size is bounded by the quota. expires_at (ms) is when the newest of
-- them leaves the window: from then on the row is as good as absent, and pruning deletes it.
CREATE TABLE rate_limit_requests (
    key TEXT PRIMARY KEY NOT NULL,
    hits TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX rate_limit_requests_expires_at ON rate_limit_requests (expires_at);

-- A customer's own policy; NULL in both means the global default.
ALTER TABLE customers ADD COLUMN rate_limit_requests INTEGER;
ALTER TABLE customers ADD COLUMN rate_limit_window_seconds INTEGER;
