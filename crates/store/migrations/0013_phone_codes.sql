-- One-time codes sent to phones. The phone is kept only as a keyed hash
-- (the key lives outside the database) and the code only as a keyed hash
-- too; a row is spent once used or after five wrong answers.
CREATE TABLE phone_codes (
    id @PK@,
    phone_key TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX phone_codes_lookup ON phone_codes (phone_key, purpose, id);

-- Text messages to send. A row is claimed with a lease before it is sent,
-- so one message goes out once whatever the number of instances; a failed
-- send waits and is tried again. Once sent, its parameters (which hold a
-- code) are blanked.
CREATE TABLE sms_outbox (
    id @PK@,
    phone TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    -- pending | sent | failed
    status TEXT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    provider_ref TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_at);

-- Fixed-window counters shared by every instance: logins, sign-ups, code
-- requests and public appeals per key (an address, a phone's hash).
CREATE TABLE throttles (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
