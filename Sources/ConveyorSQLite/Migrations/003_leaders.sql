-- leaders holds, per maintenance role, which process leads it and until when; the leader renews
-- its lease, and any process may take a role whose lease ran out.
CREATE TABLE leaders (
    role TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
