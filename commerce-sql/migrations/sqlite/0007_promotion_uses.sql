-- How many orders used each limited promotion: `scope` is '' for the count in all, and
-- `customer:<id>` for one customer's. A use is taken by a guarded update (`used < limit`,
-- rows affected checked) in the order's own unit of work, so no limit is ever passed.
CREATE TABLE commerce_promotion_uses (
    promotion_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    used BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (promotion_id, scope)
);
