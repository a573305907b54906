-- rate_limit_requests holds the rate limiter's state, one row per key (a customer or a client
-- address): the GCRA "theoretical arrival time". Used by the rate-limiting middleware of
-- `conveyor serve`; named as in the original backend's migration 004.
CREATE TABLE rate_limit_requests (
    key text PRIMARY KEY,
    theoretical_arrival timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Pruning removes keys idle for longer than their window.
CREATE INDEX rate_limit_requests_updated_at ON rate_limit_requests (updated_at);
