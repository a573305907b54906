-- Leadership itself is a session advisory lock (see PostgresJobStore+leadership.swift); this table
-- only says who took it and when, for health's "maintenance leader". A row counts only while the
-- backend that wrote it (backend_pid) still holds the role's lock, so a leader that died without
-- deleting its row is never reported.
CREATE TABLE maintenance_leaders (
    role text PRIMARY KEY,
    holder text NOT NULL,
    backend_pid integer NOT NULL,
    lock_key bigint NOT NULL,
    since timestamptz NOT NULL
);
