-- Phones and appeal contacts are kept sealed (AES-256-GCM, keys outside
-- the database). An account's phone becomes three columns: the sealed
-- number, its keyed look-up hash (unique: sign-in and search) and the
-- masked form lists show. Rows written before this migration are sealed
-- by the server at start (they are found by a missing look-up hash, an
-- appeal's `contact_sealed` = 0, a value without the `v1.` prefix).
ALTER TABLE accounts RENAME COLUMN phone TO phone_sealed;
ALTER TABLE accounts ADD COLUMN phone_key TEXT;
ALTER TABLE accounts ADD COLUMN phone_mask TEXT;
CREATE UNIQUE INDEX accounts_phone_lookup ON accounts (phone_key);
-- @postgres
-- The old constraint's index now covers sealed values, each unique anyway.
ALTER TABLE accounts DROP CONSTRAINT accounts_phone_key;
-- @both
ALTER TABLE appeals ADD COLUMN contact_sealed BIGINT NOT NULL DEFAULT 0;
-- The data key every sealed value was last made with; the server reseals
-- what an older key (or no key) made whenever this differs from its own.
CREATE TABLE sealed_with (
    id BIGINT PRIMARY KEY,
    key_id BIGINT NOT NULL
);
