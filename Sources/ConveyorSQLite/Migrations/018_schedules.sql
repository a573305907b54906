-- Schedules (Schedule): a customer's recurring jobs, by name. next_tick_at is the earliest tick
-- not made yet; a scheduler moves it only from the value it read (ScheduleStore.fireSchedules).
-- The last_* columns say what became of the latest tick. Times in milliseconds.
CREATE TABLE schedules (
    customer TEXT NOT NULL REFERENCES customers (name),
    name TEXT NOT NULL,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    missed TEXT NOT NULL CHECK (missed IN ('skip', 'once', 'all')),
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,                 -- the JSON exactly as given
    priority INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    next_tick_at INTEGER NOT NULL,
    last_tick_at INTEGER,
    last_job_id TEXT,
    last_skipped TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (customer, name)
) WITHOUT ROWID;
-- The scheduler's one read: what is due, earliest first — a range of this index, however many
-- schedules there are.
CREATE INDEX schedules_due ON schedules (next_tick_at) WHERE paused = 0;

-- The schedule and tick a job was made for; a tick makes one job (the schedule's name is unique
-- within its customer).
ALTER TABLE jobs ADD COLUMN schedule TEXT;
ALTER TABLE jobs ADD COLUMN scheduled_for INTEGER;
CREATE UNIQUE INDEX jobs_schedule_tick ON jobs (customer, schedule, scheduled_for) WHERE schedule IS NOT NULL;
