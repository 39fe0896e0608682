-- A second factor for administrators: a TOTP secret (RFC 6238), encrypted
-- with a key from configuration, the last time step accepted (a code is
-- good once), and the keyed hashes of the unused recovery codes.
CREATE TABLE second_factors (
    account_id BIGINT PRIMARY KEY,
    secret TEXT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    last_step BIGINT NOT NULL DEFAULT 0,
    recovery TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- When the session's holder last gave the second factor (0: not yet).
-- Sensitive actions ask for it again when it is older than a few minutes.
ALTER TABLE sessions ADD COLUMN factor_at BIGINT NOT NULL DEFAULT 0;
