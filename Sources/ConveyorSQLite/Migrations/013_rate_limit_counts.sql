-- The rate limiter's sliding-window log as counts (SlidingWindowLog): rate_limit_hits holds, per
-- key (`customer:NAME` or `client:ADDRESS`), how many requests it accepted in each millisecond (ms
-- since the epoch) still in its window, and rate_limit_requests (the seed's table, remade) their
-- total, so that a decision reads and writes a few rows whatever the quota. expires_at (ms) is when
-- the newest accepted request leaves the window: from then on the key is as good as absent, and
-- pruning deletes it.
DROP TABLE rate_limit_requests;
CREATE TABLE rate_limit_requests (
    key TEXT PRIMARY KEY NOT NULL,
    in_window INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_limit_requests_expires_at ON rate_limit_requests (expires_at);
CREATE TABLE rate_limit_hits (
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, at)
) WITHOUT ROWID;
