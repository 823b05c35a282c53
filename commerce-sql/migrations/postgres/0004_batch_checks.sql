-- What lets a unit of work run in one round trip (see batch.rs): a false check raises, which
-- aborts the rest of the batch before its COMMIT.
CREATE FUNCTION commerce_check(ok BOOLEAN) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION 'commerce: a batch check failed';
    END IF;
    RETURN ok;
END
$$;
