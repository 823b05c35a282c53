-- Admin API keys: the public id and a hash of the secret, never the secret.
CREATE TABLE commerce_api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
