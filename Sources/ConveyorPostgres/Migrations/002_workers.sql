-- workers is the registry of worker processes; a worker re-registers under the same id on restart.
CREATE TABLE workers (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    queues jsonb NOT NULL,                 -- array of queue names
    concurrency integer NOT NULL,
    started_at timestamptz NOT NULL,
    last_heartbeat_at timestamptz NOT NULL,
    jobs_running integer NOT NULL DEFAULT 0
);
