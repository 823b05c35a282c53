-- Deliveries of events to their destinations (commerce_core::delivery): one row per event and
-- destination, each with its own attempts, backoff and dead letter. `seq` is the event's
-- place in the outbox, the order of a stream (an order's events) to one destination.
CREATE TABLE commerce_deliveries (
    event_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    kind TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts BIGINT NOT NULL CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, destination)
);

CREATE INDEX commerce_deliveries_due ON commerce_deliveries (next_attempt_at, seq)
    WHERE status = 'pending';
CREATE INDEX commerce_deliveries_stream ON commerce_deliveries (destination, stream, seq)
    WHERE status = 'pending';
CREATE INDEX commerce_deliveries_listing ON commerce_deliveries (seq, destination);

-- The shop's webhook endpoints, compare-and-set on their version.
CREATE TABLE commerce_webhook_endpoints (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);

-- Leases of the jobs that run once at a time across processes.
CREATE TABLE commerce_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

