-- Schedules (Schedule): a customer's recurring jobs, by name. next_tick_at is the earliest tick
-- not made yet; a scheduler moves it only from the value it read (ScheduleStore.fireSchedules).
-- The last_* columns say what became of the latest tick.
CREATE TABLE schedules (
    customer text NOT NULL REFERENCES customers (name),
    name text NOT NULL,
    cron text NOT NULL,
    timezone text NOT NULL,
    missed text NOT NULL CHECK (missed IN ('skip', 'once', 'all')),
    queue text NOT NULL,
    type text NOT NULL,
    payload text NOT NULL,                 -- the JSON exactly as given
    priority int NOT NULL,
    max_attempts int NOT NULL,
    paused boolean NOT NULL DEFAULT false,
    next_tick_at timestamptz NOT NULL,
    last_tick_at timestamptz,
    last_job_id text,
    last_skipped text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (customer, name)
);
-- The scheduler's one read: what is due, earliest first — a range of this index, however many
-- schedules there are.
CREATE INDEX schedules_due ON schedules (next_tick_at) WHERE NOT paused;

-- The schedule and tick a job was made for; a tick makes one job (the schedule's name is unique
-- within its customer).
ALTER TABLE jobs ADD COLUMN schedule text;
ALTER TABLE jobs ADD COLUMN scheduled_for timestamptz;
CREATE UNIQUE INDEX jobs_schedule_tick ON jobs (customer, schedule, scheduled_for) WHERE schedule IS NOT NULL;
