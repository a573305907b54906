-- Job events (EventKind), written in the same transaction as the change each describes, in
-- commit order (one writer at a time): the id orders a customer's stream and is its SSE event id.
-- AUTOINCREMENT, so that an id is never used twice, even after the newest events were pruned.
-- What an event shows beyond its row (a completed job's result) is read from the job. Pruned by
-- time (EVENTS_RETENTION_SECONDS); event_pruning keeps the newest id pruned, so that a client
-- resuming before it is told that events were missed.
CREATE TABLE job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX job_events_at ON job_events (at);
CREATE TABLE event_pruning (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    newest_pruned INTEGER NOT NULL
);
