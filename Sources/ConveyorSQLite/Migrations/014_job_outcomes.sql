-- What a job gives back to its customer: the result its worker completed it with and the latest
-- progress of its attempt, each one JSON value kept as sent (text). Pruned with the job's row.
ALTER TABLE jobs ADD COLUMN result TEXT;
ALTER TABLE jobs ADD COLUMN progress TEXT;
