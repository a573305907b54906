-- Job events (EventKind), written in the same statement or transaction as the change each
-- describes. Transactions commit concurrently, so an identity drawn in one may become visible
-- after a larger one drawn in another: the stream's order is (tx, id), the writing transaction's
-- id first, and a reader reads only events whose transaction is older than every transaction
-- still running (pg_snapshot_xmin): nothing can then appear behind its cursor. What an event shows
-- beyond its row (a completed job's result) is read from the job. Pruned by time (BRIN on `at`:
-- rows arrive in time order, and the index costs next to nothing to keep); event_pruning keeps the
-- newest cursor pruned, so that a client resuming before it is told that events were missed.
CREATE TABLE job_events (
    tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer text NOT NULL,
    job_id text NOT NULL,
    queue text NOT NULL,
    type text NOT NULL,
    kind text NOT NULL,
    attempt int NOT NULL,
    at timestamptz NOT NULL,
    run_at timestamptz,
    detail text,
    PRIMARY KEY (tx, id)
);
CREATE INDEX job_events_customer ON job_events (customer, tx, id);
CREATE INDEX job_events_at ON job_events USING brin (at);
CREATE TABLE event_pruning (
    singleton int PRIMARY KEY CHECK (singleton = 1),
    newest_tx xid8 NOT NULL,
    newest_id bigint NOT NULL
);
