-- Money moves recorded before the gateway is asked (see commerce_core::payment): when the
-- earliest pending move of an intent may be asked about again, NULL when none is pending, so
-- that the moves a failed or interrupted request left behind are found without a scan.
ALTER TABLE commerce_payment_intents ADD COLUMN moves_due_at BIGINT;

CREATE INDEX commerce_payment_intents_moves_due ON commerce_payment_intents (moves_due_at)
    WHERE moves_due_at IS NOT NULL;
