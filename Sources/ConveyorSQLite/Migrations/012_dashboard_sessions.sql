-- dashboard_sessions are the dashboard's sign-ins, shared by every process on the file: a
-- session is found by the SHA-256 of its cookie's token (the token itself is never stored), and
-- lives while its key is not revoked, its lifetime has not passed and it has been used within the
-- idle timeout. seq orders a key's sessions by age, for ending the oldest past the per-key bound.
CREATE TABLE dashboard_sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    csrf_token TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_by_key ON dashboard_sessions (key_id, seq);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
