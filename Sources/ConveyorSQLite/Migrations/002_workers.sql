-- workers is the registry of worker processes; a worker re-registers under the same id on restart.
CREATE TABLE workers (
    id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    queues TEXT NOT NULL,                  -- JSON array of queue names
    concurrency INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL,
    jobs_running INTEGER NOT NULL DEFAULT 0
);
