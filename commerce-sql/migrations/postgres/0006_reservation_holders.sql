-- Who holds a reservation (`customer:…`, `client:…`), so that the checkouts one holder has
-- not paid for can be bounded: stock cannot be kept from paying buyers with unpaid checkouts.
ALTER TABLE commerce_reservations ADD COLUMN holder TEXT;

CREATE INDEX commerce_reservations_holder ON commerce_reservations (holder)
    WHERE holder IS NOT NULL AND status = 'active';
