-- What a job gives back to its customer: the result its worker completed it with and the latest
-- progress of its attempt, each one JSON value kept as sent (text, not jsonb, which would
-- re-encode it). Pruned with the job's row; adding nullable columns rewrites nothing.
ALTER TABLE jobs ADD COLUMN result text;
ALTER TABLE jobs ADD COLUMN progress text;
