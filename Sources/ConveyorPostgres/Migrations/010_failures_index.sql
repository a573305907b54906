-- The dead-letter monitor reads, every interval, the jobs that failed since its last look (new dead
-- jobs, stale rescues): an index on the time of the last failure keeps that a range read.
CREATE INDEX jobs_last_failed_at ON jobs (last_failed_at) WHERE last_failed_at IS NOT NULL;
