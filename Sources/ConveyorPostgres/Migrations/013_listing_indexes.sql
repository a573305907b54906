-- The dashboard lists jobs of one state newest first (by id). Jobs in the common states
-- (available, running, completed) turn up at once reading the primary key backwards; jobs in the
-- rare ones could be anywhere in a million rows (the dead-letter page read the whole table: 450 ms
-- on SQLite with a million jobs, BENCHMARKS.md). One small partial index each: none is written by
-- an enqueue to run now, a claim or a completion, so the hot path pays nothing for them.
CREATE INDEX jobs_dead_by_id ON jobs (id) WHERE state = 'dead';
CREATE INDEX jobs_retryable_by_id ON jobs (id) WHERE state = 'retryable';
CREATE INDEX jobs_scheduled_by_id ON jobs (id) WHERE state = 'scheduled';
CREATE INDEX jobs_cancelled_by_id ON jobs (id) WHERE state = 'cancelled';
