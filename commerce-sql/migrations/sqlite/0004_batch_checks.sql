-- What lets a unit of work run in one round trip (see batch.rs): inserting a row whose `ok` is
-- false aborts the statement, and so the rest of the batch, before its COMMIT. No row is ever
-- stored.
CREATE TABLE commerce_batch_checks (
    ok INTEGER NOT NULL
);

CREATE TRIGGER commerce_batch_check BEFORE INSERT ON commerce_batch_checks
BEGIN
    SELECT RAISE(ABORT, 'commerce: a batch check failed') WHERE NOT NEW.ok;
    SELECT RAISE(IGNORE);
END;
