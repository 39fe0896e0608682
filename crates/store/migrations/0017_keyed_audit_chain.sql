-- The audit chain is keyed from here on: each entry's hash is an HMAC
-- under a key kept outside the database, so someone who can write to the
-- database cannot rewrite entries and recompute the chain. Entries written
-- before this migration keep their plain SHA-256 links.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET keyed_from = seq + 1;
