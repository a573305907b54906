-- customers are the tenants; api_keys are their keys (customer NULL: an admin key). A key is
-- stored as the SHA-256 of the whole key and found by its visible prefix.
CREATE TABLE customers (
    name text PRIMARY KEY,
    created_at timestamptz NOT NULL
);
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    customer text REFERENCES customers (name),
    prefix text NOT NULL UNIQUE,
    secret_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_by_customer ON api_keys (customer, created_at);
