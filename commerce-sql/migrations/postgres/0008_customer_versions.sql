-- Customers are written compare-and-set on their version, so that two changes made at once
-- (two addresses added) are both kept instead of one overwriting the other.
ALTER TABLE commerce_customers ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
