-- customers are the tenants; api_keys are their keys (customer NULL: an admin key). A key is
-- stored as the SHA-256 of the whole key and found by its visible prefix.
CREATE TABLE customers (
    name TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    customer TEXT REFERENCES customers (name),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_by_customer ON api_keys (customer, created_at);
