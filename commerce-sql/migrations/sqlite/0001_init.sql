-- commerce schema, version 1 (SQLite). Money is integer minor units plus a currency code;
-- instants are Unix milliseconds; documents are JSON text.

CREATE TABLE commerce_products (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE commerce_skus (
    sku TEXT PRIMARY KEY,
    product_id TEXT NOT NULL
);

CREATE TABLE commerce_categories (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE commerce_customers (
    id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);

CREATE TABLE commerce_carts (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE commerce_stock_levels (
    sku TEXT NOT NULL,
    location TEXT NOT NULL,
    on_hand INTEGER NOT NULL,
    reserved INTEGER NOT NULL CHECK (reserved >= 0),
    allow_backorder INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sku, location),
    CHECK (allow_backorder = 1 OR (on_hand >= 0 AND on_hand >= reserved))
);

CREATE TABLE commerce_reservations (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    reference TEXT
);

CREATE INDEX commerce_reservations_expiry ON commerce_reservations (status, expires_at);

CREATE TABLE commerce_reservation_lines (
    reservation_id TEXT NOT NULL REFERENCES commerce_reservations (id),
    sku TEXT NOT NULL,
    location TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, sku, location)
);

CREATE INDEX commerce_reservation_lines_sku ON commerce_reservation_lines (sku, location);

CREATE TABLE commerce_movements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sku TEXT NOT NULL,
    location TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    at INTEGER NOT NULL,
    reference TEXT
);

CREATE INDEX commerce_movements_sku ON commerce_movements (sku, seq);

CREATE TABLE commerce_orders (
    id TEXT PRIMARY KEY,
    cart_id TEXT UNIQUE,
    customer_id TEXT,
    currency TEXT NOT NULL,
    grand_total_minor INTEGER NOT NULL CHECK (grand_total_minor >= 0),
    status TEXT NOT NULL,
    payment_status TEXT NOT NULL,
    fulfillment_status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX commerce_orders_customer ON commerce_orders (customer_id, created_at, id);

CREATE TABLE commerce_payment_intents (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    capturable_minor INTEGER NOT NULL CHECK (capturable_minor >= 0),
    received_minor INTEGER NOT NULL CHECK (received_minor >= 0),
    refunded_minor INTEGER NOT NULL CHECK (refunded_minor >= 0),
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    CHECK (received_minor + capturable_minor <= amount_minor),
    CHECK (refunded_minor <= received_minor)
);

CREATE TABLE commerce_gateway_events (
    id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL
);

CREATE TABLE commerce_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX commerce_outbox_pending ON commerce_outbox (delivered, seq);

CREATE TABLE commerce_idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response TEXT,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE commerce_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
