-- Customer accounts and sessions; the columns that product and order listings filter on.
-- Existing products get their status, search text and categories from the store on open
-- (computed in Rust, the one definition of each), in the migration's transaction.

CREATE TABLE commerce_credentials (
    customer_id TEXT PRIMARY KEY REFERENCES commerce_customers (id),
    password_hash TEXT NOT NULL
);

CREATE TABLE commerce_sessions (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX commerce_sessions_customer ON commerce_sessions (customer_id);

ALTER TABLE commerce_products ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
ALTER TABLE commerce_products ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE INDEX commerce_products_status ON commerce_products (status, id);

CREATE TABLE commerce_product_categories (
    category_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    PRIMARY KEY (category_id, product_id)
);

CREATE INDEX commerce_orders_status ON commerce_orders (status, created_at, id);
CREATE INDEX commerce_orders_created ON commerce_orders (created_at, id);
