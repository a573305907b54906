-- Job events (EventKind), written in the same transaction as the change each describes, in
-- commit order (one writer at a time): the id orders the stream and is its SSE event id. Ids must
-- never be used twice, yet AUTOINCREMENT would update sqlite_sequence on every insert: pruning
-- instead always keeps the newest event, so the next id (the largest plus one) only grows. What an
-- event shows beyond its row (a completed job's result) is read from the job. Pruned by time
-- (EVENTS_RETENTION_SECONDS) with no index on it: ids follow time, so the cut is found by a binary
-- search on the id. event_pruning keeps the newest id pruned, so that a client resuming before it
-- is told that events were missed.
CREATE TABLE job_events (
    id INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    job_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    run_at INTEGER,
    detail TEXT
);
CREATE INDEX job_events_customer ON job_events (customer, id);
CREATE TABLE event_pruning (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    newest_pruned INTEGER NOT NULL
);
