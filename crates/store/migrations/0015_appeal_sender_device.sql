-- The keyed hash of the browser that sent a public appeal (empty when it
-- sent none): a second sending of the same appeal gets the receipt link
-- back only from that same browser, never from someone who merely knows
-- the text and the phone number.
ALTER TABLE appeals ADD COLUMN sender_device TEXT NOT NULL DEFAULT '';
