-- The catalog's version (commerce_core::store::CatalogStore::catalog_version): one row, bumped
-- in the unit of work of every product, category or settings write, so that a process that keeps
-- them in memory (the search index, what carts are priced with) learns with one read whether its
-- copy is current.
CREATE TABLE commerce_catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

INSERT INTO commerce_catalog_version (id, version) VALUES (1, 0);
